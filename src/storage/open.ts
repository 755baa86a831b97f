/**
 * Opening a registry file: where it is, creating it safely, and bringing its schema up to date.
 *
 * - Path: --db, else $SVSEM_DB, else ${XDG_STATE_HOME:-$HOME/.local/state}/svsem/registry.db.
 * - A missing file is created with mode 0600 (and its folders with 0700) by an exclusive create
 *   that does not follow a symlink; an existing file keeps its mode.
 * - The schema version is PRAGMA user_version; the numbered scripts in db/ run in one
 *   transaction. A file from a newer svsem, or a SQLite file of another program, is refused.
 */
import Database from 'better-sqlite3';
import {
  closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RegistryError, describeSqliteFailure } from './errors.js';

/** svsem's mark in the SQLite header (PRAGMA application_id): "svsm". */
const APPLICATION_ID = 0x7376736d;
const BUSY_TIMEOUT_MS = 5000;

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

/** The package's db/ folder: the first one above this module (src/storage, dist/src/storage, dist/). */
function migrationsDir(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    const candidate = fileURLToPath(new URL('db/', dir));
    if (existsSync(join(candidate, '0001-initial.sql'))) return candidate;
    if (dir.pathname === '/') throw new Error('db/: the schema scripts are missing from the package');
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

function createExclusive(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | constants.O_NOFOLLOW, 0o600);
    closeSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A symlink to an existing registry is the user's choice; a dangling one would make SQLite
    // create the file at the far end, so it is refused.
    if (lstatSync(path).isSymbolicLink() && !existsSync(path)) {
      throw new RegistryError(path, 'is a symlink to a missing file; svsem does not create through a symlink');
    }
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

function failure(path: string, err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const e = err as { code?: string; message?: string };
  const described = typeof e.code === 'string' ? describeSqliteFailure(e.code) : undefined;
  const detail = described ?? (e.code && e.message ? e.message : String(err));
  return new RegistryError(path, detail, e.code?.startsWith('SQLITE_BUSY') ?? false);
}

export function openDatabase(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    createExclusive(path);
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS, nativeBinding: nativeBinding() });
    // Refuse a foreign or newer file before changing anything in it (even its journal mode).
    const current = checkVersion(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (current !== SCHEMA_VERSION) migrate(db, path);
    return db;
  } catch (err) {
    db?.close();
    throw failure(path, err);
  }
}

/** The file's schema version, or a RegistryError if svsem must not touch it. */
function checkVersion(db: Database.Database, path: string, upTo = SCHEMA_VERSION): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > upTo) {
    throw new RegistryError(path, `registry has schema version ${version}, newer than this svsem ` +
      `understands (${upTo}); upgrade svsem`);
  }
  const appId = db.pragma('application_id', { simple: true }) as number;
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
  if (appId !== APPLICATION_ID && (version !== 0 || tables.n > 0)) {
    throw new RegistryError(path, 'not an svsem registry (a SQLite file of another program)');
  }
  return version;
}

/** Brings the schema to `upTo` in one transaction, or refuses the file. */
export function migrate(db: Database.Database, path: string, upTo = SCHEMA_VERSION): void {
  checkVersion(db, path, upTo);
  db.transaction(() => {
    // Another process may have migrated the file while this one waited for the write lock.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current >= upTo) return;
    const pending = migrations().filter((m) => m.version > current && m.version <= upTo);
    for (const m of pending) db.exec(readFileSync(m.file, 'utf8'));
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${upTo}`);
  }).immediate();
}
