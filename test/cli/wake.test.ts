import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, freshDb, svsem } from './helpers.js';

/** The inotify instances process `pid` holds open. */
function inotifyInstances(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify';
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

/** Waits until `probe` holds, checking every 50 ms for at most 10 s. */
async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(probe()).toBe(true);
}

/** A `svsem semop ID 0:-1` asleep on a new set of `db`, once it listens for its wake-up. */
async function sleeper(db: string) {
  expect(svsem(db, 'semget', '0', '1', '-c').status).toBe(0);
  const argv = [CLI, '--db', db, 'semop', '0', '0:-1'];
  const child = spawn(process.execPath, argv, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await until(() => existsSync(`${db}.wake`)); // made as it starts to listen
  return { pid: child.pid!, exited };
}

describe('a sleeping semop', () => {
  it('watches no file when only its user may write the registry (SIGURG wakes it)', async () => {
    const db = freshDb();
    const waiting = await sleeper(db);
    expect(inotifyInstances(waiting.pid)).toBe(0);
    expect(svsem(db, 'semop', '0', '0:+1').status).toBe(0);
    expect(await waiting.exited).toBe(0);
  });

  it('watches the wake file as well when other users may write the registry', async () => {
    const db = freshDb();
    expect(svsem(db, 'semctl', 'info').status).toBe(0);
    chmodSync(db, 0o660);
    const waiting = await sleeper(db);
    await until(() => inotifyInstances(waiting.pid) === 1);
    expect(svsem(db, 'semop', '0', '0:+1').status).toBe(0);
    expect(await waiting.exited).toBe(0);
  });
});
