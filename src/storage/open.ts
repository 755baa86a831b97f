/**
 * Opening a registry file: where it is, creating it safely, and bringing its schema up to date.
 *
 * - Path: --db, else $SVSEM_DB, else ${XDG_STATE_HOME:-$HOME/.local/state}/svsem/registry.db.
 * - A missing file is created with mode 0600 (and its folders with 0700) by an exclusive create
 *   that does not follow a symlink; a symlink to a missing or empty file is refused, and an
 *   existing file keeps its mode. Only a regular file is opened: a device such as /dev/null
 *   would let SQLite create its journal in /dev.
 * - A file whose size is not a whole number of pages was truncated or had something appended:
 *   SQLite would read the missing part of its last page as zeros, so it is refused as corrupt.
 * - The schema version is PRAGMA user_version; the numbered scripts in db/ run in one
 *   transaction. A file from a newer svsem, or a SQLite file of another program, is refused.
 */
import Database from 'better-sqlite3';
import {
  accessSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readFileSync,
  readdirSync, statSync, type Stats,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RegistryError, storageFailure } from './errors.js';

/** svsem's mark in the SQLite header (PRAGMA application_id): "svsm". */
const APPLICATION_ID = 0x7376736d;
/** How long a command waits for the write lock before it gives up (exit 75), by default. */
export const BUSY_TIMEOUT_MS = 5000;

export function defaultRegistryPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SVSEM_DB) return env.SVSEM_DB;
  const state = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(state, 'svsem', 'registry.db');
}

/** The numbered migration scripts, in order: db/NNNN-description.sql. */
export interface Migration {
  readonly version: number;
  readonly file: string;
}

/** The package's db/ folder: the first above this module (src/storage, dist/src/storage, dist/). */
function migrationsDir(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const candidate = fileURLToPath(new URL('db/', dir));
    if (existsSync(join(candidate, '0001-initial.sql'))) return candidate;
    if (dir.pathname === '/') throw new Error('db/: the package lacks its schema scripts');
  }
}

export function migrations(dir = migrationsDir()): Migration[] {
  const list = readdirSync(dir)
    .map((file) => ({ file, m: /^(\d{4})-[\w-]+\.sql$/.exec(file) }))
    .filter((x) => x.m !== null)
    .map((x) => ({ version: Number(x.m![1]), file: join(dir, x.file) }))
    .sort((a, b) => a.version - b.version);
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`db/: migration ${i + 1} is missing`);
  });
  return list;
}

/** The schema version this svsem writes. Kept in step with db/ by a test. */
export const SCHEMA_VERSION = 2;

/**
 * Makes sure `path` is a regular file svsem may open: creates it (and its folders) if missing,
 * by an exclusive create that does not follow a symlink. Through a symlink, only an existing
 * registry is opened: initialising a missing or empty file at the far end would create a
 * registry through the link.
 */
function prepareFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const flags = constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | constants.O_NOFOLLOW;
    const fd = openSync(path, flags, 0o600);
    closeSync(fd);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const link = lstatSync(path).isSymbolicLink();
  const target = statIfAny(path);
  if (link && (target === undefined || (target.isFile() && target.size === 0))) {
    throw new RegistryError(path, `is a symlink to ${target ? 'an empty' : 'a missing'} file; ` +
      'svsem does not create a registry through a symlink');
  }
  if (target?.isDirectory()) throw new RegistryError(path, 'is a directory');
  if (target !== undefined && !target.isFile()) {
    throw new RegistryError(path, 'is not a regular file (a device, a pipe or a socket)');
  }
}

function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const ADDON = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';

/**
 * The compiled SQLite addon, found without better-sqlite3's default lookup (the bindings package
 * probes a dozen paths and walks the stack to find its caller, which costs every invocation about a
 * millisecond), and without Node's resolver (createRequire loads Node's module loader for one
 * lookup): the first node_modules above this module that has it, which is where require() finds
 * better-sqlite3's own code. undefined lets better-sqlite3 look for itself.
 */
function nativeBinding(): string | undefined {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const addon = fileURLToPath(new URL(ADDON, dir));
    if (existsSync(addon)) return addon;
    if (dir.pathname === '/') return undefined;
  }
}

/** What went wrong with the file at `path`, as a RegistryError (exit 74, or 75 when busy). */
function failure(path: string, err: unknown, busyTimeoutMs: number): RegistryError {
  const known = storageFailure(path, err, busyTimeoutMs);
  if (known !== undefined) {
    const cantOpen = (err as { code?: unknown }).code === 'SQLITE_CANTOPEN';
    const why = cantOpen ? whyNotWritable(path) : undefined;
    return why === undefined ? known : new RegistryError(path, `${known.message} (${why})`);
  }
  const e = err as { code?: string; message?: string };
  return new RegistryError(path, e.code && e.message ? e.message : String(err));
}

/**
 * SQLite says only that it cannot open the file; the reason is usually that the file, or the
 * folder where SQLite must create -wal and -shm, cannot be written (a read-only mount).
 */
function whyNotWritable(path: string): string | undefined {
  for (const [target, mode] of [[path, constants.W_OK], [dirname(path), constants.W_OK]] as const) {
    try {
      accessSync(target, mode);
    } catch (err) {
      return storageFailure(target, err, 0)?.message;
    }
  }
  return undefined;
}

export interface OpenOptions {
  /** How long to wait for another process's write lock; BUSY_TIMEOUT_MS by default. */
  readonly busyTimeoutMs?: number;
}

export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  let db: Database.Database | undefined;
  try {
    prepareFile(path);
    db = new Database(path, { timeout: busyTimeoutMs, nativeBinding: nativeBinding() });
    // Refuse a foreign, newer or damaged file before changing anything in it (even its journal
    // mode).
    const current = checkVersion(db, path);
    checkSize(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (current !== SCHEMA_VERSION) migrate(db, path);
    return db;
  } catch (err) {
    db?.close();
    throw failure(path, err, busyTimeoutMs);
  }
}

/**
 * Refuses a file that is not a whole number of pages. SQLite only writes whole pages to the
 * main file (WAL checkpoints included), so a partial last page was cut or added by something
 * else, and SQLite would take the missing bytes for zeros instead of reporting corruption.
 */
function checkSize(db: Database.Database, path: string): void {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const size = statSync(path).size;
  if (size % pageSize !== 0) {
    throw new RegistryError(path, `registry is corrupt (${size} bytes is not a whole number of ` +
      `${pageSize}-byte pages: truncated, or something was appended)`);
  }
}

/** What the header and schema of a file say about it, read in one snapshot. */
interface FileMarks {
  readonly version: number;
  readonly appId: number;
  readonly tables: number;
}

/**
 * Read in one transaction, so that the three reads see the same state. Read one by one, they
 * could straddle another process's first migration of a new file (version 0 and no svsem mark
 * read before its commit, its tables after) and take that registry for another program's file.
 */
function readMarks(db: Database.Database): FileMarks {
  return db.transaction(() => ({
    version: db.pragma('user_version', { simple: true }) as number,
    appId: db.pragma('application_id', { simple: true }) as number,
    tables: db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
      .pluck().get() as number,
  }))();
}

/** The file's schema version, or a RegistryError if svsem must not touch it. */
function checkVersion(db: Database.Database, path: string, upTo = SCHEMA_VERSION): number {
  const { version, appId, tables } = readMarks(db);
  if (version > upTo) {
    throw new RegistryError(path, `registry has schema version ${version}, newer than this svsem ` +
      `understands (${upTo}); upgrade svsem`);
  }
  if (appId !== APPLICATION_ID && (version !== 0 || tables > 0)) {
    throw new RegistryError(path, 'not an svsem registry (a SQLite file of another program)');
  }
  return version;
}

/** Brings the schema to `upTo` (scripts from `dir`) in one transaction, or refuses the file. */
export function migrate(
  db: Database.Database,
  path: string,
  upTo = SCHEMA_VERSION,
  dir = migrationsDir(),
): void {
  checkVersion(db, path, upTo);
  db.transaction(() => {
    // Another process may have migrated the file while this one waited for the write lock.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current >= upTo) return;
    const pending = migrations(dir).filter((m) => m.version > current && m.version <= upTo);
    for (const m of pending) db.exec(readFileSync(m.file, 'utf8'));
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${upTo}`);
  }).immediate();
}
