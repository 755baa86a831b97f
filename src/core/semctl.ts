/**
 * semctl(2) commands on one set, as Linux ipc/sem.c semctl_main(), semctl_setval(),
 * semctl_stat(), semctl_down() and semctl_info() define them.
 *
 * Visible behaviour (checks in the kernel's order; the set lookup, EINVAL, is the caller's):
 * - Readers (IPC_STAT, GETVAL, GETPID, GETNCNT, GETZCNT, GETALL) need read permission (EACCES),
 *   which is checked before a bad semnum (EINVAL). They change nothing, not even ctime.
 * - SETVAL: a negative semid is EINVAL, then a value outside 0..SEMVMX is ERANGE, both before
 *   the set is looked up (checkSetvalArg: ksys_semctl() refuses a negative semid for every
 *   command, then semctl_setval() checks the value); then a bad semnum is EINVAL before
 *   permission (EACCES). It sets the value
 *   and sempid, clears that semaphore's adjustment in every undo record, stamps ctime, and
 *   completes the sleeping operations it makes possible (stamping otime if any completed).
 * - SETALL: EACCES, then ERANGE if any value is above SEMVMX (nothing changes). Sets every value
 *   and sempid, clears every adjustment, stamps ctime, completes sleepers.
 * - IPC_SET and IPC_RMID: owner, creator or root, else EPERM; no mode bits are needed. IPC_SET
 *   changes uid, gid and mode & 0777 and stamps ctime; cuid and cgid never change. IPC_RMID wakes
 *   every sleeper with EIDRM and discards every undo record.
 *
 * Differences from Linux: SETALL with a number of values other than nsems is EINVAL (the kernel
 * reads exactly nsems values from memory and cannot see a count).
 */
import { SemError } from './errno.js';
import { S_IRUGO, S_IWUGO, ipcperms, isOwnerOrCreator } from './ipcperm.js';
import {
  SEMAEM, SEMMAP, SEMMNI, SEMMNS, SEMMNU, SEMMSL, SEMOPM, SEMUME, SEMUSZ, SEMVMX,
} from './limits.js';
import { countWaiters, updateQueue } from './semop.js';
import { SetWork, type SetChange } from './setwork.js';
import type { Notes } from './explain.js';
import type { Credentials, SemSetHeader, SetState } from './types.js';

function checkRead(header: SemSetHeader, cred: Credentials): void {
  if (!ipcperms(header.perm, cred, S_IRUGO)) {
    throw new SemError('EACCES', `no read permission on set ${header.id}`);
  }
}

function checkAlter(header: SemSetHeader, cred: Credentials): void {
  if (!ipcperms(header.perm, cred, S_IWUGO)) {
    throw new SemError('EACCES', `no alter permission on set ${header.id}`);
  }
}

function checkSemnum(header: SemSetHeader, semnum: number): void {
  if (!Number.isInteger(semnum) || semnum < 0 || semnum >= header.nsems) {
    throw new SemError('EINVAL',
      `semaphore ${semnum} is outside the set's ${header.nsems} semaphores ` +
      `(0..${header.nsems - 1})`);
  }
}

function checkOwner(header: SemSetHeader, cred: Credentials, what: string): void {
  if (!isOwnerOrCreator(header.perm, cred)) {
    throw new SemError('EPERM', `only the owner or creator of set ${header.id} may ${what} it`);
  }
}

function checkValue(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > SEMVMX) {
    throw new SemError('ERANGE', `value ${value} is outside 0..SEMVMX (${SEMVMX})`);
  }
}

/** IPC_STAT: the set's semid_ds. */
export function ipcStat(state: SetState, cred: Credentials): SemSetHeader {
  checkRead(state.header, cred);
  return state.header;
}

/** The per-semaphore readers: GETVAL, GETPID, GETNCNT, GETZCNT. */
export type SemReader = 'getval' | 'getpid' | 'getncnt' | 'getzcnt';

export function getSem(state: SetState, cred: Credentials, cmd: SemReader, semnum: number): number {
  checkRead(state.header, cred);
  checkSemnum(state.header, semnum);
  const sem = state.sems[semnum]!;
  switch (cmd) {
    case 'getval':
      return sem.semval;
    case 'getpid':
      return sem.sempid;
    case 'getncnt':
      return countWaiters(state, semnum, 'ncnt');
    case 'getzcnt':
      return countWaiters(state, semnum, 'zcnt');
  }
}

/** GETALL. */
export function getAll(state: SetState, cred: Credentials): number[] {
  checkRead(state.header, cred);
  return state.sems.map((sem) => sem.semval);
}

/** The SETVAL checks made before the set is looked up. */
export function checkSetvalArg(semid: number, value: number): void {
  if (semid < 0) throw new SemError('EINVAL', `no semaphore set has id ${semid}`);
  checkValue(value);
}

/** SETVAL, acting for the process `pid`. */
export function setVal(
  state: SetState,
  cred: Credentials,
  semnum: number,
  value: number,
  pid: number,
  nowMs: number,
  notes: Notes = undefined,
): SetChange {
  checkValue(value);
  checkSemnum(state.header, semnum);
  checkAlter(state.header, cred);

  const work = new SetWork(state, notes);
  notes?.push({ kind: 'set', semnum, from: work.semval(semnum), to: value, pid });
  work.setSem(semnum, { semval: value, sempid: pid });
  for (const record of work.undo) record.semadj.delete(semnum);
  const records = work.undo.length;
  if (records > 0) notes?.push({ kind: 'undo-cleared', semnum, records });
  return settle(work, nowMs);
}

/** SETALL, acting for the process `pid`. */
export function setAll(
  state: SetState,
  cred: Credentials,
  values: readonly number[],
  pid: number,
  nowMs: number,
  notes: Notes = undefined,
): SetChange {
  checkAlter(state.header, cred);
  if (values.length !== state.header.nsems) {
    throw new SemError('EINVAL',
      `set ${state.header.id} has ${state.header.nsems} semaphores but ${values.length} ` +
      'values were given');
  }
  values.forEach(checkValue);

  const work = new SetWork(state, notes);
  values.forEach((semval, semnum) => {
    notes?.push({ kind: 'set', semnum, from: work.semval(semnum), to: semval, pid });
    work.setSem(semnum, { semval, sempid: pid });
  });
  for (const record of work.undo) record.semadj.clear();
  if (work.undo.length > 0) notes?.push({ kind: 'undo-cleared', records: work.undo.length });
  return settle(work, nowMs);
}

/** After SETVAL/SETALL: ctime, then the sleepers the new values release (do_smart_update()). */
function settle(work: SetWork, nowMs: number): SetChange {
  work.touchCtime(nowMs);
  if (updateQueue(work, nowMs)) work.touchOtime(nowMs);
  return work.finish();
}

/** The fields IPC_SET may change; an absent one keeps its value. */
export interface IpcSetRequest {
  readonly uid?: number;
  readonly gid?: number;
  readonly mode?: number;
}

/** IPC_SET. */
export function ipcSet(
  state: SetState,
  cred: Credentials,
  req: IpcSetRequest,
  nowMs: number,
): SetChange {
  checkOwner(state.header, cred, 'change');
  for (const [name, id] of [['uid', req.uid], ['gid', req.gid]] as const) {
    if (id !== undefined && (!Number.isInteger(id) || id < 0 || id >= 0xffffffff)) {
      throw new SemError('EINVAL', `${name} ${id} is not a valid id`);
    }
  }
  const work = new SetWork(state);
  const perm = state.header.perm;
  work.header = {
    ...state.header,
    perm: {
      ...perm,
      uid: req.uid ?? perm.uid,
      gid: req.gid ?? perm.gid,
      mode: (req.mode ?? perm.mode) & 0o777,
    },
  };
  work.touchCtime(nowMs);
  return work.finish();
}

/** IPC_RMID: every sleeper learns EIDRM; the caller deletes the set and its undo records. */
export function rmid(state: SetState, cred: Credentials, notes: Notes = undefined): SetChange {
  checkOwner(state.header, cred, 'remove');
  notes?.push({ kind: 'removed', semid: state.header.id });
  const outcomes = state.pending.map((op) => ({ seq: op.seq, result: 'EIDRM' as const }));
  for (const op of state.pending) {
    notes?.push({ kind: 'resolved', seq: op.seq, pid: op.owner.pid, result: 'EIDRM' });
  }
  if (state.undo.length > 0) notes?.push({ kind: 'undo-cleared', records: state.undo.length });
  return { state: { ...state, pending: [], undo: [] }, outcomes };
}

/** SEM_STAT: like IPC_STAT, found by index; SEM_STAT_ANY skips the read check. */
export function semStat(state: SetState, cred: Credentials, any: boolean): SemSetHeader {
  if (!any) checkRead(state.header, cred);
  return state.header;
}

/** struct seminfo as IPC_INFO and SEM_INFO fill it. */
export interface SemInfo {
  readonly semmap: number;
  readonly semmni: number;
  readonly semmns: number;
  readonly semmnu: number;
  readonly semmsl: number;
  readonly semopm: number;
  readonly semume: number;
  readonly semusz: number;
  readonly semvmx: number;
  readonly semaem: number;
}

/**
 * IPC_INFO (the limits) or SEM_INFO (the same, but semusz is the number of sets and semaem the
 * number of semaphores in use). Both return the highest index in use, 0 when none is.
 */
export function semInfo(
  cmd: 'info' | 'seminfo',
  usage: { readonly inUse: number; readonly usedSems: number; readonly highestIndex: number },
): { info: SemInfo; highestIndex: number } {
  const limits: SemInfo = {
    semmap: SEMMAP,
    semmni: SEMMNI,
    semmns: SEMMNS,
    semmnu: SEMMNU,
    semmsl: SEMMSL,
    semopm: SEMOPM,
    semume: SEMUME,
    semusz: SEMUSZ,
    semvmx: SEMVMX,
    semaem: SEMAEM,
  };
  const info = cmd === 'info' ? limits
    : { ...limits, semusz: usage.inUse, semaem: usage.usedSems };
  return { info, highestIndex: Math.max(usage.highestIndex, 0) };
}
