import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, freshDb, svsem } from './helpers.js';

describe('svsem ipcs --holders', () => {
  it('shows who holds units through undo and who waits, with their commands', async () => {
    const db = freshDb();
    svsem(db, 'semget', '0x77', '2', '-c', '--init', '1');
    const holder = spawn('sleep', ['30']);
    const waiter = spawn(process.execPath, [CLI, '--db', db, 'semop', '0', '0:-1', '1:0']);
    try {
      expect(svsem(db, 'semop', '0', '0:-1', '-u', '--owner', String(holder.pid)).status).toBe(0);
      for (let i = 0; i < 100 && svsem(db, 'semctl', '0', 'getncnt', '0').stdout !== '1\n'; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const view = JSON.parse(svsem(db, 'ipcs', '--holders', '--json').stdout);
      expect(view.holders).toMatchObject([
        { semid: 0, keyHex: '0x00000077', pid: holder.pid, command: 'sleep 30', semadj: [{ semnum: 0, semadj: 1 }] },
      ]);
      expect(view.waiters).toMatchObject([
        { semid: 0, waiterPid: waiter.pid, blockedOn: { semnum: 0, count: 'ncount' },
          ops: [{ semnum: 0, semop: -1 }, { semnum: 1, semop: 0 }] },
      ]);
      const text = svsem(db, 'ipcs', '--holders').stdout;
      expect(text).toContain('1 of semaphore 0');
      expect(text).toContain('0:-1 1:0');
      expect(text).not.toContain('\u001b['); // no colour when stdout is not a terminal
    } finally {
      holder.kill('SIGKILL');
      waiter.kill('SIGKILL');
    }
  });

  it('says so when nobody holds or waits', () => {
    const db = freshDb();
    svsem(db, 'semget', '0', '1', '-c');
    expect(svsem(db, 'ipcs', '--holders').stdout).toBe(
      'Holders (undo adjustments, given back when their owner exits):\n  none\n\n' +
      'Waiters (sleeping operations, in arrival order per set):\n  none\n');
  });
});
