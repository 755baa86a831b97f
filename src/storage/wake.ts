/**
 * Waking waiters through the filesystem: after a transaction that resolved a sleeping operation
 * commits, the writer rewrites a small file beside it (PATH.wake); a sleeping svsem watches that file
 * (inotify through fs.watch) and re-reads its state when it changes. The watch is only a fast path:
 * waiters also poll, so a lost notification costs at most one polling interval.
 */
import { closeSync, constants, openSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

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

/** Creates the wake file if it is missing, as a waiter does, so that writers find it there. */
export function makeWakeFile(registryPath: string): void {
  try {
    const path = wakePath(registryPath);
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600));
  } catch {
    // Not ours to create: writers make it, or waiters poll.
  }
}

/** Calls `onWake` whenever the registry signals; returns a function that stops watching. */
export function watchWakes(registryPath: string, onWake: () => void): () => void {
  const path = wakePath(registryPath);
  let watcher: FSWatcher | undefined;
  makeWakeFile(registryPath);
  try {
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
