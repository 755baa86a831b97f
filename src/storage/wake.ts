/**
 * Waking waiters through the filesystem: after a transaction that changed the registry commits,
 * the writer rewrites a small file beside it (PATH.wake); a sleeping svsem watches that file
 * (inotify through fs.watch) and re-reads its state when it changes. The watch is only a fast path:
 * waiters also poll, so a lost notification costs at most one polling interval.
 */
import { closeSync, constants, openSync, watch, writeSync, type FSWatcher } from 'node:fs';

export function wakePath(registryPath: string): string {
  return `${registryPath}.wake`;
}

function openWakeFile(path: string): number {
  return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
}

/** Signals every watcher of the registry. Best effort: a failure only delays waiters to their poll. */
export function notifyWaiters(registryPath: string): void {
  try {
    const fd = openWakeFile(wakePath(registryPath));
    try {
      writeSync(fd, String(Date.now()));
    } finally {
      closeSync(fd);
    }
  } catch {
    // The folder may be read-only to this user; waiters will notice at their next poll.
  }
}

/** Calls `onWake` whenever the registry signals; returns a function that stops watching. */
export function watchWakes(registryPath: string, onWake: () => void): () => void {
  const path = wakePath(registryPath);
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
