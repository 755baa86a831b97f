/**
 * The narrow interface between svsem's semantics and where its state is kept.
 *
 * A step works like this: storage opens one write transaction, the registry layer loads what the
 * step needs through a RegistryTxn, calls the core's pure step function, and writes the result
 * through the same RegistryTxn before the transaction commits. Nothing else reads or writes
 * state, so the single-writer rule of the backend (SQLite's BEGIN IMMEDIATE) is the whole of
 * svsem's locking: every function of RegistryTxn may assume it runs inside that one transaction.
 *
 * `transaction` completes asynchronously so that a backend on a database server can implement it;
 * the work inside is synchronous, which suits SQLite (better-sqlite3 answers at once) and keeps
 * any await from splitting a transaction. A networked backend would prefetch what a step needs
 * (one set and its queue, or a key) before calling the work.
 */
import type { FirstFreeIndex, IdsState } from '../core/ids.js';
import type { SetChange } from '../core/setwork.js';
import type {
  PendingOp,
  PendingOutcome,
  ProcessRef,
  SemId,
  SemKey,
  SemSetHeader,
  SetState,
} from '../core/types.js';

/** A sleeping operation's state as its waiter sees it. */
export type WaitState = 'waiting' | PendingOutcome['result'] | 'gone';

/** What may be read outside a write transaction: a waiter's look at its own state. */
export interface RegistryReader {
  waitState(seq: number): WaitState;
  /** Every process the registry refers to: waiters and undo owners. */
  processes(): ProcessRef[];
}

export interface RegistryTxn extends RegistryReader {
  /** The allocator state and usage counters. */
  ids(): IdsState;
  readonly firstFreeIndex: FirstFreeIndex;
  /** Highest index in use, -1 if the registry has no set. */
  highestIndex(): number;
  findByKey(key: SemKey): SemSetHeader | undefined;
  /** The set with this id, or undefined if its index is free or holds another seq (stale id). */
  loadSet(id: SemId): SetState | undefined;
  loadSetByIndex(index: number): SetState | undefined;
  listSets(): SemSetHeader[];
  /** The sets that have sleeping operations or undo records, in index order. */
  activeSets(): SemId[];
  insertSet(state: SetState, ids: IdsState): void;
  /** Writes what a step changed (`before` is what loadSet returned). */
  saveSet(before: SetState, change: SetChange): void;
  /** Deletes the set with its semaphores and undo records, and writes the outcomes. */
  removeSet(before: SetState, change: SetChange): void;
  /** Queues a sleeping operation; returns its arrival number. */
  insertPending(semid: SemId, op: Omit<PendingOp, 'seq'>): number;
  deletePending(seq: number): void;
  /** Sets on which `proc` sleeps or holds an undo record. */
  setsReferring(proc: ProcessRef): SemId[];
  /** Deletes resolved operations whose waiter is `proc` (it will never read them). */
  deleteResolvedOf(proc: ProcessRef): void;
}

export interface RegistryStore {
  /** Where the registry lives, for messages. */
  readonly location: string;
  transaction<T>(work: (txn: RegistryTxn) => T): Promise<T>;
  /** A sync variant for callers that cannot wait (signal handlers withdrawing an operation). */
  transactionSync<T>(work: (txn: RegistryTxn) => T): T;
  /**
   * Reads without taking the write lock; each read sees a committed state, but two reads may see
   * different ones. For a sleeping waiter's frequent look at whether anything concerns it.
   */
  readSync<T>(work: (reader: RegistryReader) => T): T;
  close(): void;
}
