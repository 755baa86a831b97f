/**
 * The plain records the semantics work on. Every field here is stored in the registry unless it
 * says otherwise; nothing is derived from process state. Times are seconds since the epoch (as
 * the kernel keeps sem_otime and sem_ctime), 0 meaning "never".
 */

/** A System V IPC key: any signed 32-bit integer; 0 is IPC_PRIVATE. */
export type SemKey = number & { readonly __brand: 'SemKey' };
/** A semaphore set identifier: seq * IPCMNI + index, never negative. */
export type SemId = number & { readonly __brand: 'SemId' };

export const IPC_PRIVATE = 0 as SemKey;

export function asKey(n: number): SemKey {
  return (n | 0) as SemKey; // wrap into int32 as key_t does
}

export function asSemId(n: number): SemId {
  return n as SemId;
}

/** The credentials a call is checked against; uid 0 holds every capability. */
export interface Credentials {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

/**
 * A process as svsem identifies it across invocations: the boot, the pid and the pid's start time
 * (clock ticks since boot, field 22 of /proc/PID/stat), so that a reused pid or a pid from before a
 * reboot is never taken for the original process.
 */
export interface ProcessRef {
  readonly pid: number;
  readonly start: number;
  readonly boot: string;
}

export function sameProcess(a: ProcessRef, b: ProcessRef): boolean {
  return a.pid === b.pid && a.start === b.start && a.boot === b.boot;
}

/** struct ipc_perm as a semaphore set carries it. */
export interface IpcPerm {
  readonly key: SemKey;
  readonly uid: number;
  readonly gid: number;
  readonly cuid: number;
  readonly cgid: number;
  /** The low nine permission bits (mode & 0777). */
  readonly mode: number;
  readonly seq: number;
}

/** One semaphore: struct sem without its queues (those are the pending operations). */
export interface Semaphore {
  readonly semval: number;
  /** The pid of the process that last changed or waited on it, 0 if none. */
  readonly sempid: number;
}

/** A set's header: struct semid_ds plus its index in the id space. */
export interface SemSetHeader {
  readonly id: SemId;
  readonly index: number;
  readonly perm: IpcPerm;
  readonly nsems: number;
  readonly otime: number;
  readonly ctime: number;
}

/** One element of a semop call (struct sembuf). */
export interface Sembuf {
  readonly semnum: number;
  readonly semop: number;
  readonly nowait: boolean;
  readonly undo: boolean;
}

/** Where a sleeping operation is counted: GETNCNT (decrement) or GETZCNT (wait-for-zero). */
export interface BlockedOn {
  readonly semnum: number;
  readonly kind: 'ncnt' | 'zcnt';
}

/**
 * A semop call that could not proceed and sleeps (struct sem_queue). `waiter` is the svsem
 * process that sleeps; `owner` is the process it acts for (sempid, undo). `seq` is the arrival
 * order, assigned by storage and unique across the registry.
 */
export interface PendingOp {
  readonly seq: number;
  readonly sops: readonly Sembuf[];
  readonly waiter: ProcessRef;
  readonly owner: ProcessRef;
  readonly blocked: BlockedOn;
  /** Milliseconds since the epoch when it started to wait. */
  readonly since: number;
  readonly cmdline: string;
}

/** The adjustments one owner holds on one set (struct sem_undo); absent entries are 0. */
export interface UndoRecord {
  readonly owner: ProcessRef;
  readonly semadj: ReadonlyMap<number, number>;
  /** Milliseconds since the epoch when the record was created. */
  readonly since: number;
}

/** How a pending operation ended when someone else resolved it. */
export interface PendingOutcome {
  readonly seq: number;
  readonly result: 'done' | 'EAGAIN' | 'ERANGE' | 'EIDRM';
}

/** Everything a step on one set reads and writes. */
export interface SetState {
  readonly header: SemSetHeader;
  readonly sems: readonly Semaphore[];
  /** Sleeping operations in arrival order. */
  readonly pending: readonly PendingOp[];
  readonly undo: readonly UndoRecord[];
}
