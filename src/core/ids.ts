/**
 * Identifier allocation, as Linux ipc/util.c ipc_idr_alloc() does it in a new IPC namespace.
 *
 * Visible behaviour:
 * - An id is seq * IPCMNI + index. Indexes are handed out cyclically: the search starts after the
 *   last index allocated and wraps to 0 only when it passes max(64, in_use * 3 / 2) (at most
 *   IPCMNI), so a removed id is not reused at once.
 * - seq grows by one each time the chosen index is not above the previous one (a wrap), cycling
 *   through 0 .. SEQ_MAX - 1. A lookup checks index and seq, so a stale id gives EINVAL.
 * - A new registry starts where a new namespace starts: first id 0, seq 0.
 *
 * Implementation notes: the kernel's idr keeps its own cursor (idr_next); it always equals
 * lastIdx + 1 here, so one number is stored. Finding the lowest free index in a window is a
 * question for storage (`firstFree`), so the core never needs the whole index table.
 */
import { IPCMNI, IPC_MIN_CYCLE, SEQ_MAX } from './limits.js';
import { asSemId, type SemId } from './types.js';

/** The allocator state and usage counters of one registry (struct ipc_ids + used_sems). */
export interface IdsState {
  readonly lastIdx: number;
  readonly seq: number;
  /** Number of sets in use. */
  readonly inUse: number;
  /** Number of semaphores in all sets. */
  readonly usedSems: number;
}

export const NEW_NAMESPACE: IdsState = { lastIdx: -1, seq: 0, inUse: 0, usedSems: 0 };

/** Lowest free index in [from, toExclusive), or undefined if every one is taken. */
export type FirstFreeIndex = (from: number, toExclusive: number) => number | undefined;

export function idToIndex(id: number): number {
  return id % IPCMNI;
}

export function idToSeq(id: number): number {
  return Math.floor(id / IPCMNI);
}

export function makeId(seq: number, index: number): SemId {
  return asSemId(seq * IPCMNI + index);
}

/**
 * idr_alloc_cyclic() plus the seq bump of ipc_idr_alloc(). Returns the new id and the allocator
 * state after it, or undefined when no index is free (the caller has checked SEMMNI first, so
 * that cannot happen while in_use < SEMMNI).
 */
export function allocateId(
  ids: IdsState,
  firstFree: FirstFreeIndex,
): { id: SemId; index: number; seq: number; next: IdsState } | undefined {
  const maxIdx = Math.min(Math.max(Math.floor((ids.inUse * 3) / 2), IPC_MIN_CYCLE), IPCMNI);
  const cursor = ids.lastIdx + 1;
  let index = cursor < maxIdx ? firstFree(cursor, maxIdx) : undefined;
  if (index === undefined && cursor > 0) index = firstFree(0, maxIdx);
  if (index === undefined) return undefined;

  let seq = ids.seq;
  if (index <= ids.lastIdx) {
    seq += 1;
    if (seq >= SEQ_MAX) seq = 0;
  }
  const next: IdsState = { ...ids, lastIdx: index, seq, inUse: ids.inUse + 1 };
  return { id: makeId(seq, index), index, seq, next };
}

