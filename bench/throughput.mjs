/**
 * Budget 2: `svsem shell` reading a file of uncontended lines alternating `semop ID 0:+1` and
 * `semop ID 0:-1`, end to end (start-up, opening the registry and exit included), with the
 * registry's normal durability settings. The figure is the median over the runs; the kernel's
 * floor is the same loop of semop(2) calls in one C process.
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NODE, SCRATCH, count, createSets, ksemMissing, ksemOut, measure, median, row, svsemArgs,
} from './lib.mjs';

const BUDGET = 20_000;

/** A file of `lines` lines alternating V and P on set `id`. */
export function opsFile(name, id, lines) {
  const path = join(SCRATCH, name);
  const pair = `semop ${id} 0:+1\nsemop ${id} 0:-1\n`;
  writeFileSync(path, pair.repeat(lines / 2));
  return path;
}

/** One run of `svsem shell` on db with the file at `path` as stdin: wall time in ms. */
export function shellRun(db, path) {
  const fd = openSync(path, 'r');
  try {
    return measure([NODE, ...svsemArgs(db, 'shell', '--bail')], fd).wallMs;
  } finally {
    closeSync(fd);
  }
}

function kernelOpsPerSecond(lines) {
  try {
    const seconds = Number(ksemOut(['loop', String(lines)])) / 1e6;
    return `kernel semop loop ${count(lines / seconds)} ops/s`;
  } catch (err) {
    return `kernel: skipped (${ksemMissing ?? err.message})`;
  }
}

export function throughput({ lines, runs }) {
  const db = join(SCRATCH, 'throughput.db');
  const [id] = createSets(db, 1);
  const path = opsFile('throughput.ops', id, lines);
  const walls = Array.from({ length: runs }, () => shellRun(db, path));
  const opsPerSecond = lines / (median(walls) / 1000);
  return [row(`2 shell, ${count(lines)} uncontended semops`, `≥ ${count(BUDGET)} ops/s`,
    `${count(opsPerSecond)} ops/s`, kernelOpsPerSecond(lines), opsPerSecond >= BUDGET)];
}
