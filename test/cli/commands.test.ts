import { statSync, writeFileSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asKey } from '../../src/core/types.js';
import { Registry } from '../../src/registry.js';
import { freshDb, svsem } from './helpers.js';

describe('svsem semget', () => {
  it('creates with --init, finds by key, and refuses IPC_EXCL on an existing key', () => {
    const db = freshDb();
    expect(svsem(db, 'semget', '0x1234', '2', '-c', '--init', '3')).toMatchObject({ status: 0, stdout: '0\n' });
    expect(svsem(db, 'semget', '4660')).toMatchObject({ status: 0, stdout: '0\n' });
    expect(svsem(db, 'semctl', '0', 'getall').stdout).toBe('3 3\n');
    const excl = svsem(db, 'semget', '0x1234', '2', '-c', '-x');
    expect(excl.status).toBe(17);
    expect(excl.stderr).toMatch(/^svsem semget: EEXIST: /);
    expect(svsem(db, 'semget', '0x9999').status).toBe(2);
    expect(svsem(db, 'semget', '0x9999', '32001').status).toBe(22);
  });

  it('creates the registry with mode 0600 and its folders, and never through a symlink', () => {
    const db = join(freshDb(), 'deeper', 'registry.db');
    expect(svsem(db, 'semget', 'IPC_PRIVATE', '1', '-c').status).toBe(0);
    expect(statSync(db).mode & 0o777).toBe(0o600);
    const link = join(dirname(db), 'link.db');
    symlinkSync(join(dirname(db), 'target.db'), link);
    expect(svsem(link, 'semget', '0', '1', '-c').status).toBe(74);
  });

  it('prints one line without a stack trace for a malformed command line, exit 64', () => {
    for (const args of [['semget'], ['semget', 'abc'], ['semctl', '0', 'frob'], ['semop', '0', '0:x'], ['nope']]) {
      const r = svsem(freshDb(), ...args);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    }
  });
});

describe('svsem semctl', () => {
  it('reads and writes values, with the kernel errno on failure', () => {
    const db = freshDb();
    svsem(db, 'semget', '0', '3', '-c');
    expect(svsem(db, 'semctl', '0', 'setall', '1', '2', '3').status).toBe(0);
    expect(svsem(db, 'semctl', '0', 'GETVAL', '2').stdout).toBe('3\n');
    const range = svsem(db, 'semctl', '0', 'setval', '0', '40000');
    expect(range.status).toBe(34);
    expect(range.stderr).toBe('svsem semctl: ERANGE: value 40000 is outside 0..SEMVMX (32767)\n');
    expect(svsem(db, 'semctl', '0', 'getval', '3').status).toBe(22);
    expect(svsem(db, 'semctl', '0', 'getpid', '0').stdout).toBe(`${process.pid}\n`);
  });

  it('prints stat and info as JSON with the kernel field names', () => {
    const db = freshDb();
    svsem(db, 'semget', '0x10', '2', '-c', '-m', '640');
    const stat = JSON.parse(svsem(db, 'semctl', '0', 'stat', '--json').stdout);
    expect(stat).toMatchObject({ semid: 0, key: 16, mode: 0o640, nsems: 2, seq: 0, otime: 0 });
    const info = JSON.parse(svsem(db, 'semctl', 'seminfo', '--json').stdout);
    expect(info).toMatchObject({ semusz: 1, semaem: 2, semmni: 32000, semvmx: 32767 });
  });

  it('gives EINVAL for a stale id after rmid and a new set at the same index', async () => {
    const db = freshDb();
    const registry = Registry.open({ path: db });
    for (let i = 0; i < 64; i++) {
      const id = await registry.semget({ key: asKey(0), nsems: 1, create: true, excl: false, mode: 0o600 });
      await registry.rmid(id);
    }
    registry.close();
    expect(svsem(db, 'semget', '0', '1', '-c').stdout).toBe('32768\n');
    expect(svsem(db, 'semctl', '0', 'getval', '0').status).toBe(22);
  });
});

describe('svsem ipcrm and ipcmk', () => {
  it('goes on past an id it cannot remove and fails at the end', () => {
    const db = freshDb();
    expect(svsem(db, 'ipcmk', '-S', '2').stdout).toBe('Semaphore id: 0\n');
    svsem(db, 'semget', '0x77', '1', '-c');
    const r = svsem(db, 'ipcrm', '-s', '9', '-S', '0x77', '-s', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('svsem ipcrm: invalid id (9)\n');
    expect(svsem(db, 'semctl', 'seminfo', '--json').stdout).toContain('"semusz":0');
    expect(svsem(db, 'ipcrm', 'sem', '0').stderr).toBe('svsem ipcrm: invalid id (0)\n');
  });
});

describe('the registry file', () => {
  it('refuses a file that is not an svsem registry and leaves it untouched (exit 74)', () => {
    const db = freshDb();
    writeFileSync(db, 'not a database at all, just text that is long enough to be a header\n');
    const r = svsem(db, 'semctl', 'info');
    expect(r.status).toBe(74);
    expect(r.stderr).toContain(db);
    expect(readFileSync(db, 'utf8')).toMatch(/^not a database/);
  });
});

describe('svsem ftok', () => {
  it('derives the key from inode, device and project id as glibc does', () => {
    const st = statSync('/etc/passwd', { bigint: true });
    const expected = (Number(st.ino & 0xffffn) | (Number(st.dev & 0xffn) << 16) | (0x41 << 24)) >>> 0;
    expect(svsem(undefined, 'ftok', '/etc/passwd', 'A').stdout).toBe(`0x${expected.toString(16).padStart(8, '0')}\n`);
    expect(svsem(undefined, 'ftok', '/no/such/file').status).toBe(2);
  });
});

describe('--explain', () => {
  it('says on stderr what the semantics did, leaving stdout as without it', () => {
    const db = freshDb();
    svsem(db, 'semget', '0', '2', '-c', '--init', '1');
    const r = svsem(db, 'semop', '0', '0:-1', '1:+1:u', '--explain');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('  op 2 (1:+1:u) on semaphore 1: 1 becomes 2; undo adjustment 0 becomes -1\n');
    const failed = svsem(db, 'semop', '0', '0:-1:n', '--explain');
    const lines = failed.stderr.trim().split('\n');
    expect(lines.at(-2)).toMatch(/IPC_NOWAIT: EAGAIN, nothing is applied$/);
    expect(lines.at(-1)).toMatch(/^svsem semop: EAGAIN: /);
    expect(svsem(db, 'semctl', '0', 'setval', '0', '4', '--explain').stderr).toContain('semaphore 0: 0 becomes 4');
  });
});
