/**
 * Waking waiters with a signal: once a transaction that released sleeping operations has
 * committed, it sends SIGURG to each released waiter's process, which then reads its outcome.
 *
 * - It is the fast path wherever it reaches: a registry that only its owner may write, whose
 *   writers are that user and root, who may signal the owner's processes. A waiter on a registry
 *   that other users write (who may not signal it) watches the wake file as well
 *   (src/storage/wake.ts); polling backs both.
 * - SIGURG because its default action is to be ignored: a process that took the pid of a waiter
 *   that has just died is not harmed by one, and the pid's start time is checked first anyway.
 * - Why not the wake file alone: a process that watched a file through inotify pays, as it exits,
 *   for the kernel to tear the watch down (it waits out an SRCU grace period: 0 to 25 ms on the
 *   machine of BENCHMARKS.md, 13 ms typical), and a sleeping svsem command finishes its wake-up
 *   only by exiting.
 */
import { statSync } from 'node:fs';
import type { ProcessRef } from '../core/types.js';
import { isAlive } from '../process.js';

/** Sends SIGURG to each waiter still running. Best effort: a waiter not reached polls. */
export function signalWaiters(waiters: readonly ProcessRef[]): void {
  for (const waiter of waiters) {
    if (!isAlive(waiter)) continue;
    try {
      process.kill(waiter.pid, 'SIGURG');
    } catch {
      // EPERM: another user's process, which watches the wake file; ESRCH: it just ended.
    }
  }
}

/** Whether every process that may write the registry may also signal this one. */
export function signalsReachUs(registryPath: string): boolean {
  try {
    const st = statSync(registryPath);
    return st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Calls `onWake` on every SIGURG this process receives; returns a function that stops. */
export function onWakeSignal(onWake: () => void): () => void {
  process.on('SIGURG', onWake);
  return () => process.off('SIGURG', onWake);
}
