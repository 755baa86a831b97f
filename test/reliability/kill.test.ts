/**
 * Kill anywhere: several workers hammer one registry with svsem invocations (P and V with
 * SEM_UNDO, blocking waits with timeouts, a shell doing the same, and a churn of semget,
 * setval and rmid on sets of their own) while a killer sends SIGKILL to random svsem processes
 * and to the workers themselves (the undo owners) at random moments. Afterwards, with every
 * worker gone and one more command run:
 * - PRAGMA integrity_check is ok and every value is within 0..SEMVMX;
 * - no sleeping operation and no undo record of a dead process is left, counted or applied;
 * - conservation: every unit taken from the guarded semaphore was taken with SEM_UNDO by an
 *   owner that is now dead, so the value is back to its initial count exactly.
 * Seeded (SVSEM_KILL_SEED), bounded (SVSEM_KILL_SECONDS, default 20).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, freshDb, processGroup, svsem } from '../cli/helpers.js';
import { generator, seedFrom } from './seeded.js';

const SEED = seedFrom('SVSEM_KILL_SEED');
const SECONDS = Number(process.env.SVSEM_KILL_SECONDS ?? 20);
const INITIAL = 3;

const live = new Set<ChildProcess>();
const groups = new Set<number>();
function killGroups(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already empty
    }
  }
}
afterAll(killGroups);

/**
 * The shell loops the workers run; $$ (the loop's shell) owns the undo adjustments. `s` runs
 * svsem and first appends one byte to `log`, so the size of the log counts the invocations.
 */
function workerScripts(db: string, guarded: string, log: string): string[] {
  const s = `s() { printf . >> "${log}"; "${process.execPath}" "${CLI}" --db "${db}" "$@"; };`;
  return [
    // P and V with undo, each its own invocation; a kill between them leaves the unit to undo.
    `${s} while :; do s semop ${guarded} 0:-1 -u --owner $$ -t 0.5 && s semop ${guarded} 0:+1 -u --owner $$; done`,
    // Two units at once, blocking with a timeout.
    `${s} while :; do s semop ${guarded} 0:-2 -u --owner $$ -t 1 && s semop ${guarded} 0:+2 -u --owner $$; done`,
    // A shell doing many P/V pairs in one process for the loop. --owner $$, not the default
    // parent: a loop killed while Node starts the shell leaves it adopted by init before svsem
    // can look (the man page's caveat). --bail: a V after a P that timed out would give back a
    // unit never taken, and the clamping of the owner's exit (as the kernel's) would keep it.
    `${s} while :; do for i in 1 2 3 4 5 6 7 8 9 10; do echo "semop ${guarded} 0:-1 -u -t 0.5"; echo "semop ${guarded} 0:+1 -u"; done | s shell --bail --owner $$; done`,
    // Churn on sets of its own: create, set values, remove.
    `${s} while :; do id=$(s semget 0 2 -c) && s semctl $id setval 1 7 && s semop $id 1:-1 -u --owner $$ -n; s semctl $id rmid; done`,
  ];
}

/** A worker in a process group of its own, so that it and every orphan it leaves can be found. */
function startWorker(script: string): ChildProcess {
  const child = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  live.add(child);
  groups.add(child.pid!);
  child.on('exit', () => live.delete(child));
  return child;
}

describe('kill anywhere', () => {
  it(`loses nothing and leaves nothing of the dead (seed ${SEED})`, async () => {
    console.log(`kill.test.ts: seed ${SEED} (SVSEM_KILL_SEED), ${SECONDS} s (SVSEM_KILL_SECONDS)`);
    const random = generator(SEED);
    const db = freshDb();
    const guarded = svsem(db, 'semget', '0x6b111', '1', '-c', '--init', String(INITIAL)).stdout.trim();
    const log = join(dirname(db), 'invocations');
    const scripts = workerScripts(db, guarded, log);
    const workers = scripts.map(startWorker);
    let kills = 0;

    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 30 + random() * 150));
      const w = Math.floor(random() * workers.length);
      const worker = workers[w]!;
      const targets = processGroup(worker.pid!);
      const victim = targets[Math.floor(random() * targets.length)];
      if (victim === undefined) continue;
      try {
        process.kill(victim, 'SIGKILL');
        kills++;
      } catch {
        continue; // already gone
      }
      if (victim === worker.pid) workers[w] = startWorker(scripts[w]!);
    }
    killGroups();
    await new Promise((r) => setTimeout(r, 200));
    const invocations = existsSync(log) ? statSync(log).size : 0;
    console.log(`kill.test.ts: ${invocations} svsem invocations, ${kills} kills`);

    // One more command settles what the dead left; then look at the file itself.
    for (let i = 0; i < 50 && [...groups].some((g) => processGroup(g).length > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(svsem(db, 'semctl', guarded, 'getval', '0').stdout).toBe(`${INITIAL}\n`);
    const file = new Database(db, { readonly: true });
    try {
      expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
      const row = (sql: string) => file.prepare(sql).get() as Record<string, number>;
      expect(file.prepare('SELECT * FROM pending_op').all()).toEqual([]);
      expect(file.prepare('SELECT * FROM undo_record').all()).toEqual([]);
      expect(row('SELECT min(semval) AS lo, max(semval) AS hi FROM semaphore')).toMatchObject({
        lo: expect.any(Number), hi: expect.any(Number),
      });
      const range = row('SELECT count(*) AS n FROM semaphore WHERE semval NOT BETWEEN 0 AND 32767');
      expect(range.n).toBe(0);
    } finally {
      file.close();
    }
    expect(kills).toBeGreaterThan(SECONDS * 3);
  }, (SECONDS + 40) * 1000);
});
