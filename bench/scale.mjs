/**
 * Budget 5: scale. A registry filled with SETS sets against one with a single set: the cost of a
 * semop (per operation in `svsem shell`, and one whole invocation), runs alternating between the
 * two, compared by the median of paired ratios; then `semctl getall` on a set of 32,000
 * semaphores and `ipcs` on the full registry, each one whole invocation. The kernel's `ipcs -s`
 * on as many sets is the floor for the last.
 */
import { join } from 'node:path';
import {
  NODE, SCRATCH, count, createSets, ksemMissing, ksemOut, measure, median, ms, parseMeasure,
  ratio, row, svsemArgs, us,
} from './lib.mjs';
import { opsFile, shellRun } from './throughput.mjs';

const RATIO_BUDGET = 1.2;
const WHOLE_BUDGET_MS = 1000;
const SEMMSL = 32000;

/** Median wall time of `runs` runs of svsem with `args` on db. */
function invocation(db, args, runs) {
  const argv = [NODE, ...svsemArgs(db, ...args)];
  measure(argv); // warms the file cache
  return median(Array.from({ length: runs }, () => measure(argv).wallMs));
}

/**
 * Alternating runs of `measureOne(small)` and `measureOne(full)`: the two medians, and the
 * median of the paired ratios (each full run over the small run just before it), the figure
 * that a load changing during the runs disturbs least.
 */
function alternate(runs, measureOne) {
  const small = [];
  const full = [];
  for (let i = 0; i < runs; i++) {
    small.push(measureOne('small'));
    full.push(measureOne('full'));
  }
  const ratios = full.map((f, i) => f / small[i]);
  return { small: median(small), full: median(full), ratio: median(ratios) };
}

function kernelIpcs(sets) {
  try {
    const out = ksemOut(['ipcs', String(sets)]);
    return `util-linux ipcs -s on ${count(sets)} kernel sets ` +
      ms(parseMeasure({ stdout: out, status: 0, stderr: '' }, ['ipcs']).wallMs);
  } catch (err) {
    return `kernel: skipped (${ksemMissing ?? err.message})`;
  }
}

export function scale({ sets, lines, runs }) {
  const dbs = { small: join(SCRATCH, 'scale-1.db'), full: join(SCRATCH, 'scale-full.db') };
  const ids = { small: createSets(dbs.small, 1)[0], full: createSets(dbs.full, sets).at(-1) };
  const files = {
    small: opsFile('scale-1.ops', ids.small, lines),
    full: opsFile('scale-full.ops', ids.full, lines),
  };
  const perOp = alternate(runs, (which) => shellRun(dbs[which], files[which]) / lines);
  const once = alternate(runs * 3, (which) =>
    measure([NODE, ...svsemArgs(dbs[which], 'semop', String(ids[which]), '0:+1')]).wallMs);

  const bigDb = join(SCRATCH, 'scale-big-set.db');
  const [bigId] = createSets(bigDb, 1, SEMMSL);
  const getall = invocation(bigDb, ['semctl', String(bigId), 'getall'], runs);
  const ipcs = invocation(dbs.full, ['ipcs'], runs);
  const name = `${count(sets)} sets`;
  return [
    row(`5 semop in shell, ${name} vs 1 set (per op)`, `≤ ${RATIO_BUDGET}×`,
      `${us(perOp.full)} vs ${us(perOp.small)} (${ratio(perOp.ratio)})`,
      '', perOp.ratio <= RATIO_BUDGET),
    row(`5 semop, one invocation, ${name} vs 1 set`, `≤ ${RATIO_BUDGET}×`,
      `${ms(once.full)} vs ${ms(once.small)} (${ratio(once.ratio)})`, '',
      once.ratio <= RATIO_BUDGET),
    row(`5 semctl getall, one set of ${count(SEMMSL)} semaphores`, `≤ ${ms(WHOLE_BUDGET_MS)}`,
      ms(getall), '', getall <= WHOLE_BUDGET_MS),
    row(`5 ipcs, ${name}`, `≤ ${ms(WHOLE_BUDGET_MS)}`, ms(ipcs), kernelIpcs(sets),
      ipcs <= WHOLE_BUDGET_MS),
  ];
}
