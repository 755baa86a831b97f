/**
 * What happens to a set when a process it knows is gone: exit_sem() for an undo owner, and the
 * discarding of a dead waiter's sleeping operation.
 *
 * Visible behaviour:
 * - An owner's exit adds each non-zero adjustment to its semaphore, clamped to 0..SEMVMX, and sets
 *   that semaphore's sempid to the owner's pid; semaphores with no adjustment keep theirs. otime is
 *   stamped whenever the owner had a record on the set, even an empty one. Then the sleeping
 *   operations the new values allow are completed.
 * - A waiter that died (SIGKILL) cannot learn an outcome: its operation is withdrawn unapplied, so
 *   it is neither counted in GETNCNT/GETZCNT nor completed for a process that no longer exists.
 *   So is an operation whose owner died while an svsem process slept for it; that process then
 *   fails with ESRCH.
 *
 * Differences from Linux: the kernel runs exit_sem() as the process exits. svsem learns of a death
 * later, when a command or a waiting svsem process notices that the process is gone (by boot id,
 * pid and start time), and applies the adjustments then.
 */
import { SEMVMX } from './limits.js';
import { updateQueue } from './semop.js';
import { SetWork, type SetChange } from './setwork.js';
import type { Notes } from './explain.js';
import { sameProcess, type ProcessRef, type SetState } from './types.js';

/** exit_sem() for one owner on one set. */
export function exitUndo(
  state: SetState,
  owner: ProcessRef,
  nowMs: number,
  notes: Notes = undefined,
): SetChange {
  const work = new SetWork(state, notes);
  const record = work.undoOf(owner);
  if (record === undefined) return work.finish();

  for (const [semnum, adj] of record.semadj) {
    if (adj === 0 || semnum >= state.header.nsems) continue;
    const from = work.semval(semnum);
    const semval = Math.min(Math.max(from + adj, 0), SEMVMX);
    notes?.push({ kind: 'exit-adjust', pid: owner.pid, semnum, semadj: adj, from, to: semval });
    work.setSem(semnum, { semval, sempid: owner.pid });
  }
  work.dropUndo(owner);
  notes?.push({ kind: 'undo-record', pid: owner.pid, created: false });
  updateQueue(work, nowMs);
  work.touchOtime(nowMs);
  return work.finish();
}

/**
 * Withdraws, unapplied, every sleeping operation that `proc` waits in or acts for: a dead
 * waiter cannot learn an outcome, and an operation for a dead owner would act for a process
 * that no longer exists (with SEM_UNDO, leave adjustments nobody will ever undo in its lifetime).
 */
export function discardProcess(state: SetState, proc: ProcessRef): SetState {
  const concerns = (op: SetState['pending'][number]) =>
    sameProcess(op.waiter, proc) || sameProcess(op.owner, proc);
  const pending = state.pending.filter((op) => !concerns(op));
  return pending.length === state.pending.length ? state : { ...state, pending };
}
