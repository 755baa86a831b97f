/**
 * Lost wake-ups: many waiters (blocking `svsem semop` processes with timeouts: single and
 * multi-semaphore decrements, some with SEM_UNDO, waits for zero, and both at once) race with
 * posters on one set of three semaphores: 0 and 1 count units, 2 is a gate that the waiters for
 * zero wait on. Posts come from separate svsem processes and from an `svsem shell`; the undo
 * owners of finished waiters die at random moments, which gives units back through the exit
 * path. After the race, once everything else is quiet, the units left are taken, the gate is
 * closed and one more waiter of each kind goes to sleep; then the waiters still sleeping (all with
 * a long timeout) are given what they need by single-op calls, each of which must wake whoever it
 * lets go, since nothing else will. Then:
 * - every waiter ended, completed (exit 0) or timed out (exit 11), and none ended before its
 *   timeout without completing; a waiter whose timeout outlasts the race (60 s) completed;
 * - no sleeping operation and no undo record is left in the registry;
 * - the totals add up: for each counting semaphore, the initial value plus everything posted
 *   (less the test's own take), minus what the completed waiters without SEM_UNDO took, is its
 *   final value (a completed
 *   waiter with SEM_UNDO gave its units back when its owner died), and the gate is closed as
 *   often as it was opened.
 * Seeded (SVSEM_WAKEUP_SEED), bounded (SVSEM_WAKEUP_SECONDS of racing, default 10).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, freshDb, svsem } from '../cli/helpers.js';
import { generator, seedFrom } from './seeded.js';

const SEED = seedFrom('SVSEM_WAKEUP_SEED');
const SECONDS = Number(process.env.SVSEM_WAKEUP_SECONDS ?? 10);
/** The timeout of a waiter that must be woken, not time out: far beyond any honest delay. */
const LONG_TIMEOUT_S = 60;
const MAX_ALIVE = 24;
const INITIAL = [1, 0, 0];
const GATE = 2;

interface Waiter {
  readonly ops: string[];
  /** Units it takes from semaphores 0 and 1 if it completes. */
  readonly demand: [number, number];
  readonly undo: boolean;
  readonly timeoutS: number;
  readonly startedAt: number;
  endedAt?: number;
  status?: number | null;
  stderr: string;
  /** Settles once it ended and its undo owner, if any, is dead. */
  done?: Promise<void>;
}

/** The kinds of waiter: what it asks for, as semop words, and the units it takes. */
const KINDS: readonly { ops: string[]; demand: [number, number] }[] = [
  { ops: ['0:-1'], demand: [1, 0] },
  { ops: ['1:-2'], demand: [0, 2] },
  { ops: ['0:-1', '1:-1'], demand: [1, 1] },
  { ops: ['1:-1', '0:-2'], demand: [2, 1] },
  { ops: [`${GATE}:0`], demand: [0, 0] },
  { ops: [`${GATE}:0`, '0:-1'], demand: [1, 0] },
  { ops: ['1:-1', `${GATE}:0`], demand: [0, 1] },
];

const processes = new Set<ChildProcess>();
afterAll(() => processes.forEach((p) => p.kill('SIGKILL')));

function track<T extends ChildProcess>(child: T): T {
  processes.add(child);
  child.on('exit', () => processes.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

/** The race: its random choices, the waiters it started and everything it posted. */
class Race {
  readonly waiters: Waiter[] = [];
  /** Units given to semaphores 0 and 1: every post, less the test's own take. */
  readonly given: [number, number] = [0, 0];
  gate = 0;
  /** How many waiters were still sleeping when the race ended. */
  released = 0;
  /** Posts in flight (the waiters are followed through their own `done`). */
  private readonly running = new Set<Promise<unknown>>();
  private readonly shell: ChildProcess & { stdin: NodeJS.WritableStream };
  /** Whatever went wrong with a post, the shell or the release, one line each. */
  private troubles = '';

  constructor(readonly db: string, readonly semid: string, readonly random: () => number) {
    this.shell = track(spawn(process.execPath, [CLI, '--db', db, 'shell'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    }));
    createInterface({ input: this.shell.stderr! }).on('line', (l) => (this.troubles += l + '\n'));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private alive(): Waiter[] {
    return this.waiters.filter((w) => w.endedAt === undefined);
  }

  /** Most waiters may time out; some must be woken (see release). */
  private timeout(): number {
    return this.random() < 0.3 ? LONG_TIMEOUT_S : 0.2 + this.random() * 2.5;
  }

  /** Starts a blocking semop; a SEM_UNDO one acts for a `sleep` that dies some time after it. */
  startWaiter(kind = this.pick(KINDS), timeoutS = this.timeout()): void {
    const undo = kind.demand.some((d) => d > 0) && this.random() < 0.4;
    const owner = undo ? track(spawn('sleep', ['1000'], { stdio: 'ignore' })) : undefined;
    const args = ['--db', this.db, 'semop', this.semid, ...kind.ops, '-t', timeoutS.toFixed(2),
      ...(owner ? ['-u', '--owner', String(owner.pid)] : [])];
    const waiter: Waiter = { ...kind, undo, timeoutS, startedAt: Date.now(), stderr: '' };
    this.waiters.push(waiter);
    const child = track(spawn(process.execPath, [CLI, ...args],
      { stdio: ['ignore', 'ignore', 'pipe'] }));
    child.stderr!.on('data', (d) => (waiter.stderr += d));
    const ownerDies = this.random() * 500;
    waiter.done = exited(child).then(async (status) => {
      waiter.endedAt = Date.now();
      waiter.status = status;
      if (owner === undefined) return;
      await new Promise((r) => setTimeout(r, ownerDies));
      owner.kill('SIGKILL');
      await exited(owner);
    });
  }

  /** Adds units to semaphores 0 and 1, from a process of its own or through the shell. */
  post(units: [number, number]): void {
    const ops = units.flatMap((n, semnum) => (n > 0 ? [`${semnum}:+${n}`] : []));
    if (ops.length === 0) return;
    this.given[0] += units[0];
    this.given[1] += units[1];
    if (this.random() < 0.5) {
      this.shell.stdin.write(`semop ${this.semid} ${ops.join(' ')}\n`);
      return;
    }
    const child = track(spawn(process.execPath, [CLI, '--db', this.db, 'semop', this.semid, ...ops],
      { stdio: 'ignore' }));
    this.watch(exited(child).then((status) => {
      if (status !== 0) this.troubles += `post ${ops.join(' ')} exited ${status}\n`;
    }));
  }

  /** Closes (+1) or opens (-1) the gate; only the shell changes it, in order: it never blocks. */
  toggleGate(): void {
    const delta = this.gate > 0 && this.random() < 0.6 ? -1 : 1;
    this.gate += delta;
    this.shell.stdin.write(`semop ${this.semid} ${GATE}:${delta} -n\n`);
  }

  private watch(p: Promise<unknown>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  async run(seconds: number): Promise<void> {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10 + this.random() * 100));
      const roll = this.random();
      if (roll < 0.55) {
        if (this.alive().length < MAX_ALIVE) this.startWaiter();
      } else if (roll < 0.8) {
        this.post(this.pick([[1, 0], [0, 1], [1, 1], [1, 0], [0, 1], [2, 1]]));
      } else {
        this.toggleGate();
      }
    }
  }

  /**
   * Ends the race and waits for quiet: the shell and the posts done, every waiter with a short
   * timeout ended and the undo owners of all ended waiters dead. Only waiters with the long
   * timeout may still sleep then.
   */
  async quiesce(): Promise<void> {
    this.shell.stdin.end();
    this.watch(exited(this.shell).then((status) => {
      if (status !== 0) this.troubles += `svsem shell exited ${status}\n`;
    }));
    const settled = this.waiters
      .filter((w) => w.timeoutS < LONG_TIMEOUT_S || w.endedAt !== undefined);
    await Promise.all([...this.running, ...settled.map((w) => w.done)]);
  }

  /**
   * Makes sure the end has sleepers to wake: takes every unit left (the test's own take, counted
   * out of what was posted), closes the gate, starts one waiter of each kind with the long
   * timeout, and waits until all of them sleep (GETNCNT and GETZCNT count them).
   */
  async addSleepers(): Promise<void> {
    const values = svsem(this.db, 'semctl', this.semid, 'getall').stdout.split(' ').map(Number);
    const take = [0, 1].flatMap((i) => (values[i]! > 0 ? [`${i}:-${values[i]}`] : []));
    if (take.length > 0) expect(svsem(this.db, 'semop', this.semid, ...take, '-n').status).toBe(0);
    this.given[0] -= values[0]!;
    this.given[1] -= values[1]!;
    expect(svsem(this.db, 'semop', this.semid, `${GATE}:+1`).status).toBe(0);
    this.gate++;
    KINDS.forEach((kind) => this.startWaiter(kind, LONG_TIMEOUT_S));
    const expected = this.alive().length;
    const counts = `semctl ${this.semid} getncnt 0\nsemctl ${this.semid} getncnt 1\n` +
      `semctl ${this.semid} getzcnt ${GATE}\n`;
    for (let tries = 0; tries < 600; tries++) {
      const r = spawnSync(process.execPath, [CLI, '--db', this.db, 'shell'],
        { input: counts, encoding: 'utf8' });
      const sleeping = r.stdout.trim().split('\n').map(Number).reduce((a, b) => a + b, 0);
      if (sleeping === expected) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the ${expected} waiters left never all slept`);
  }

  /**
   * Gives the sleeping waiters what they need, one single-op call at a time from a quiet
   * registry (the units all of them ask for, then the gate opened step by step), so that each
   * of those calls alone must wake whoever it lets go; then waits for every waiter to end.
   */
  async release(): Promise<void> {
    const sleeping = this.alive();
    this.released = sleeping.length;
    const need = [0, 1].map((i) => sleeping.reduce((sum, w) => sum + w.demand[i]!, 0)) as
      [number, number];
    const calls = need.flatMap((n, semnum) => (n > 0 ? [`${semnum}:+${n}`] : []));
    for (; this.gate > 0; this.gate--) calls.push(`${GATE}:-1`);
    this.given[0] += need[0];
    this.given[1] += need[1];
    for (const op of calls) {
      const r = svsem(this.db, 'semop', this.semid, op);
      if (r.status !== 0) this.troubles += `release ${op}: exit ${r.status}: ${r.stderr}`;
    }
    await Promise.all([...this.running, ...this.waiters.map((w) => w.done)]);
  }

  problems(): string {
    return this.troubles;
  }
}

/** What the registry holds of sleeping operations and undo records. */
function leftovers(db: string): unknown[] {
  const file = new Database(db, { readonly: true });
  try {
    return [
      ...file.prepare('SELECT * FROM pending_op').all(),
      ...file.prepare('SELECT * FROM undo_record').all(),
    ];
  } finally {
    file.close();
  }
}

describe('lost wake-ups', () => {
  it(`wakes every waiter that can go, and the totals add up (seed ${SEED})`, async () => {
    console.log(`wakeups.test.ts: seed ${SEED} (SVSEM_WAKEUP_SEED), ` +
      `${SECONDS} s (SVSEM_WAKEUP_SECONDS)`);
    const db = freshDb();
    const semid = svsem(db, 'semget', 'IPC_PRIVATE', '3').stdout.trim();
    expect(svsem(db, 'semctl', semid, 'setall', ...INITIAL.map(String)).status).toBe(0);

    const race = new Race(db, semid, generator(SEED));
    await race.run(SECONDS);
    await race.quiesce();
    await race.addSleepers();
    await race.release();

    const { waiters } = race;
    const final = svsem(db, 'semctl', semid, 'getall').stdout.trim().split(' ').map(Number);
    const completed = waiters.filter((w) => w.status === 0);
    const timedOut = waiters.filter((w) => w.status === 11);
    console.log(`wakeups.test.ts: ${waiters.length} waiters, ${completed.length} completed, ` +
      `${timedOut.length} timed out, ${race.released} released at the end; given ` +
      `${race.given.join(' and ')}; final ${final.join(' ')}`);

    expect(race.problems()).toBe('');
    const odd = waiters.filter((w) => w.status !== 0 && w.status !== 11);
    expect(odd.map((w) => `${w.ops.join(' ')}: exit ${w.status}: ${w.stderr}`)).toEqual([]);
    const early = timedOut.filter((w) => w.endedAt! - w.startedAt < w.timeoutS * 1000);
    expect(early.map((w) => w.ops.join(' '))).toEqual([]);
    const unwoken = timedOut.filter((w) => w.timeoutS === LONG_TIMEOUT_S);
    const late = unwoken.map((w) => `${w.ops.join(' ')} after ${w.endedAt! - w.startedAt} ms`);
    expect(late).toEqual([]);
    expect(leftovers(db)).toEqual([]);

    const taken = [0, 1].map((i) => completed.filter((w) => !w.undo)
      .reduce((sum, w) => sum + w.demand[i]!, 0));
    const expected = [0, 1].map((i) => INITIAL[i]! + race.given[i]! - taken[i]!);
    expect(final).toEqual([...expected, 0]);
    expect(completed.length).toBeGreaterThan(0);
    expect(timedOut.length).toBeGreaterThan(0);
  }, (SECONDS + LONG_TIMEOUT_S + 60) * 1000);
});
