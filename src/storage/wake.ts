/**
 * Waking waiters through the filesystem: each sleeping operation has a small file beside the
 * registry (PATH.wake-SEQ, SEQ its arrival number), which its waiter creates and watches
 * (inotify through fs.watch). A transaction that resolved sleeping operations writes to their
 * files once it has committed, so exactly the processes released wake, not every sleeper; and it
 * deletes the files of the operations it deleted. The watch is only a fast path: waiters also
 * poll, so a lost notification (a file this user may not write) costs at most one polling
 * interval.
 */
import {
  closeSync, constants, openSync, unlinkSync, watch, writeSync, type FSWatcher,
} from 'node:fs';
import { basename, dirname } from 'node:path';

export function wakePath(registryPath: string, seq: number): string {
  return `${registryPath}.wake-${seq}`;
}

/**
 * Wakes the waiter of sleeping operation `seq`. The file is never created here: a waiter that has
 * not made it yet reads its outcome once it does. Best effort, as every step of a wake-up.
 */
export function notifyWaiter(registryPath: string, seq: number): void {
  try {
    const fd = openSync(wakePath(registryPath, seq), constants.O_WRONLY | constants.O_NOFOLLOW);
    try {
      writeSync(fd, '!');
    } finally {
      closeSync(fd);
    }
  } catch {
    // Gone (its waiter finished) or not writable to this user: the waiter polls.
  }
}

/** Deletes the file of a sleeping operation that no longer exists. */
export function forgetWaiter(registryPath: string, seq: number): void {
  try {
    unlinkSync(wakePath(registryPath, seq));
  } catch {
    // Never made, or already deleted.
  }
}

/**
 * Calls `onWake` whenever sleeping operation `seq` may have an outcome; returns a function that
 * stops watching. The caller reads its state after this returns, so a notification sent before
 * the watch began is not lost.
 */
export function watchWakes(registryPath: string, seq: number, onWake: () => void): () => void {
  const path = wakePath(registryPath, seq);
  let watcher: FSWatcher | undefined;
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600));
    watcher = watch(path, { persistent: false }, onWake);
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined; // polling alone
  }
  return () => watcher?.close();
}

/**
 * Calls `onChange` after any commit to the registry, by anyone, for views that show it live
 * (svsem watch). Every commit writes the write-ahead log beside the file (PATH-wal), and a
 * checkpoint writes the file itself, so watching their folder sees every change at no cost to
 * the writers. Events come in bursts: the caller should coalesce them, and poll as well, since
 * a watch can fail (a folder on a network file system).
 */
export function watchChanges(registryPath: string, onChange: () => void): () => void {
  const base = basename(registryPath);
  const names = new Set([base, `${base}-wal`]);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(registryPath), { persistent: false }, (_event, name) => {
      if (name === null || names.has(String(name))) onChange();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined; // polling alone
  }
  return () => watcher?.close();
}
