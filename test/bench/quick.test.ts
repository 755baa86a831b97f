/**
 * Keeps the benchmark suite working: its quick mode runs once against the built CLI and must print
 * every row of its table. No figure is checked (timing belongs to `npm run bench`, on a machine
 * that is quiet), only that each budget was measured and the shared counter lost no update.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const RUN = join(__dirname, '..', '..', 'bench', 'run.mjs');

/** The first cell of every row the suite prints, in order. */
const FIGURES = [
  /^1 semctl ID getval 0: wall$/,
  /^1 semctl ID getval 0: peak RSS$/,
  /^1 semop ID 0:\+1: wall$/,
  /^1 semop ID 0:\+1: peak RSS$/,
  /^1 ipcs \(100 sets\): wall$/,
  /^1 ipcs \(100 sets\): peak RSS$/,
  /^2 shell, [\d,]+ uncontended semops$/,
  /^3 wake-up after semop \+1/,
  /^3 wake-up of a sleeping line in svsem shell/,
  /^3 release after the undo owner's SIGKILL/,
  /^4 contention: 8 shells/,
  /^5 semop in shell, [\d,]+ sets vs 1 set/,
  /^5 semop, one invocation/,
  /^5 semctl getall, one set of 32,000 semaphores$/,
  /^5 ipcs, [\d,]+ sets$/,
];

describe('npm run bench -- --quick', () => {
  it('measures every budget and prints one row for each', () => {
    const r = spawnSync(process.execPath, [RUN, '--quick'], { encoding: 'utf8', timeout: 170_000 });
    // 0: every budget met, 1: some missed (a figure, not a failure of the suite).
    expect(r.stderr).not.toMatch(/bench: Error/);
    expect([0, 1]).toContain(r.status);

    const rows = r.stdout.split('\n').filter((l) => /^\| \d /.test(l))
      .map((l) => l.slice(2).split(' | '));
    expect(rows.map(([figure]) => figure)).toHaveLength(FIGURES.length);
    rows.forEach(([figure, , measured], i) => {
      expect(figure).toMatch(FIGURES[i]!);
      expect(measured).toMatch(/\d/);
    });
    const contention = rows.find(([figure]) => figure!.startsWith('4 '))!;
    expect(contention[2]).toMatch(/no lost update/);
  }, 180_000);
});
