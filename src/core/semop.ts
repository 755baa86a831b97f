/**
 * semop(2) and the wake-up of sleeping operations, as Linux ipc/sem.c do_semtimedop(),
 * perform_atomic_semop() and update_queue() define them.
 *
 * Visible behaviour:
 * - Checks in the kernel's order: E2BIG (more than SEMOPM sops), EINVAL (no sops) in
 *   checkSemopArgs(); EINVAL (no such set; the caller's lookup), EFBIG (a semnum beyond the set),
 *   EACCES (alter if any sop changes a value, else read) in semop(); then the attempt.
 * - The sops are evaluated in array order on a scratch copy, each seeing the values the earlier
 *   ones produced (performAtomicSemop). The first sop that cannot proceed decides: with its own
 *   IPC_NOWAIT the call fails with EAGAIN, otherwise it sleeps, counted on that sop's semaphore
 *   (GETNCNT for a decrement, GETZCNT for wait-for-zero). A value above SEMVMX or an undo
 *   adjustment outside -(SEMAEM+1)..SEMAEM fails the call with ERANGE. All or nothing.
 * - On success every semaphore named in the sops gets sempid := the acting process, the set gets
 *   otime := now, and SEM_UNDO sops subtract their sem_op from the owner's semadj.
 * - The first semop with SEM_UNDO on a set creates the owner's undo record before anything else is
 *   checked, so even a call that then fails with EFBIG, EACCES or EAGAIN leaves an (empty) record;
 *   the owner's exit then stamps otime (find_alloc_undo()).
 * - After any change, updateQueue() completes sleeping operations for their waiters: it scans them
 *   in arrival order, performs each that can now run (with the waiter's pid and undo), fails those
 *   that now stop at an IPC_NOWAIT sop (EAGAIN) or overflow (ERANGE), and rescans after each
 *   completion. A later small decrement thus overtakes an earlier large one, and the older of two
 *   that can both run wins.
 *
 * Differences from Linux:
 * - Linux keeps per-semaphore queues for single-sop operations and a global queue for the rest,
 *   and rescans only what a change can affect; svsem keeps one queue per set and rescans it all,
 *   which completes the same operations in the same order with a simpler proof.
 * - Timeouts and signals are the waiter's business, outside this pure module.
 */
import { SemError, type Errno } from './errno.js';
import { S_IRUGO, S_IWUGO, ipcperms } from './ipcperm.js';
import type { Notes, SopVerdict } from './explain.js';
import { SEMAEM, SEMOPM, SEMVMX } from './limits.js';
import { SetWork, type SetChange } from './setwork.js';
import type {
  BlockedOn,
  Credentials,
  PendingOp,
  ProcessRef,
  Sembuf,
  SetState,
} from './types.js';

/** The result of one attempt: done, must sleep, or failed. */
export type Attempt =
  | { readonly kind: 'done' }
  | { readonly kind: 'block'; readonly blocked: BlockedOn }
  | {
    readonly kind: 'error'; readonly errno: 'EAGAIN' | 'ERANGE'; readonly sop: Sembuf;
    /** ERANGE from the undo adjustment rather than the value. */
    readonly undo?: boolean;
  };

/** A semop call as the caller presents it. */
export interface SemopCall {
  readonly sops: readonly Sembuf[];
  /** The process the call acts for: sempid, and the owner of SEM_UNDO adjustments. */
  readonly owner: ProcessRef;
  /** The svsem process that would sleep. */
  readonly waiter: ProcessRef;
}

/** What semop() decided, with the state to store (which changes even on some errors). */
export type SemopStep =
  | { readonly kind: 'done'; readonly change: SetChange }
  | { readonly kind: 'block'; readonly blocked: BlockedOn; readonly change: SetChange }
  | { readonly kind: 'error'; readonly error: SemError; readonly change: SetChange };

/** The checks that need no set: nsops bounds (do_semtimedop). */
export function checkSemopArgs(sops: readonly Sembuf[]): void {
  if (sops.length > SEMOPM) {
    throw new SemError('E2BIG', `${sops.length} operations are more than SEMOPM (${SEMOPM})`);
  }
  if (sops.length === 0) throw new SemError('EINVAL', 'no operation given');
}

/** True if any sop changes a value: the call then needs alter permission, else read. */
export function semopAlters(sops: readonly Sembuf[]): boolean {
  return sops.some((sop) => sop.semop !== 0);
}

/**
 * perform_atomic_semop(): tries the sops on `work` for `owner`. On 'done' the values, semadj and
 * sempids in `work` are updated; otherwise `work` is as it was.
 */
export function performAtomicSemop(
  work: SetWork,
  sops: readonly Sembuf[],
  owner: ProcessRef,
  nowMs: number,
  notes: Notes = undefined,
): Attempt {
  const values = new Map<number, number>();
  const adjs = new Map<number, number>();
  const record = sops.some((sop) => sop.undo) ? work.undoFor(owner, nowMs) : undefined;

  for (let index = 0; index < sops.length; index++) {
    const sop = sops[index]!;
    const current = values.get(sop.semnum) ?? work.semval(sop.semnum);
    const result = current + sop.semop;
    const note = (verdict: SopVerdict, semadj?: readonly [number, number]) =>
      notes?.push({ kind: 'sop', index, sop, value: current, verdict, semadj });
    if ((sop.semop === 0 && current !== 0) || result < 0) {
      note(sop.nowait ? 'EAGAIN' : 'blocks');
      if (sop.nowait) return { kind: 'error', errno: 'EAGAIN', sop };
      const kind = sop.semop === 0 ? 'zcnt' : 'ncnt';
      return { kind: 'block', blocked: { semnum: sop.semnum, kind } };
    }
    if (result > SEMVMX) {
      note('ERANGE');
      return { kind: 'error', errno: 'ERANGE', sop };
    }
    if (sop.undo && record !== undefined) {
      const before = adjs.get(sop.semnum) ?? record.semadj.get(sop.semnum) ?? 0;
      const adj = before - sop.semop;
      if (adj < -SEMAEM - 1 || adj > SEMAEM) {
        note('ERANGE-undo', [before, adj]);
        return { kind: 'error', errno: 'ERANGE', sop, undo: true };
      }
      note('ok', [before, adj]);
      adjs.set(sop.semnum, adj);
    } else {
      note('ok');
    }
    values.set(sop.semnum, result);
  }

  for (const [semnum, semval] of values) work.setSem(semnum, { semval, sempid: owner.pid });
  for (const [semnum, adj] of adjs) record?.semadj.set(semnum, adj);
  notes?.push({ kind: 'applied', pid: owner.pid, semnums: [...values.keys()] });
  return { kind: 'done' };
}

/**
 * update_queue(): completes every sleeping operation that the last change made possible, in
 * arrival order, restarting the scan after each completion since it may enable older ones.
 * Returns true if any operation completed (the caller then stamps otime).
 */
export function updateQueue(work: SetWork, nowMs: number): boolean {
  let completed = false;
  let restart = true;
  if (work.pending.length > 0) work.notes?.push({ kind: 'scan', waiting: work.pending.length });
  while (restart) {
    restart = false;
    const still: PendingOp[] = [];
    for (let i = 0; i < work.pending.length; i++) {
      const op = work.pending[i]!;
      if (restart) {
        still.push(op);
        continue;
      }
      const attempt = performAtomicSemop(work, op.sops, op.owner, nowMs);
      const pid = op.owner.pid;
      if (attempt.kind === 'block') {
        still.push({ ...op, blocked: attempt.blocked });
        work.notes?.push({ kind: 'still', seq: op.seq, pid, blocked: attempt.blocked });
      } else {
        const result = attempt.kind === 'error' ? attempt.errno : 'done';
        work.outcomes.push({ seq: op.seq, result });
        work.notes?.push({ kind: 'resolved', seq: op.seq, pid, result });
        if (result === 'done') {
          completed = true;
          restart = true;
        }
      }
    }
    work.pending = still;
  }
  return completed;
}

function failureMessage(attempt: Extract<Attempt, { kind: 'error' }>): string {
  const { sop } = attempt;
  if (attempt.errno === 'EAGAIN') {
    return sop.semop === 0
      ? `semaphore ${sop.semnum} is not zero and IPC_NOWAIT is set`
      : `semaphore ${sop.semnum} cannot be decreased by ${-sop.semop} now and IPC_NOWAIT is set`;
  }
  if (attempt.undo) {
    return `operation ${sop.semop} on semaphore ${sop.semnum} would take its undo adjustment ` +
      `outside ${-SEMAEM - 1}..${SEMAEM} (SEMAEM)`;
  }
  return `operation ${sop.semop} on semaphore ${sop.semnum} would take its value above ` +
    `SEMVMX (${SEMVMX})`;
}

/**
 * semop() on a set the caller has found: the checks from EFBIG on, then one attempt. A call that
 * must sleep is returned as 'block' with the state unchanged apart from a new undo record; the
 * caller queues it (queueOperation) or turns it into EAGAIN (a zero timeout).
 */
export function semop(
  state: SetState,
  call: SemopCall,
  cred: Credentials,
  nowMs: number,
  notes: Notes = undefined,
): SemopStep {
  const work = new SetWork(state, notes);
  if (call.sops.some((sop) => sop.undo)) work.undoFor(call.owner, nowMs);

  const fail = (errno: Errno, detail: string): SemopStep =>
    ({ kind: 'error', error: new SemError(errno, detail), change: work.finish() });

  const nsems = state.header.nsems;
  const beyond = call.sops.find((sop) => sop.semnum >= nsems);
  if (beyond !== undefined) {
    return fail('EFBIG', `semaphore ${beyond.semnum} is beyond the set's ${nsems} semaphores`);
  }
  const alter = semopAlters(call.sops);
  if (!ipcperms(state.header.perm, cred, alter ? S_IWUGO : S_IRUGO)) {
    return fail('EACCES', `no ${alter ? 'alter' : 'read'} permission on set ${state.header.id}`);
  }

  notes?.push({ kind: 'attempt', pid: call.owner.pid, sops: call.sops });
  const attempt = performAtomicSemop(work, call.sops, call.owner, nowMs, notes);
  if (attempt.kind === 'error') {
    return fail(attempt.errno, failureMessage(attempt));
  }
  if (attempt.kind === 'block') {
    notes?.push({ kind: 'sleeps', blocked: attempt.blocked });
    return { kind: 'block', blocked: attempt.blocked, change: work.finish() };
  }
  work.touchOtime(nowMs);
  if (alter) updateQueue(work, nowMs);
  return { kind: 'done', change: work.finish() };
}

/** Appends a sleeping operation at the tail of the set's queue. */
export function queueOperation(state: SetState, op: PendingOp): SetState {
  return { ...state, pending: [...state.pending, op] };
}

/** Withdraws a sleeping operation (signal, timeout, or its waiter found dead). */
export function withdrawOperation(state: SetState, seq: number): SetState {
  return { ...state, pending: state.pending.filter((op) => op.seq !== seq) };
}

/** GETNCNT / GETZCNT: sleeping operations counted on one semaphore (count_semcnt()). */
export function countWaiters(state: SetState, semnum: number, kind: 'ncnt' | 'zcnt'): number {
  return state.pending.filter((op) => op.blocked.semnum === semnum && op.blocked.kind === kind)
    .length;
}
