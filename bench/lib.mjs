/**
 * What every part of the benchmark shares: a scratch folder, the built CLI, the measuring tool
 * (bench/c/ksem.c, compiled here), statistics, and the rows of the one table the suite prints.
 *
 * Wall time and peak memory of a process come from ksem's fork/exec/wait4, not from Node's
 * spawnSync, whose own overhead would be counted otherwise.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { createInterface } from 'node:readline';
import { URL, fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The executable measured: the build of this checkout, unless --cli names another. */
export let CLI = join(ROOT, 'dist', 'svsem.cjs');

export function useCli(path) {
  CLI = path;
}
export const NODE = process.execPath;

/** A scratch folder for registries and tools, removed by cleanup(). */
export const SCRATCH = mkdtempSync(join(tmpdir(), 'svsem-bench-'));

export function cleanup() {
  rmSync(SCRATCH, { recursive: true, force: true });
}

/** The environment svsem runs in: never the user's own registry. */
export const ENV = { ...process.env, SVSEM_DB: '', XDG_STATE_HOME: SCRATCH, NODE_OPTIONS: '' };

/** svsem's argv for `node`: the CLI, then --db DB, then the command. */
export function svsemArgs(db, ...args) {
  return [CLI, '--db', db, ...args];
}

/** Runs svsem to completion and returns its stdout; throws on a non-zero status. */
export function svsem(db, args, input = undefined) {
  const r = spawnSync(NODE, svsemArgs(db, ...args), {
    env: ENV, input, encoding: 'utf8', maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`svsem ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Creates `count` one-semaphore sets (IPC_PRIVATE) in one `svsem shell`; returns their ids. */
export function createSets(db, count, nsems = 1, init = 0) {
  const line = `semget 0 ${nsems} -c --init ${init}\n`;
  return svsem(db, ['shell', '--bail'], line.repeat(count)).trim().split('\n').map(Number);
}

/**
 * A long-lived `svsem shell` to ask one line at a time: ask() resolves to the line it printed
 * (so a command that prints nothing must be given --json). Its answer arrives the moment the
 * command has returned, with no process start-up in between.
 */
export class Session {
  constructor(db) {
    this.child = spawn(NODE, svsemArgs(db, 'shell', '--bail'), {
      env: ENV, stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** Sends a line without waiting for it (its errors end the session: --bail). */
  send(line) {
    this.child.stdin.write(line + '\n');
  }

  async ask(line) {
    this.send(line);
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`svsem shell ended at: ${line}`);
    return value;
  }

  close() {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    return exited;
  }
}

/** ksem, compiled once per run; undefined (with the reason) if there is no C compiler. */
let ksemPath;
export let ksemMissing;

export function ksem() {
  if (ksemPath !== undefined || ksemMissing !== undefined) return ksemPath;
  const out = join(SCRATCH, 'ksem');
  try {
    execFileSync('gcc', ['-O2', '-o', out, join(ROOT, 'bench', 'c', 'ksem.c')], { stdio: 'pipe' });
    ksemPath = out;
  } catch (err) {
    ksemMissing = err.code === 'ENOENT' ? 'no gcc' : `gcc failed: ${String(err.stderr).trim()}`;
  }
  return ksemPath;
}

/** Whether `unshare --ipc` works here (root, or user namespaces); checked once. */
let ipcNamespace;
export function privateIpc() {
  ipcNamespace ??= spawnSync('unshare', ['--ipc', 'true']).status === 0;
  return ipcNamespace;
}

/** Runs ksem with `args` (in a private IPC namespace where possible) and returns its stdout. */
export function ksemOut(args, options = {}) {
  const tool = ksem();
  if (tool === undefined) throw new Error(ksemMissing);
  const [cmd, argv] = privateIpc() ? ['unshare', ['--ipc', tool, ...args]] : [tool, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: ENV, ...options });
  if (r.status !== 0) throw new Error(`ksem ${args[0]}: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * One measured run of argv under ksem: { wallMs, rssKb, cpuMs, status }. stdin is `stdin`
 * (a file descriptor) or /dev/null.
 */
export function measure(argv, stdin = 'ignore') {
  const tool = ksem();
  if (tool === undefined) return measureWithoutKsem(argv, stdin);
  return parseMeasure(spawnSync(tool, ['run', ...argv], {
    encoding: 'utf8', env: ENV, stdio: [stdin, 'pipe', 'pipe'],
  }), argv);
}

/** Without a C compiler: wall time from here, spawnSync's overhead included; no peak memory. */
function measureWithoutKsem(argv, stdin) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env: ENV, stdio: [stdin, 'ignore', 'pipe'] });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit status ${r.status} ${r.stderr}`);
  return { wallMs, rssKb: NaN, cpuMs: NaN, status: 0 };
}

export function parseMeasure(r, argv) {
  const [wall, rss, cpu, status] = r.stdout.trim().split(' ').map(Number);
  if (r.status !== 0 || status !== 0) {
    throw new Error(`${argv.join(' ')}: exit status ${status ?? r.status} ${r.stderr}`);
  }
  return { wallMs: wall / 1000, rssKb: rss, cpuMs: cpu / 1000, status };
}

export function median(xs) {
  return quantile(xs, 0.5);
}

/** The q-quantile of xs by the nearest-rank method (p99 of 200 samples is the 198th). */
export function quantile(xs, q) {
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

export function ms(x) {
  return x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(x >= 10 ? 1 : 2)} ms`;
}

/** Milliseconds as microseconds, for costs per operation. */
export function us(x) {
  return `${(x * 1000).toFixed(1)} µs`;
}

export function mb(kb) {
  if (Number.isNaN(kb)) return `not measured (${ksemMissing})`;
  return `${(kb / 1024).toFixed(1)} MB`;
}

export function ratio(x) {
  if (Number.isNaN(x)) return 'n/a';
  return `${x.toFixed(2)}×`;
}

export function count(x) {
  return Math.round(x).toLocaleString('en-US');
}

/** Whether x is within a budget; undefined when x could not be measured. */
export function within(x, limit) {
  return Number.isNaN(x) ? undefined : x <= limit;
}

/**
 * A row of the table. `ok` is true or false where a budget applies, undefined where the figure
 * is only reported.
 */
export function row(figure, budget, measured, reference, ok = undefined) {
  return { figure, budget, measured, reference, ok };
}
