/**
 * Waking waiters through the filesystem: after a transaction that resolved a sleeping operation
 * commits, the writer rewrites a small file beside it (PATH.wake); a sleeping svsem that other
 * users' processes could not signal (src/storage/wake-signal.ts) watches that file (inotify
 * through fs.watch) and re-reads its state when it changes. Either is only a fast path: waiters
 * also poll, so a lost notification costs at most one polling interval.
 *
 * The wake file belongs to the registry, not to the path that named it: it sits beside the file
 * itself, through any symlink, as SQLite's -wal and -shm do, so that every path to one registry
 * shares it. It is never opened through a symlink, and a new one gets the registry's permission
 * bits (not narrowed by the umask) and, when root creates it, the registry's owner, as SQLite
 * gives -wal and -shm: whoever may write the registry may signal its waiters, and nobody else.
 */
import {
  closeSync, constants, fchmodSync, fchownSync, openSync, realpathSync, statSync, watch,
  writeSync, type FSWatcher,
} from 'node:fs';
import { basename, dirname } from 'node:path';

export function wakePath(registryPath: string): string {
  return `${realPath(registryPath)}.wake`;
}

/** The registry's own path through any symlink; the path as given if it cannot be resolved. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Opens the wake file for writing, creating it as the header says; `flags` adds O_TRUNC. */
function openWakeFile(registryPath: string, flags = 0): number {
  const path = wakePath(registryPath);
  const write = constants.O_WRONLY | constants.O_NOFOLLOW | flags;
  try {
    return openSync(path, write);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const registry = statSync(registryPath);
  const fd = openSync(path, write | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    fchmodSync(fd, registry.mode & 0o666);
    if (process.getuid?.() === 0) fchownSync(fd, registry.uid, registry.gid);
  } catch {
    // The file works as created (mode 0600, owned by its creator).
  }
  return fd;
}

/** Signals every watcher of the registry; best effort: a failure only delays them to a poll. */
export function notifyWaiters(registryPath: string): void {
  try {
    const fd = openWakeFile(registryPath, constants.O_TRUNC);
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
    closeSync(openWakeFile(registryPath));
  } catch {
    // Not ours to create or write: writers make it, and watching needs only read access.
  }
}

/** Calls `onWake` whenever the registry signals; returns a function that stops watching. */
export function watchWakes(registryPath: string, onWake: () => void): () => void {
  makeWakeFile(registryPath);
  const path = wakePath(registryPath);
  let watcher: FSWatcher | undefined;
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
  const real = realPath(registryPath);
  const base = basename(real);
  const names = new Set([base, `${base}-wal`]);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(real), { persistent: false }, (_event, name) => {
      if (name === null || names.has(String(name))) onChange();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined; // polling alone
  }
  return () => watcher?.close();
}
