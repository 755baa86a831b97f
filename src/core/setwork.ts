/**
 * A mutable working copy of one set's state, used inside a single pure step and frozen back into
 * a SetState at its end. Every step (semop, SETVAL, an owner's exit) copies the state it was
 * given, changes the copy, and returns it; the caller's state is never touched, so a step that
 * fails leaves nothing half-applied.
 */
import type {
  PendingOp,
  PendingOutcome,
  ProcessRef,
  SemSetHeader,
  Semaphore,
  SetState,
  UndoRecord,
} from './types.js';
import { sameProcess } from './types.js';
import type { Notes } from './explain.js';

/** What a step on a set produced. */
export interface SetChange {
  readonly state: SetState;
  readonly outcomes: readonly PendingOutcome[];
}

interface UndoWork {
  readonly owner: ProcessRef;
  readonly semadj: Map<number, number>;
  readonly since: number;
}

export class SetWork {
  header: SemSetHeader;
  readonly sems: Semaphore[];
  pending: PendingOp[];
  readonly undo: UndoWork[];
  /** Pending operations resolved during this step, for their waiters to learn. */
  readonly outcomes: PendingOutcome[] = [];

  constructor(state: SetState, readonly notes: Notes = undefined) {
    this.header = state.header;
    this.sems = [...state.sems];
    this.pending = [...state.pending];
    this.undo = state.undo.map((u) => ({ ...u, semadj: new Map(u.semadj) }));
  }

  semval(semnum: number): number {
    return this.semAt(semnum).semval;
  }

  semAt(semnum: number): Semaphore {
    const sem = this.sems[semnum];
    if (sem === undefined) throw new RangeError(`semnum ${semnum} outside the set`);
    return sem;
  }

  setSem(semnum: number, sem: Semaphore): void {
    this.sems[semnum] = sem;
  }

  undoOf(owner: ProcessRef): UndoWork | undefined {
    return this.undo.find((u) => sameProcess(u.owner, owner));
  }

  /** find_alloc_undo(): the owner's record, created empty if it has none. */
  undoFor(owner: ProcessRef, nowMs: number): UndoWork {
    let record = this.undoOf(owner);
    if (record === undefined) {
      record = { owner, semadj: new Map(), since: nowMs };
      this.undo.push(record);
      this.notes?.push({ kind: 'undo-record', pid: owner.pid, created: true });
    }
    return record;
  }

  dropUndo(owner: ProcessRef): void {
    const i = this.undo.findIndex((u) => sameProcess(u.owner, owner));
    if (i >= 0) this.undo.splice(i, 1);
  }

  touchOtime(nowMs: number): void {
    this.header = { ...this.header, otime: toSeconds(nowMs) };
    this.notes?.push({ kind: 'time', field: 'otime', seconds: this.header.otime });
  }

  touchCtime(nowMs: number): void {
    this.header = { ...this.header, ctime: toSeconds(nowMs) };
    this.notes?.push({ kind: 'time', field: 'ctime', seconds: this.header.ctime });
  }

  /** The step's result: the new state and the pending operations it resolved. */
  finish(): SetChange {
    return { state: this.freeze(), outcomes: this.outcomes };
  }

  freeze(): SetState {
    const undo: UndoRecord[] = this.undo.map((u) => ({
      owner: u.owner,
      semadj: new Map([...u.semadj].filter(([, adj]) => adj !== 0)),
      since: u.since,
    }));
    return { header: this.header, sems: this.sems, pending: this.pending, undo };
  }
}

/** The kernel keeps IPC times in whole seconds (ktime_get_real_seconds()). */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
