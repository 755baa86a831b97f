/**
 * svsem's benchmark suite: every performance budget of the project, measured against the built
 * CLI (dist/svsem.cjs) and printed as one Markdown table on stdout, with the references measured
 * in the same run. Progress goes to stderr.
 *
 *   npm run bench                 build, then the full suite (a few minutes)
 *   npm run bench -- --quick      smaller counts: a smoke run of every row in well under a minute
 *   node bench/run.mjs [--quick] [--only startup,throughput,wake,contention,scale] [--cli FILE]
 *
 * --cli measures another build of svsem.cjs (kept inside the checkout, so that it finds
 * node_modules and db/), to compare a change with what came before it.
 *
 * It is plain JavaScript run by Node on the built output, not TypeScript: it measures the
 * executable users run, needs no build of its own, and nothing in it is part of the package.
 * Figures that compare are ratios taken within one run, from alternating runs, and medians,
 * because the machine may be busy with other work; bench/lib.mjs says how each process is timed.
 */
import { cpus, loadavg, release } from 'node:os';
import { relative, resolve } from 'node:path';
import process from 'node:process';
import { contention } from './contention.mjs';
import { CLI, ROOT, cleanup, ksem, ksemMissing, privateIpc, useCli } from './lib.mjs';
import { scale } from './scale.mjs';
import { startup } from './startup.mjs';
import { throughput } from './throughput.mjs';
import { wake } from './wake.mjs';

const FULL = {
  startup: { rounds: 40 },
  throughput: { lines: 100_000, runs: 3 },
  wake: { wakes: 200, kills: 10 },
  contention: { procs: 8, pairs: 200 },
  scale: { sets: 32_000, lines: 20_000, runs: 5 },
};

const QUICK = {
  startup: { rounds: 5 },
  throughput: { lines: 10_000, runs: 1 },
  wake: { wakes: 10, kills: 2 },
  contention: { procs: 8, pairs: 20 },
  scale: { sets: 2_000, lines: 4_000, runs: 1 },
};

const SECTIONS = { startup, throughput, wake, contention, scale };

/** The value of --NAME VALUE or --NAME=VALUE, if given. */
function option(argv, name) {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(name.length + 3) : argv[i + 1];
}

function options(argv) {
  const quick = argv.includes('--quick');
  const only = option(argv, 'only');
  const names = only === undefined ? Object.keys(SECTIONS) : only.split(',');
  const unknown = names.filter((n) => !(n in SECTIONS));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}`);
  return { quick, names, cli: option(argv, 'cli') };
}

function machine() {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  return `Node ${process.version}, ${cpus().length} × ${model}, Linux ${release()}`;
}

function load() {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

function table(rows) {
  const verdict = (ok) => (ok === undefined ? '' : ok ? 'ok' : '**missed**');
  const lines = [
    '| figure | budget | svsem | reference (same run) | |',
    '|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.figure} | ${r.budget} | ${r.measured} | ${r.reference} | ${verdict(r.ok)} |`),
  ];
  return lines.join('\n');
}

async function main() {
  const { quick, names, cli } = options(process.argv.slice(2));
  if (cli !== undefined) useCli(resolve(cli));
  const counts = quick ? QUICK : FULL;
  process.stdout.write(`svsem benchmark${quick ? ' (quick)' : ''}, ${new Date().toISOString()}\n`);
  const say = (line) => process.stdout.write(line + '\n');
  say(`${machine()}; load average at start ${load()}; measuring ${relative(ROOT, CLI)}`);
  if (ksem() === undefined) say(`kernel references and peak memory skipped: ${ksemMissing}`);
  if (!privateIpc()) say('no private IPC namespace: the kernel references use this one');

  const rows = [];
  try {
    for (const name of names) {
      const started = Date.now();
      process.stderr.write(`bench: ${name}...`);
      rows.push(...(await SECTIONS[name](counts[name])));
      process.stderr.write(` ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    cleanup();
  }
  process.stdout.write(`load average at end ${load()}\n\n${table(rows)}\n`);
  if (rows.some((r) => r.ok === false)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`\nbench: ${err.stack ?? err}\n`);
  cleanup();
  process.exitCode = 2;
});
