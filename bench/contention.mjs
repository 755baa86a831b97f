/**
 * Budget 4: contention. PROCS shell scripts (bench/contender.sh) each drive their own
 * `svsem shell` through PAIRS P/V pairs (SEM_UNDO) on one count-1 semaphore around a
 * read-modify-write of a shared counter file. They start together once every shell is up, so
 * the figures are the locking, not Node's start-up. The counter must end at PROCS × PAIRS (no
 * lost update); the throughput is P/V pairs a second over all of them, and the waits for P are
 * reported as the longest any one process saw beside the average. The same scripts run with
 * flock(1) in place of svsem, and ksem does the same in C on the kernel's semaphore.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import {
  CLI, ENV, NODE, ROOT, SCRATCH, count, createSets, ksemMissing, ksemOut, ms, row,
} from './lib.mjs';

const SCRIPT = join(ROOT, 'bench', 'contender.sh');

/** Starts one contender; resolves its lines as they come. */
function contender(args) {
  const child = spawn('bash', [SCRIPT, ...args], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`contender.sh ${args[0]} ended early: ${stderr}`);
    return value;
  };
  return { child, next };
}

/** Runs PROCS contenders with `args`: elapsed ms, the counter, the longest and the mean wait. */
async function contend(procs, pairs, counter, args) {
  writeFileSync(counter, '0\n');
  const all = Array.from({ length: procs }, () => contender(args));
  for (const c of all) {
    if ((await c.next()) !== 'ready') throw new Error('contender.sh did not start');
  }
  const start = performance.now();
  all.forEach((c) => c.child.stdin.end('go\n'));
  const results = await Promise.all(all.map((c) => c.next()));
  const elapsed = performance.now() - start;
  const waits = results.map((line) => line.split(' ').map((us) => Number(us) / 1000));
  return {
    elapsed,
    counter: Number(readFileSync(counter, 'utf8')),
    longest: Math.max(...waits.map(([longest]) => longest)),
    mean: waits.reduce((sum, [, mean]) => sum + mean, 0) / waits.length,
  };
}

function describe(r, procs, pairs) {
  const lost = procs * pairs - r.counter;
  return `${count((procs * pairs) / (r.elapsed / 1000))} pairs/s, longest wait ${ms(r.longest)}, ` +
    `average ${ms(r.mean)}, ${lost === 0 ? 'no lost update' : `${lost} LOST UPDATES`}`;
}

async function flockReference(procs, pairs) {
  try {
    const counter = join(SCRATCH, 'flock.counter');
    const lock = join(SCRATCH, 'contention.lock');
    const r = await contend(procs, pairs, counter, ['flock', String(pairs), counter, lock]);
    return `flock(1): ${describe(r, procs, pairs)}`;
  } catch (err) {
    return `flock(1): skipped (${err.message})`;
  }
}

function kernelReference(procs, pairs) {
  try {
    const [us, counter, longest, mean] = ksemOut(['contend', String(procs), String(pairs)])
      .trim().split(' ').map(Number);
    return `kernel: ${describe({ elapsed: us / 1000, counter, longest: longest / 1000,
      mean: mean / 1000 }, procs, pairs)}`;
  } catch (err) {
    return `kernel: skipped (${ksemMissing ?? err.message})`;
  }
}

export async function contention({ procs, pairs }) {
  const db = join(SCRATCH, 'contention.db');
  const [id] = createSets(db, 1, 1, 1);
  const counter = join(SCRATCH, 'svsem.counter');
  const r = await contend(procs, pairs, counter,
    ['svsem', String(pairs), counter, NODE, CLI, db, String(id)]);
  const references = `${await flockReference(procs, pairs)}; ${kernelReference(procs, pairs)}`;
  return [row(`4 contention: ${procs} shells × ${pairs} P/V pairs on one semaphore`,
    'no lost update; longest wait reported', describe(r, procs, pairs), references,
    r.counter === procs * pairs)];
}
