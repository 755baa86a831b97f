/**
 * What the storage, argument and security tests share: svsem run in-process through main() (the
 * parser, commands and registry of a real invocation, without starting Node each time) or as a
 * real process, optionally as another user; a look at a registry file from outside; and a
 * seeded generator whose seed each test prints.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { main } from '../../src/cli/main.js';
import { CLI } from '../cli/helpers.js';

export { CLI };

/** A user id that no account on the machine uses: the "other user" of these tests. */
export const OTHER_UID = 47101;
export const OTHER_GID = 47101;

export interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one command line through svsem's main() in this process. */
export async function inProcess(argv: readonly string[]): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(argv, { out: (l) => out.push(l + '\n'), err: (l) => err.push(l + '\n') });
  return { status, stdout: out.join(''), stderr: err.join('') };
}

export interface SpawnOptions {
  /** Run as this uid (and gid, default the same) through setpriv, with no supplementary group. */
  readonly uid?: number;
  readonly gid?: number;
  readonly env?: Record<string, string>;
  readonly input?: string;
  readonly umask?: number;
}

/** Runs the built executable as a real process. */
export function spawnSvsem(args: readonly string[], options: SpawnOptions = {}): Outcome {
  let argv = [process.execPath, CLI, ...args];
  if (options.uid !== undefined) {
    const gid = options.gid ?? options.uid;
    argv = ['setpriv', `--reuid=${options.uid}`, `--regid=${gid}`, '--clear-groups', ...argv];
  }
  if (options.umask !== undefined) {
    argv = ['sh', '-c', `umask ${options.umask.toString(8)} && exec "$@"`, 'sh', ...argv];
  }
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: 30_000,
    env: { ...process.env, SVSEM_DB: '', SVSEM_DEBUG: '', SVSEM_BUSY_TIMEOUT: '', ...options.env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Why svsem cannot be run as OTHER_UID here, or undefined when it can. */
export function otherUserUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root, so cannot switch to another uid';
  const probe = spawnSvsem(['--version'], { uid: OTHER_UID });
  if (probe.status !== 0) return `setpriv to uid ${OTHER_UID} failed: ${probe.stderr.trim()}`;
  return undefined;
}

/** A new folder that OTHER_UID owns (or this user, when it cannot switch), mode 0755. */
export function scratchFolder(owner?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'svsem-rel-'));
  if (owner !== undefined) chownSync(dir, owner, owner);
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * A connection from outside svsem. Not a read-only one: that would leave the -wal and -shm files
 * behind when it closes, and they change what the next svsem can do in a read-only folder.
 */
function inspect(path: string): Database.Database {
  return new Database(path, { fileMustExist: true });
}

/** PRAGMA integrity_check of a registry, read from outside svsem. */
export function integrity(path: string): string {
  const db = inspect(path);
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** Every row of the tables that hold a registry's state, for before-and-after comparisons. */
export function snapshot(path: string): Record<string, unknown[]> {
  const db = inspect(path);
  try {
    const tables = ['ids', 'sem_set', 'semaphore', 'pending_op', 'undo_record', 'undo_adj'];
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]));
  } finally {
    db.close();
  }
}

export function bytes(path: string): Buffer {
  return readFileSync(path);
}

export { generator, seedFrom } from './seeded.js';

/** A message is one line with no stack trace. */
export function oneLine(stderr: string): boolean {
  return /^[^\n]+\n$/.test(stderr) && !/\n\s+at /.test(stderr);
}
