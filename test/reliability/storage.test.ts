/**
 * Storage faults: the registry read-only, its folder read-only, the disk full, the write lock held
 * past the busy timeout, the file truncated or overwritten, another program's file, and schemas
 * older and newer than this svsem's. Each case must give one line and its documented exit status
 * (74 unusable, 75 locked) or work, and must neither lose nor corrupt what was committed: values
 * are compared before and after, and PRAGMA integrity_check must say ok.
 *
 * Permission bits do not stop root, so the read-only cases run svsem as another uid (setpriv),
 * or use chattr +i and a read-only mount; the full disk is a small tmpfs. A case that needs what
 * this machine does not allow is skipped with the reason. Garbage is seeded (SVSEM_STORAGE_SEED).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, migrations } from '../../src/storage/open.js';
import {
  CLI, OTHER_UID, bytes, generator, inProcess, integrity, oneLine, otherUserUnavailable, scratchFolder,
  seedFrom, snapshot, spawnSvsem,
} from './fixtures.js';

const SEED = seedFrom('SVSEM_STORAGE_SEED');
const otherUser = otherUserUnavailable();
if (otherUser) console.warn(`storage.test.ts: cases as another user skipped: ${otherUser}`);

/** A registry with some state: set 0 of 3 semaphores at 3 6 5, set 1 of 300 at 1. */
function populated(dir: string, as?: number): string {
  const db = join(dir, 'registry.db');
  const run = (...args: string[]) => {
    const r = spawnSvsem(['--db', db, ...args], { uid: as });
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  };
  run('semget', '0x51', '3', '-c', '--init', '5');
  run('semop', '0', '0:-2', '1:+1');
  run('ipcmk', '-S', '300', '--init', '1', '-k', '0x52');
  return db;
}

function expectRefused(r: { status: number; stderr: string }, db: string, status: number, why: RegExp) {
  expect(r.status, r.stderr).toBe(status);
  expect(oneLine(r.stderr), r.stderr).toBe(true);
  expect(r.stderr).toContain(db);
  expect(r.stderr).toMatch(why);
}

describe.skipIf(otherUser !== undefined)('a read-only registry (as another user)', () => {
  it('reads it, refuses every change with 74, and keeps what was committed', () => {
    const dir = scratchFolder(OTHER_UID);
    const db = populated(dir, OTHER_UID);
    const before = snapshot(db);
    chmodSync(db, 0o400);
    const as = (...args: string[]) => spawnSvsem(['--db', db, ...args], { uid: OTHER_UID });

    expect(as('semctl', '0', 'getall')).toMatchObject({ status: 0, stdout: '3 6 5\n' });
    for (const change of [['semop', '0', '0:-1'], ['semget', '0', '1', '-c'], ['semctl', '0', 'setval', '0', '9'],
      ['semctl', '1', 'rmid']]) {
      expectRefused(as(...change), db, 74, /read-only/);
    }
    chmodSync(db, 0o600);
    expect(snapshot(db)).toEqual(before);
    expect(integrity(db)).toBe('ok');
  });

  it('refuses a registry in a read-only folder with 74, and creates nothing there', () => {
    const dir = scratchFolder(OTHER_UID);
    const db = populated(dir, OTHER_UID);
    const before = snapshot(db);
    chmodSync(dir, 0o555);
    const as = (...args: string[]) => spawnSvsem(args, { uid: OTHER_UID });
    try {
      expectRefused(as('--db', db, 'semctl', '0', 'getall'), db, 74, /folder is not writable/);
      expectRefused(as('--db', db, 'semop', '0', '0:-1'), db, 74, /folder is not writable/);
      const fresh = join(dir, 'new.db');
      expectRefused(as('--db', fresh, 'semget', '0', '1', '-c'), fresh, 74, /permission denied/);
      expect(readdirSync(dir)).toEqual(['registry.db']);
    } finally {
      chmodSync(dir, 0o755);
    }
    expect(snapshot(db)).toEqual(before);
    expect(integrity(db)).toBe('ok');
  });
});

/** Whether root can make a file immutable here (chattr +i; not every file system can). */
function chattrWorks(dir: string): boolean {
  const probe = join(dir, 'probe');
  writeFileSync(probe, '');
  const ok = spawnSync('chattr', ['+i', probe]).status === 0;
  if (ok) spawnSync('chattr', ['-i', probe]);
  unlinkSync(probe);
  return ok;
}

describe('a registry root cannot write', () => {
  it('an immutable file (chattr +i): reads work, changes fail with 74, nothing is lost', (ctx) => {
    const dir = scratchFolder();
    if (process.getuid?.() !== 0 || !chattrWorks(dir)) {
      ctx.skip('chattr +i is not available here (needs root and a file system with attributes)');
    }
    const db = populated(dir);
    const before = snapshot(db);
    spawnSync('chattr', ['+i', db]);
    try {
      expect(spawnSvsem(['--db', db, 'semctl', '0', 'getall'])).toMatchObject({ status: 0, stdout: '3 6 5\n' });
      expectRefused(spawnSvsem(['--db', db, 'semop', '0', '0:-1']), db, 74, /read-only/);
    } finally {
      spawnSync('chattr', ['-i', db]);
    }
    expect(snapshot(db)).toEqual(before);
    expect(integrity(db)).toBe('ok');
  });

  it('a file system mounted read-only: 74 saying so, and the values are there once writable', (ctx) => {
    const mount = tmpfs(1024);
    if (typeof mount === 'string') return ctx.skip(mount);
    try {
      const db = populated(mount.dir);
      const before = snapshot(db);
      expect(spawnSync('mount', ['-o', 'remount,ro', mount.dir]).status).toBe(0);
      expectRefused(spawnSvsem(['--db', db, 'semop', '0', '0:-1']), db, 74, /read-only/);
      const fresh = join(mount.dir, 'new.db');
      expectRefused(spawnSvsem(['--db', fresh, 'ipcs']), fresh, 74, /read-only file system/);
      expect(spawnSync('mount', ['-o', 'remount,rw', mount.dir]).status).toBe(0);
      expect(snapshot(db)).toEqual(before);
      expect(integrity(db)).toBe('ok');
    } finally {
      mount.release();
    }
  });
});

/** A tmpfs of `kib` KiB mounted on a new folder, or the reason it cannot be. */
function tmpfs(kib: number): { dir: string; release: () => void } | string {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'svsem-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs: ${(r.stderr || String(r.error)).trim()}`;
  }
  return {
    dir,
    release: () => {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the file system of `dir` up to `leaveKib` KiB. */
function fill(dir: string, leaveKib: number): string {
  const filler = join(dir, 'filler');
  const df = spawnSync('df', ['--output=avail', '-k', dir], { encoding: 'utf8' });
  const avail = Number(df.stdout.trim().split('\n')[1]);
  writeFileSync(filler, Buffer.alloc(Math.max(0, avail - leaveKib) * 1024));
  return filler;
}

describe('a full disk', () => {
  it('fails the changes that do not fit with 74, keeps those that did, and loses nothing', (ctx) => {
    const mount = tmpfs(2048);
    if (typeof mount === 'string') return ctx.skip(mount);
    try {
      const db = populated(mount.dir);
      const filler = fill(mount.dir, 400);
      // Sets of 32,000 semaphores until one does not fit; semop on set 0 in between.
      let created = 2;
      let value = 3;
      let refusals = 0;
      for (let i = 0; i < 8; i++) {
        const big = spawnSvsem(['--db', db, 'semget', '0', '32000', '-c']);
        if (big.status === 0) created++;
        else {
          refusals++;
          expectRefused(big, db, 74, /disk full|I\/O error/);
        }
        const op = spawnSvsem(['--db', db, 'semop', '0', '0:+1']);
        if (op.status === 0) value++;
        else expectRefused(op, db, 74, /disk full|I\/O error/);
      }
      expect(refusals).toBeGreaterThan(0);
      unlinkSync(filler);
      expect(spawnSvsem(['--db', db, 'semctl', '0', 'getall']).stdout).toBe(`${value} 6 5\n`);
      expect(spawnSvsem(['--db', db, 'semctl', 'seminfo', '--json']).stdout).toMatch(`"semusz":${created},`);
      expect(integrity(db)).toBe('ok');
    } finally {
      mount.release();
    }
  });

  it('refuses with 74 a registry it cannot even open for want of space', (ctx) => {
    const mount = tmpfs(1024);
    if (typeof mount === 'string') return ctx.skip(mount);
    try {
      const db = populated(mount.dir);
      const before = snapshot(db);
      fill(mount.dir, 0);
      expectRefused(spawnSvsem(['--db', db, 'semop', '0', '0:-1']), db, 74, /disk full|I\/O error/);
      unlinkSync(join(mount.dir, 'filler'));
      expect(snapshot(db)).toEqual(before);
      expect(integrity(db)).toBe('ok');
    } finally {
      mount.release();
    }
  });
});

/**
 * Another process holding the write lock: a connection of its own that runs `sql` (ending in
 * BEGIN IMMEDIATE), says so, and keeps the lock until released.
 */
async function holdLock(db: string, sql = 'BEGIN IMMEDIATE'): Promise<() => Promise<void>> {
  const script = `
    const db = new (require('better-sqlite3'))(process.argv[1]);
    db.exec(process.argv[2]);
    console.log('locked');
    process.stdin.on('end', () => { db.exec('ROLLBACK'); db.close(); });
    process.stdin.resume();`;
  const holder = spawn(process.execPath, ['-e', script, db, sql], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: holder.stdout });
  await new Promise<void>((resolve, reject) => {
    lines.once('line', () => resolve());
    holder.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return () => new Promise((resolve) => {
    holder.once('exit', () => resolve());
    holder.stdin.end();
  });
}

describe('the write lock held past the busy timeout', () => {
  const quick = { env: { SVSEM_BUSY_TIMEOUT: '0.2' } };

  it('fails every command with 75 saying how long it waited, and loses nothing', async () => {
    const db = populated(scratchFolder());
    const before = snapshot(db);
    const release = await holdLock(db);
    try {
      for (const args of [['semop', '0', '0:-1'], ['semctl', '0', 'getall'], ['ipcs'], ['semget', '0', '1', '-c']]) {
        expectRefused(spawnSvsem(['--db', db, ...args], quick), db, 75, /locked by another process for 0.2 s/);
      }
    } finally {
      await release();
    }
    expect(snapshot(db)).toEqual(before);
    expect(spawnSvsem(['--db', db, 'semop', '0', '0:-1'], quick).status).toBe(0);
    expect(integrity(db)).toBe('ok');
  });

  it('does not fail a sleeping semop whose operation was performed while the lock was held', async () => {
    const db = populated(scratchFolder());
    spawnSvsem(['--db', db, 'semctl', '0', 'setval', '2', '0']);
    const waiter = spawn(process.execPath, [CLI, '--db', db, 'semop', '0', '2:-1', '-t', '30'], {
      env: { ...process.env, SVSEM_BUSY_TIMEOUT: '0.2' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    waiter.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => waiter.on('exit', resolve));
    for (let i = 0; i < 200 && spawnSvsem(['--db', db, 'semctl', '0', 'getncnt', '2']).stdout !== '1\n'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // A poster's V, as svsem writes it (the V and the waiter's -1 cancel out, so the value stays
    // 0), and the lock taken again at once, before the waiter's next poll can read the outcome.
    const release = await holdLock(db, `BEGIN IMMEDIATE;
      UPDATE pending_op SET outcome = 'done' WHERE outcome IS NULL; COMMIT; BEGIN IMMEDIATE`);
    await new Promise((r) => setTimeout(r, 1000));
    await release();
    expect(await exited, stderr).toBe(0);
    expect(spawnSvsem(['--db', db, 'semctl', '0', 'getall']).stdout).toBe('3 6 0\n');
    expect(snapshot(db).pending_op).toEqual([]);
  });

  it('takes SVSEM_BUSY_TIMEOUT in seconds and refuses one that is not (64)', () => {
    const db = populated(scratchFolder());
    for (const bad of ['abc', '-1', '1e12', ' ']) {
      const r = spawnSvsem(['--db', db, 'semctl', '0', 'getall'], { env: { SVSEM_BUSY_TIMEOUT: bad } });
      expect(r.status, bad).toBe(64);
      expect(r.stderr).toMatch(/^svsem semctl: SVSEM_BUSY_TIMEOUT .* is not a number of seconds/);
    }
    expect(spawnSvsem(['--db', db, 'semctl', '0', 'getall'], { env: { SVSEM_BUSY_TIMEOUT: '0.5' } }).status).toBe(0);
  });
});

describe('a damaged registry', () => {
  const random = generator(SEED);
  const work = mkdtempSync(join(tmpdir(), 'svsem-damaged-'));
  const original = populated(scratchFolder());
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** The commands tried on each damaged copy: a read, a change, a creation and a listing. */
  const COMMANDS = [['semctl', '0', 'getall'], ['semop', '0', '0:-1', '-n'], ['semget', '0', '2', '-c'], ['ipcs']];

  /** Every command refuses `content` with 74, in one line, and leaves the file as it was. */
  async function expectRefusedAll(name: string, content: Buffer) {
    const db = join(work, `${name}.db`);
    writeFileSync(db, content);
    for (const args of COMMANDS) {
      const r = await inProcess(['--db', db, ...args]);
      expect(r.status, `${name}: ${args.join(' ')}: ${r.stderr}`).toBe(74);
      expect(oneLine(r.stderr), r.stderr).toBe(true);
      expect(bytes(db).equals(content), `${name}: ${args.join(' ')} changed the file`).toBe(true);
    }
    expect(readdirSync(work).filter((f) => f.startsWith(`${name}.db`))).toEqual([`${name}.db`]);
  }

  it(`refuses a registry cut anywhere (seed ${SEED}, SVSEM_STORAGE_SEED)`, async () => {
    console.log(`storage.test.ts: seed ${SEED} (SVSEM_STORAGE_SEED)`);
    const whole = bytes(original);
    expect(whole.length % 4096).toBe(0);
    const cuts = new Set([1, 99, 100, 512]);
    for (let page = 1; page * 4096 < whole.length; page++) cuts.add(page * 4096);
    for (let i = 0; i < 8; i++) cuts.add(1 + Math.floor(random() * (whole.length - 1)));
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      await expectRefusedAll(`cut-${cut}`, whole.subarray(0, cut));
    }
  });

  it('refuses garbage, garbage appended, text and another program\'s SQLite file', async () => {
    const whole = bytes(original);
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    await expectRefusedAll('noise', noise(whole.length));
    await expectRefusedAll('appended', Buffer.concat([whole, noise(100)]));
    await expectRefusedAll('text', Buffer.from('semaphores\n'.repeat(500)));

    for (const mode of ['delete', 'wal']) {
      const path = join(work, `foreign-${mode}.db`);
      const db = new Database(path);
      db.pragma(`journal_mode = ${mode}`);
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      db.close();
      await expectRefusedAll(`foreign-${mode}`, bytes(path));
    }
  });

  it('takes a file cut to nothing for a new, empty registry', async () => {
    const db = join(work, 'empty.db');
    writeFileSync(db, '');
    expect(await inProcess(['--db', db, 'semget', '0x51', '1'])).toMatchObject({ status: 2 });
    expect(await inProcess(['--db', db, 'semget', '0', '1', '-c'])).toMatchObject({ status: 0, stdout: '0\n' });
    expect(integrity(db)).toBe('ok');
  });
});

describe('schema versions', () => {
  it('brings a file at version 0 without tables (an empty SQLite file) up to date', async () => {
    const db = join(scratchFolder(), 'empty-sqlite.db');
    const raw = new Database(db);
    raw.exec('VACUUM'); // writes the header: a valid, empty SQLite file
    raw.close();
    expect(bytes(db).length).toBeGreaterThan(0);
    expect(await inProcess(['--db', db, 'semget', '0', '2', '-c', '--init', '4'])).toMatchObject({ status: 0 });
    const file = new Database(db, { readonly: true });
    expect(file.pragma('user_version', { simple: true })).toBe(migrations().length);
    file.close();
    expect(integrity(db)).toBe('ok');
  });

  it('refuses a registry from a newer svsem with 74 and leaves it as it was', async () => {
    const db = populated(scratchFolder());
    const raw = new Database(db);
    raw.pragma(`user_version = ${migrations().length + 1}`);
    raw.close();
    const before = bytes(db);
    const r = await inProcess(['--db', db, 'semctl', '0', 'getall']);
    expect(r.status).toBe(74);
    expect(r.stderr).toMatch(/newer than this svsem understands .* upgrade svsem/);
    expect(bytes(db).equals(before)).toBe(true);
  });

  /**
   * svsem has one schema version so far; these run the migration path itself on a copy of db/
   * with a further script that exists only here, as the next real one would run.
   */
  function withNextScript(sql: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'svsem-migrations-'));
    for (const m of migrations()) copyFileSync(m.file, join(dir, m.file.replace(/.*\//, '')));
    const next = String(migrations().length + 1).padStart(4, '0');
    writeFileSync(join(dir, `${next}-test-only.sql`), sql);
    return dir;
  }

  it('migrates a registry with data to a newer schema in one step, keeping every row', () => {
    const db = populated(scratchFolder());
    spawnSvsem(['--db', db, 'semop', '1', '7:-1:u', '--owner', String(process.pid)]);
    const before = snapshot(db);
    expect(before.undo_adj).toHaveLength(1);
    const dir = withNextScript('CREATE TABLE label (semid INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT;' +
      'ALTER TABLE sem_set ADD COLUMN note TEXT;');
    const next = migrations().length + 1;
    const raw = new Database(db);
    try {
      migrate(raw, db, next, dir);
      expect(raw.pragma('user_version', { simple: true })).toBe(next);
    } finally {
      raw.close();
    }
    const after = snapshot(db);
    expect(after.sem_set).toEqual(before.sem_set!.map((row) => ({ ...(row as object), note: null })));
    expect({ ...after, sem_set: [] }).toEqual({ ...before, sem_set: [] });
    expect(integrity(db)).toBe('ok');
  });

  it('leaves the registry at its version, data and all, when a migration script fails', () => {
    const db = populated(scratchFolder());
    const before = snapshot(db);
    const dir = withNextScript('CREATE TABLE label (x INTEGER) STRICT; INSERT INTO no_such_table VALUES (1);');
    const raw = new Database(db);
    try {
      expect(() => migrate(raw, db, migrations().length + 1, dir)).toThrow(/no such table/);
      expect(raw.pragma('user_version', { simple: true })).toBe(migrations().length);
      expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'label'").get()).toEqual({ n: 0 });
    } finally {
      raw.close();
    }
    expect(snapshot(db)).toEqual(before);
    expect(existsSync(db)).toBe(true);
    expect(spawnSvsem(['--db', db, 'semctl', '0', 'getall']).stdout).toBe('3 6 5\n');
  });

  it('creates one registry when many commands open a new path at once', async () => {
    // Three rounds of six first commands on a new path each: a race in the first migration
    // showed up about once in forty rounds.
    for (let round = 0; round < 3; round++) {
      const db = join(scratchFolder(), 'sub', 'dir', 'registry.db');
      const runs = Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [CLI, '--db', db, 'semget', '0x77', '1', '-c', '--init', '5'],
          { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve(`${code} ${stderr}`.trim()));
      }));
      expect(await Promise.all(runs)).toEqual(['0', '0', '0', '0', '0', '0']);
      expect(spawnSvsem(['--db', db, 'ipcs', '--json']).stdout.match(/"semid"/g)).toHaveLength(1);
      expect(integrity(db)).toBe('ok');
    }
  });
});
