/**
 * --explain: the semantics' notes (src/core/explain.ts) as sentences for a student, one line
 * each, in the order the kernel would take the decisions. Names follow the man pages: sempid,
 * GETNCNT and GETZCNT, SEM_UNDO, IPC_NOWAIT, otime and ctime.
 */
import type { Note, SopVerdict } from '../core/explain.js';
import { SEMAEM, SEMVMX } from '../core/limits.js';
import type { BlockedOn, Sembuf } from '../core/types.js';
import { formatKey } from '../core/semget.js';
import { sopText } from './holders.js';
import { ctimeText } from './ipcs.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function counter(blocked: BlockedOn): string {
  return `${blocked.kind === 'ncnt' ? 'GETNCNT' : 'GETZCNT'} of semaphore ${blocked.semnum}`;
}

/** What a sop met and what followed from it. */
function verdictText(
  sop: Sembuf,
  value: number,
  verdict: SopVerdict,
  semadj?: readonly [number, number],
): string {
  const result = value + sop.semop;
  const waitsFor = sop.semop === 0
    ? `${value} is not zero`
    : `${value}${sop.semop} would be below 0`;
  switch (verdict) {
    case 'ok': {
      const change = sop.semop === 0 ? `${value}, zero: goes on` : `${value} becomes ${result}`;
      const undo = semadj ? `; undo adjustment ${semadj[0]} becomes ${semadj[1]}` : '';
      return change + undo;
    }
    case 'blocks':
      return `${waitsFor}: the call must wait here`;
    case 'EAGAIN':
      return `${waitsFor}, and this op has IPC_NOWAIT: EAGAIN, nothing is applied`;
    case 'ERANGE':
      return `${value}+${sop.semop} would exceed SEMVMX (${SEMVMX}): ERANGE, nothing is applied`;
    case 'ERANGE-undo':
      return `undo adjustment ${semadj?.[0]} would become ${semadj?.[1]}, outside ` +
        `${-SEMAEM - 1}..${SEMAEM}: ERANGE, nothing is applied`;
  }
}

function resolvedText(note: Extract<Note, { kind: 'resolved' }>): string {
  const who = `  sleeping operation #${note.seq} (pid ${note.pid})`;
  switch (note.result) {
    case 'done':
      return `${who} can run now: performed for it, in arrival order; ` +
        `its semaphores' sempid is ${note.pid}`;
    case 'EAGAIN':
      return `${who} now stops at an op with IPC_NOWAIT: it fails with EAGAIN, nothing applied`;
    case 'ERANGE':
      return `${who} would now exceed SEMVMX or SEMAEM: it fails with ERANGE, nothing applied`;
    case 'EIDRM':
      return `${who} is woken with EIDRM: the set is removed`;
  }
}

function createdText(note: Extract<Note, { kind: 'created' }>): string {
  const which = note.key === 0
    ? 'IPC_PRIVATE: always a new set'
    : `no set has key ${formatKey(note.key)}: IPC_CREAT makes one`;
  const mode = note.mode.toString(8).padStart(4, '0');
  const values = note.init === undefined
    ? 'every value 0 (setting them with SETVAL is a second step another process can see in ' +
      'between; --init avoids it)'
    : `every value ${note.init} (--init, in the same step: no process sees the set before)`;
  return `${which}, set ${note.semid} (index ${note.index}, sequence ${note.seq}: id = ` +
    `${note.seq} * 32768 + ${note.index}), ${plural(note.nsems, 'semaphore')}, ` +
    `mode ${mode}, ${values}`;
}

/** One note as one line. */
export function explainNote(note: Note): string {
  switch (note.kind) {
    case 'attempt':
      return `semop for pid ${note.pid}: ${plural(note.sops.length, 'operation')}, each applied ` +
        'to the values the ones before it left; all or nothing';
    case 'sop':
      return `  op ${note.index + 1} (${sopText(note.sop)}) on semaphore ${note.sop.semnum}: ` +
        verdictText(note.sop, note.value, note.verdict, note.semadj);
    case 'applied':
      return `every op can proceed: the values are stored; sempid of ` +
        `${note.semnums.length === 1 ? 'semaphore' : 'semaphores'} ${note.semnums.join(', ')} ` +
        `is now ${note.pid}`;
    case 'sleeps':
      return `the call sleeps, counted in ${counter(note.blocked)}, until a change lets it ` +
        'run; whoever makes that change performs it for this call';
    case 'scan':
      return `${plural(note.waiting, 'sleeping operation')} looked at again, oldest first`;
    case 'still':
      return `  sleeping operation #${note.seq} (pid ${note.pid}) still waits, ` +
        `counted in ${counter(note.blocked)}`;
    case 'resolved':
      return resolvedText(note);
    case 'time':
      return `${note.field} is now ${ctimeText(note.seconds)}`;
    case 'set':
      return `semaphore ${note.semnum}: ${note.from} becomes ${note.to}; ` +
        `its sempid is now ${note.pid}`;
    case 'undo-cleared':
      return note.semnum === undefined
        ? `every undo adjustment on the set is cleared (${plural(note.records, 'record')})`
        : `undo adjustments of semaphore ${note.semnum} are cleared ` +
          `(${plural(note.records, 'record')})`;
    case 'exit-adjust': {
      const clamped = note.from + note.semadj !== note.to ? ` (clamped to 0..${SEMVMX})` : '';
      return `pid ${note.pid} has exited: its undo adjustment ${note.semadj} takes semaphore ` +
        `${note.semnum} from ${note.from} to ${note.to}${clamped}; its sempid is now ${note.pid}`;
    }
    case 'dead':
      return `pid ${note.pid}, known to set ${note.semid}, is gone: ` +
        'doing what its exit would have done';
    case 'undo-record':
      return note.created
        ? `pid ${note.pid} gets an undo record on this set (made by the first SEM_UNDO call, ` +
          'even one that then fails)'
        : `pid ${note.pid}'s undo record is dropped`;
    case 'woken':
      return note.result === 'done'
        ? 'woken: the operation was performed by the process that made it possible'
        : `woken: ${note.result}`;
    case 'withdrawn':
      return `gave up (${note.reason}): the sleeping operation is withdrawn, nothing applied`;
    case 'found':
      return `key ${formatKey(note.key)} names set ${note.semid}: found, and left as it is` +
        (note.initIgnored ? ' (--init applies only to a set this call creates)' : '');
    case 'created':
      return createdText(note);
    case 'removed':
      return `set ${note.semid} is removed at once, with its undo records; ` +
        'its id goes stale (EINVAL from now on)';
  }
}
