/**
 * Budget 1: one invocation. Each svsem command runs right after a `node -e 0`, round after round,
 * so that both see the same load; the figure is the median of the paired ratios (svsem over the
 * node run just before it), which a machine busy with other work disturbs least. The kernel's
 * floor is a C program doing one semop, and util-linux `ipcs -s` on as many sets.
 */
import { join } from 'node:path';
import {
  NODE, SCRATCH, createSets, ksemMissing, ksemOut, mb, measure, median, ms, parseMeasure, ratio,
  row, svsemArgs, within,
} from './lib.mjs';

const SETS = 100;
const WALL_BUDGET = 1.25;
const RSS_BUDGET = 1.3;

function kernelRuns(args) {
  try {
    const out = ksemOut(args);
    return parseMeasure({ stdout: out, status: 0, stderr: '' }, args);
  } catch {
    return undefined;
  }
}

function describeKernel(runs, what) {
  const got = runs.filter((r) => r !== undefined);
  if (got.length === 0) return `${what}: skipped (${ksemMissing ?? 'not available'})`;
  return `${what} ${ms(median(got.map((r) => r.wallMs)))}, ${mb(median(got.map((r) => r.rssKb)))}`;
}

export function startup({ rounds }) {
  const db = join(SCRATCH, 'startup.db');
  const ids = createSets(db, SETS);
  const id = String(ids[SETS / 2]);
  const commands = [
    ['semctl ID getval 0', svsemArgs(db, 'semctl', id, 'getval', '0'), ['op'], 'C semop'],
    ['semop ID 0:+1', svsemArgs(db, 'semop', id, '0:+1'), ['op'], 'C semop'],
    [`ipcs (${SETS} sets)`, svsemArgs(db, 'ipcs'), ['ipcs', String(SETS)], 'util-linux ipcs -s'],
  ];
  const runs = commands.map(() => ({ node: [], svsem: [], kernel: [] }));
  const nodeArgs = [NODE, '-e', '0'];

  // One unmeasured round: the file cache and the registry's WAL settle first.
  commands.forEach(([, argv]) => measure([NODE, ...argv]));
  for (let r = 0; r < rounds; r++) {
    commands.forEach(([, argv, kernelArgs], i) => {
      runs[i].node.push(measure(nodeArgs));
      runs[i].svsem.push(measure([NODE, ...argv]));
      runs[i].kernel.push(kernelRuns(kernelArgs));
    });
  }
  return commands.flatMap(([name, , , kernelName], i) => rows(name, runs[i], kernelName));
}

function rows(name, { node, svsem, kernel }, kernelName) {
  const wallRatio = median(svsem.map((s, k) => s.wallMs / node[k].wallMs));
  const rssRatio = median(svsem.map((s, k) => s.rssKb / node[k].rssKb));
  const nodeWall = median(node.map((r) => r.wallMs));
  const nodeRss = median(node.map((r) => r.rssKb));
  const kernelText = describeKernel(kernel, kernelName);
  return [
    row(`1 ${name}: wall`, `≤ ${WALL_BUDGET}× node -e 0`,
      `${ms(median(svsem.map((r) => r.wallMs)))} (${ratio(wallRatio)})`,
      `node -e 0 ${ms(nodeWall)}; ${kernelText}`, within(wallRatio, WALL_BUDGET)),
    row(`1 ${name}: peak RSS`, `≤ ${RSS_BUDGET}× node -e 0`,
      `${mb(median(svsem.map((r) => r.rssKb)))} (${ratio(rssRatio)})`,
      `node -e 0 ${mb(nodeRss)}`, within(rssRatio, RSS_BUDGET)),
  ];
}
