import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { CLI, freshDb, svsem } from './helpers.js';

/** Starts svsem in the background; `exited` resolves to its exit status (or 128+signal). */
function background(db: string, ...args: string[]): { child: ChildProcess; exited: Promise<number>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, '--db', db, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15))));
  return { child, exited, stderr: () => err };
}

const count = (db: string, id: string, cmd: string, n = '0') => Number(svsem(db, 'semctl', id, cmd, n).stdout);

/** Polls until `probe` holds (each probe is one svsem call), at most ~10 s. */
async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition never held');
}

function newSet(db: string, nsems = 1, init = 0): string {
  return svsem(db, 'semget', '0', String(nsems), '-c', '--init', String(init)).stdout.trim();
}

describe('blocking semop', () => {
  it('sleeps counted in GETNCNT and is completed by a V from another process', async () => {
    const db = freshDb();
    const id = newSet(db);
    const waiter = background(db, 'semop', id, '0:-1');
    await until(() => count(db, id, 'getncnt') === 1);
    expect(svsem(db, 'semop', id, '0:+1').status).toBe(0);
    expect(await waiter.exited).toBe(0);
    expect(svsem(db, 'semctl', id, 'getall').stdout).toBe('0\n');
    expect(count(db, id, 'getpid')).toBe(waiter.child.pid === undefined ? -1 : Number(svsem(db, 'semctl', id, 'getpid', '0').stdout));
  });

  it('lets a later small decrement overtake an earlier large one', async () => {
    const db = freshDb();
    const id = newSet(db);
    const big = background(db, 'semop', id, '0:-2');
    await until(() => count(db, id, 'getncnt') === 1);
    const small = background(db, 'semop', id, '0:-1');
    await until(() => count(db, id, 'getncnt') === 2);
    svsem(db, 'semop', id, '0:1');
    expect(await small.exited).toBe(0);
    expect(count(db, id, 'getncnt')).toBe(1);
    svsem(db, 'semop', id, '0:2');
    expect(await big.exited).toBe(0);
  });

  it('times out with EAGAIN and withdraws the operation', () => {
    const db = freshDb();
    const id = newSet(db);
    const r = svsem(db, 'semop', id, '0:-1', '-t', '0.2');
    expect(r.status).toBe(11);
    expect(count(db, id, 'getncnt')).toBe(0);
    expect(svsem(db, 'semop', id, '0:-1', '-t', '0').status).toBe(11);
  });

  it('gives every waiter EIDRM when the set is removed', async () => {
    const db = freshDb();
    const id = newSet(db, 1, 1);
    const a = background(db, 'semop', id, '0:-2');
    const b = background(db, 'semop', id, '0:0');
    await until(() => count(db, id, 'getncnt') === 1 && count(db, id, 'getzcnt') === 1);
    svsem(db, 'semctl', id, 'rmid');
    expect([await a.exited, await b.exited]).toEqual([43, 43]);
  });

  it('withdraws the operation on SIGTERM and exits EINTR', async () => {
    const db = freshDb();
    const id = newSet(db);
    const w = background(db, 'semop', id, '0:-1');
    await until(() => count(db, id, 'getncnt') === 1);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(4);
    expect(count(db, id, 'getncnt')).toBe(0);
    svsem(db, 'semop', id, '0:1');
    expect(svsem(db, 'semctl', id, 'getval', '0').stdout).toBe('1\n');
  });

  it('discards a SIGKILLed waiter: not counted, and it takes nothing', async () => {
    const db = freshDb();
    const id = newSet(db);
    const w = background(db, 'semop', id, '0:-1');
    await until(() => count(db, id, 'getncnt') === 1);
    w.child.kill('SIGKILL');
    await w.exited;
    expect(count(db, id, 'getncnt')).toBe(0);
    svsem(db, 'semop', id, '0:1');
    expect(svsem(db, 'semctl', id, 'getval', '0').stdout).toBe('1\n');
  });
});

describe('SEM_UNDO owned by the calling script', () => {
  it('gives back what a SIGKILLed owner took, releasing a waiter with no one else acting', async () => {
    const db = freshDb();
    const id = newSet(db, 1, 1);
    const holder = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" semop ${id} 0:-1 -u --db "${db}" && exec sleep 60`]);
    await until(() => svsem(db, 'semctl', id, 'getval', '0').stdout === '0\n');
    const waiter = background(db, 'semop', id, '0:-1');
    await until(() => count(db, id, 'getncnt') === 1);
    holder.kill('SIGKILL');
    expect(await waiter.exited).toBe(0);
    expect(count(db, id, 'getpid')).not.toBe(holder.pid);
  });
});

describe('process identity', () => {
  /**
   * Makes the one undo record in the registry name another process: the same pid with another
   * start time (a pid reused after the owner exited) or from another boot, as the file would
   * hold after those events.
   */
  function rewriteOwner(db: string, change: { pid: number; start: number; boot?: string }): void {
    const file = new Database(db);
    try {
      const row = file.prepare('SELECT id, owner_start, owner_boot FROM undo_record').get() as Record<string, number | string>;
      file.prepare('UPDATE undo_record SET owner_pid = ?, owner_start = ?, owner_boot = ? WHERE id = ?')
        .run(change.pid, change.start, change.boot ?? row.owner_boot, row.id);
    } finally {
      file.close();
    }
  }

  it.each([
    ['a pid reused by another process (same pid, another start time)', { startDelta: 1, boot: undefined }],
    ['a pid from before a reboot (another boot id)', { startDelta: 0, boot: 'another-boot' }],
  ])('takes %s for an exited owner and applies its undo', (_what, change) => {
    const db = freshDb();
    const id = newSet(db, 1, 1);
    expect(svsem(db, 'semop', id, '0:-1', '-u', '--owner', String(process.pid)).status).toBe(0);
    // The record now names this live test process's pid, but not this process.
    const start = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19]);
    rewriteOwner(db, { pid: process.pid, start: start + change.startDelta, boot: change.boot });
    expect(svsem(db, 'semctl', id, 'getval', '0').stdout).toBe('1\n');
  });

  it('keeps the undo of a live owner whose record matches it', () => {
    const db = freshDb();
    const id = newSet(db, 1, 1);
    expect(svsem(db, 'semop', id, '0:-1', '-u', '--owner', String(process.pid)).status).toBe(0);
    expect(svsem(db, 'semctl', id, 'getval', '0').stdout).toBe('0\n');
  });
});

describe('svsem run', () => {
  it('serialises 6 concurrent processes of 20 critical sections each on a count-1 semaphore', async () => {
    const db = freshDb();
    const counter = join(dirname(db), 'counter');
    writeFileSync(counter, '0');
    const script = `for i in $(seq 20); do "${process.execPath}" "${CLI}" run --key 0x5eed --create 1 --init 1 --db "${db}" -- ` +
      `sh -c 'n=$(cat "${counter}"); echo $((n + 1)) > "${counter}"' || exit 1; done`;
    const procs = Array.from({ length: 6 }, () => spawn('sh', ['-c', script], { stdio: 'ignore' }));
    const codes = await Promise.all(procs.map((p) => new Promise((r) => p.on('exit', r))));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    expect(readFileSync(counter, 'utf8').trim()).toBe('120');
    expect(svsem(db, 'semctl', '0', 'getall').stdout).toBe('1\n');
  }, 120_000);

  it('exits with the conflict code when it cannot acquire, and with the command status otherwise', () => {
    const db = freshDb();
    const id = newSet(db, 1, 0);
    expect(svsem(db, 'run', '--id', id, '-n', '-E', '99', '--', 'true').status).toBe(99);
    svsem(db, 'semctl', id, 'setval', '0', '1');
    expect(svsem(db, 'run', '--id', id, '--', 'sh', '-c', 'exit 7').status).toBe(7);
    expect(svsem(db, 'semctl', id, 'getval', '0').stdout).toBe('1\n');
  });

  it('gives the units back when it is SIGKILLed', async () => {
    const db = freshDb();
    const id = newSet(db, 1, 1);
    // The command outlives a SIGKILLed svsem run; it says who it is, to be ended afterwards.
    const pidFile = join(dirname(db), 'command.pid');
    const command = `echo $$ > "${pidFile}"; exec sleep 60`;
    const r = background(db, 'run', '--id', id, '--', 'sh', '-c', command);
    const taken = () => svsem(db, 'semctl', id, 'getval', '0').stdout === '0\n';
    await until(() => taken() && readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }) !== '');
    r.child.kill('SIGKILL');
    await r.exited;
    try {
      expect(svsem(db, 'semctl', id, 'getval', '0').stdout).toBe('1\n');
    } finally {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL'); // a pid > 0: read above
    }
  });
});
