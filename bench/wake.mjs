/**
 * Budget 3: wake-ups. A `svsem semop ID 0:-1` process is started and left to sleep; once the
 * registry shows it waiting, a long-lived `svsem shell` does `semop ID 0:+1`, and the figure is
 * the time from that line's answer (the semop has returned) to the sleeper's exit, both seen by
 * this process's event loop. In the same rounds: flock(1), from a holder's exit to a blocked
 * flock's exit; Node's own floor, from closing the stdin of a `node` waiting on it to that
 * process's exit; and the fast path, a sleeping line of one `svsem shell` answered after
 * another shell's `semop ID 0:+1`. The kernel is measured inside ksem (a semop returning to
 * wait4 seeing the sleeper's exit).
 *
 * Then the dead owner: the set is held through SEM_UNDO for a process that is then SIGKILLed,
 * some time after the sleeper has settled into its sleep; the figure is the time from kill(2) to
 * the exit of a sleeper that nothing else helps.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ENV, NODE, SCRATCH, Session, createSets, ksemMissing, ksemOut, median, ms, quantile, row,
  svsemArgs,
} from './lib.mjs';

const MEDIAN_BUDGET_MS = 5;
const P99_BUDGET_MS = 25;
const KILL_BUDGET_MS = 250;

/** Starts argv; resolves to the time of its exit (rejects on a failure). */
function started(argv, options = {}) {
  const child = spawn(argv[0], argv.slice(1), {
    env: ENV, stdio: ['pipe', 'ignore', 'pipe'], ...options,
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      const at = performance.now();
      if (code === 0 || signal === 'SIGKILL') resolve(at);
      else reject(new Error(`${argv.join(' ')}: status ${code ?? signal}: ${stderr}`));
    });
  });
  return { child, exited };
}

/** Resolves once `test()` resolves true, checking every few milliseconds for at most 10 s. */
async function until(test, what) {
  for (const deadline = performance.now() + 10_000; performance.now() < deadline;) {
    if (await test()) return;
    await sleep(2);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A sleeping `svsem semop ID 0:-1`, started once the session shows none waiting. */
async function sleeper(db, id, session) {
  const child = started([NODE, ...svsemArgs(db, 'semop', String(id), '0:-1')]);
  const asleep = async () => (await session.ask(`semctl ${id} getncnt 0`)) === '1';
  await until(asleep, 'a sleeping semop');
  return child;
}

/** The time from `semop ID 0:+1` returning in the session to the sleeper's exit. */
async function svsemWake(db, id, session) {
  const waiting = await sleeper(db, id, session);
  await session.ask(`semop ${id} 0:+1 --json`);
  const posted = performance.now();
  return Math.max(0, (await waiting.exited) - posted);
}

function blockedOnFlock(pid) {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('lock');
  } catch {
    return false;
  }
}

/** The same hand-off through flock(1): a holder's exit to a blocked flock's exit. */
async function flockWake(lockFile) {
  const holder = started(['flock', lockFile, 'sh', '-c', 'echo held; exec cat'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await new Promise((resolve) => holder.child.stdout.once('data', resolve));
  const sleeper = started(['flock', lockFile, 'true']);
  await until(async () => blockedOnFlock(sleeper.child.pid), 'a blocked flock');
  holder.child.stdin.end();
  const released = await holder.exited;
  return Math.max(0, (await sleeper.exited) - released);
}

const WAIT_FOR_EOF = "process.stdout.write('ready\\n'); process.stdin.resume()";

/** Node's floor: a `node` waiting on its stdin, from closing that stdin to the process's exit. */
async function nodeWake() {
  const waiting = started([NODE, '-e', WAIT_FOR_EOF], { stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise((resolve) => waiting.child.stdout.once('data', resolve));
  waiting.child.stdin.end();
  const closed = performance.now();
  return (await waiting.exited) - closed;
}

/** The fast path: a line sleeping in one svsem shell, answered after another shell's V. */
async function shellWake(id, sleeping, posting) {
  const answer = sleeping.ask(`semop ${id} 0:-1 --json`);
  const asleep = async () => (await posting.ask(`semctl ${id} getncnt 0`)) === '1';
  await until(asleep, 'a sleeping line');
  await posting.ask(`semop ${id} 0:+1 --json`);
  const posted = performance.now();
  await answer;
  return Math.max(0, performance.now() - posted);
}

/** One sample of `measureOne` per round, or the reason there are none. */
class Samples {
  constructor(what, measureOne) {
    Object.assign(this, { what, measureOne, samples: [], failure: undefined });
  }

  async take() {
    if (this.failure !== undefined) return;
    try {
      this.samples.push(await this.measureOne());
    } catch (err) {
      this.failure = err.code === 'ENOENT' ? 'not installed' : err.message;
    }
  }

  describe() {
    if (this.failure !== undefined) return `${this.what}: skipped (${this.failure})`;
    return `${this.what} ${ms(median(this.samples))} / ${ms(quantile(this.samples, 0.99))}`;
  }
}

function kernelReference(wakes) {
  try {
    const out = ksemOut(['wake', String(wakes)]);
    const samples = out.trim().split('\n').map((us) => Number(us) / 1000);
    return `kernel ${ms(median(samples))} / ${ms(quantile(samples, 0.99))}`;
  } catch (err) {
    return `kernel: skipped (${ksemMissing ?? err.message})`;
  }
}

/** How long the sleeper is left before its undo owner dies: past its first look at /proc. */
const SETTLE_MS = 30;

/** Time from SIGKILL of the undo owner to the sleeper's exit. */
async function deadOwnerWake(db, id, session) {
  session.send(`semctl ${id} setval 0 1`);
  const owner = started(['sleep', '600']);
  await session.ask(`semop ${id} 0:-1 --undo --owner ${owner.child.pid} --json`);
  const waiting = await sleeper(db, id, session);
  await sleep(SETTLE_MS);
  owner.child.kill('SIGKILL');
  const killed = performance.now();
  await owner.exited;
  return (await waiting.exited) - killed;
}

export async function wake({ wakes, kills }) {
  const db = join(SCRATCH, 'wake.db');
  const [id, fastId] = createSets(db, 2);
  const session = new Session(db);
  const sleeping = new Session(db);
  try {
    const svsem = new Samples('svsem', () => svsemWake(db, id, session));
    const flock = new Samples('flock(1)', () => flockWake(join(SCRATCH, 'flock.lock')));
    const node = new Samples('Node woken by EOF, to its exit', nodeWake);
    const shell = new Samples('svsem shell', () => shellWake(fastId, sleeping, session));
    for (let i = 0; i < wakes; i++) {
      for (const s of [svsem, flock, node, shell]) await s.take();
    }
    if (svsem.failure !== undefined) throw new Error(svsem.failure);
    const killSamples = [];
    for (let i = 0; i < kills; i++) killSamples.push(await deadOwnerWake(db, id, session));
    return rows(svsem.samples, killSamples, [flock, node, kernelReference(wakes)], shell);
  } finally {
    await Promise.all([session.close(), sleeping.close()]);
  }
}

function rows(samples, killSamples, references, shell) {
  const p50 = median(samples);
  const p99 = quantile(samples, 0.99);
  const worst = Math.max(...killSamples);
  const text = (r) => (typeof r === 'string' ? r : r.describe());
  return [
    row(`3 wake-up after semop +1, ${samples.length} wakes (median / p99)`,
      `≤ ${MEDIAN_BUDGET_MS} ms / ≤ ${P99_BUDGET_MS} ms`, `${ms(p50)} / ${ms(p99)}`,
      references.map(text).join('; '), p50 <= MEDIAN_BUDGET_MS && p99 <= P99_BUDGET_MS),
    row(`3 wake-up of a sleeping line in svsem shell, ${samples.length} wakes (median / p99)`,
      'reported', shell.describe().replace(/^svsem shell /, ''), text(references[2])),
    row(`3 release after the undo owner's SIGKILL, ${killSamples.length} times (median / worst)`,
      `≤ ${KILL_BUDGET_MS} ms`, `${ms(median(killSamples))} / ${ms(worst)}`,
      'kernel: at once, in the exit of the owner', worst <= KILL_BUDGET_MS),
  ];
}
