/**
 * What a step did, as data, for --explain: the semantics record a Note at each decision when the
 * caller asks for them (a step given no notes array records nothing and pays nothing), and the
 * command edge turns them into sentences (src/format/explain.ts). Notes name semaphores by
 * number and processes by pid, as GETPID and ipcs do.
 */
import type { BlockedOn, Sembuf } from './types.js';

/** How one sop fared against the value it met. */
export type SopVerdict = 'ok' | 'blocks' | 'EAGAIN' | 'ERANGE' | 'ERANGE-undo';

export type Note =
  /** A semop attempt begins: for the caller, or re-evaluating sleeping operation `seq`. */
  | {
    readonly kind: 'attempt'; readonly pid: number; readonly sops: readonly Sembuf[];
    readonly seq?: number;
  }
  /** One sop evaluated against the value the earlier sops of the call left. */
  | {
    readonly kind: 'sop'; readonly index: number; readonly sop: Sembuf; readonly value: number;
    readonly verdict: SopVerdict; readonly semadj?: readonly [number, number];
  }
  /** Every sop could proceed: the values and pids were stored. */
  | { readonly kind: 'applied'; readonly pid: number; readonly semnums: readonly number[] }
  /** The call sleeps, counted in GETNCNT or GETZCNT of one semaphore. */
  | { readonly kind: 'sleeps'; readonly blocked: BlockedOn }
  /** The queue of sleeping operations is scanned after a change (update_queue()). */
  | { readonly kind: 'scan'; readonly waiting: number }
  /** A sleeping operation stays asleep, now counted here. */
  | {
    readonly kind: 'still'; readonly seq: number; readonly pid: number;
    readonly blocked: BlockedOn;
  }
  /** A sleeping operation resolved for its waiter. */
  | {
    readonly kind: 'resolved'; readonly seq: number; readonly pid: number;
    readonly result: 'done' | 'EAGAIN' | 'ERANGE' | 'EIDRM';
  }
  | { readonly kind: 'time'; readonly field: 'otime' | 'ctime'; readonly seconds: number }
  /** SETVAL or SETALL wrote a value. */
  | {
    readonly kind: 'set'; readonly semnum: number; readonly from: number; readonly to: number;
    readonly pid: number;
  }
  /** SETVAL/SETALL cleared adjustments of `records` undo records (semnum undefined: all). */
  | { readonly kind: 'undo-cleared'; readonly semnum?: number; readonly records: number }
  /** An owner's exit adjusted a semaphore (clamped to 0..SEMVMX). */
  | {
    readonly kind: 'exit-adjust'; readonly pid: number; readonly semnum: number;
    readonly semadj: number;
    readonly from: number; readonly to: number;
  }
  /** A process the registry refers to was found gone. */
  | { readonly kind: 'dead'; readonly pid: number; readonly semid: number }
  /** A sleeping call learnt how its operation ended, or gave up (timeout, signal). */
  | { readonly kind: 'woken'; readonly result: string }
  | { readonly kind: 'withdrawn'; readonly reason: string }
  /** semget found the key's set, which it leaves as it is. */
  | {
    readonly kind: 'found'; readonly key: number; readonly semid: number;
    readonly initIgnored: boolean;
  }
  /** semget made a set (newary()): its id from index and sequence number, and what it holds. */
  | {
    readonly kind: 'created'; readonly key: number; readonly semid: number; readonly index: number;
    readonly seq: number; readonly nsems: number; readonly mode: number; readonly init?: number;
  }
  /** IPC_RMID: the set is gone, with its undo records; its sleepers are woken with EIDRM. */
  | { readonly kind: 'removed'; readonly semid: number }
  /** The undo record of `pid` was created (find_alloc_undo()) or dropped. */
  | { readonly kind: 'undo-record'; readonly pid: number; readonly created: boolean };

/** Where a step records its notes; undefined when nobody asked. */
export type Notes = Note[] | undefined;
