/**
 * Runs one semaphore script two ways and returns one result line per script line from each:
 * on the kernel through test/kernel/helper.c in a fresh IPC namespace, and on svsem through its
 * CLI on a fresh registry. helper.c's header describes the script language; svsem's results are
 * put in the helper's spelling (a number, the values, an errno name, "0" or "set" for pids).
 * A script runs whole (runOnKernel, runOnSvsem) or a command at a time (kernelSession,
 * SvsemScript), for a test that decides what to send next from what came back.
 */
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** A call that would have slept: the helper's alarm fired, or svsem gave no answer. */
export const BLOCKED = 'blocked';
/** svsem lines after a blocked call: a sleeping svsem cannot be asked anything more. */
export const NOT_RUN = 'not run';

const CALL_TIMEOUT_MS = 5000;
const SESSION = fileURLToPath(new URL('./svsem-session.mjs', import.meta.url));

/** Script text to commands: one a line, `#` starts a comment, blank lines skipped. */
export function scriptLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '');
}

interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runProcess(cmd: string, args: string[], input: string, timeoutMs: number): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs the script in one helper process inside a new IPC namespace. */
export async function runOnKernel(helper: string, lines: string[]): Promise<string[]> {
  const input = lines.join('\n') + '\n';
  const { status, stdout, stderr } = await runProcess('unshare', ['--ipc', helper], input, 60_000);
  const results = stdout.split('\n').slice(0, -1);
  if (status !== 0 || results.length !== lines.length) {
    throw new Error(`kernel helper: exit ${status}, ${results.length} of ${lines.length} results; ${stderr}`);
  }
  return results.map((r) => (r === 'EINTR' ? BLOCKED : r));
}

/** A helper in its own IPC namespace, answering one command at a time. */
export interface KernelSession {
  /** The helper's answer to one command line (EINTR, a call that would have slept, as BLOCKED). */
  run(line: string): Promise<string>;
  close(): void;
}

export function kernelSession(helper: string): KernelSession {
  const child = spawn('unshare', ['--ipc', helper], { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: ((line: string | undefined) => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(line));
  child.on('close', () => waiting.splice(0).forEach((w) => w(undefined)));
  child.stdin.on('error', () => {}); // a helper that died is reported by run()
  return {
    run: (line) =>
      new Promise((resolve, reject) => {
        waiting.push((answer) => {
          if (answer === undefined) reject(new Error(`kernel helper ended: ${stderr}`));
          else resolve(answer === 'EINTR' ? BLOCKED : answer);
        });
        child.stdin.write(line + '\n');
      }),
    close: () => child.kill('SIGKILL'),
  };
}

/** What one svsem command did; undefined when it was still running at the time limit. */
export interface Outcome {
  status: number;
  out: string[];
  err: string[];
}

export interface SvsemRunner {
  run(argv: string[]): Promise<Outcome | undefined>;
  close(): void;
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** One `node cli.js ...` process per command: the real process boundary, about 160 ms each. */
export function spawnRunner(cli: string): SvsemRunner {
  return {
    run: (argv) =>
      new Promise((resolve) => {
        execFile(process.execPath, [cli, ...argv], { timeout: CALL_TIMEOUT_MS }, (error, stdout, stderr) => {
          if (error?.killed) return resolve(undefined);
          const status = typeof error?.code === 'number' ? error.code : 0;
          resolve({ status, out: splitLines(stdout), err: splitLines(stderr) });
        });
      }),
    close: () => {},
  };
}

/**
 * All commands through one svsem-session.mjs process (see there): a few ms each. A command
 * still running at the time limit counts as blocked and ends the session with SIGKILL (svsem's
 * semop turns SIGTERM into EINTR, which would look like an answer).
 */
export function sessionRunner(cli: string): SvsemRunner {
  const child = spawn(process.execPath, [SESSION, cli], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: ((o: Outcome | undefined) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  child.on('close', () => waiting.splice(0).forEach((w) => w(undefined)));
  return {
    run: (argv) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(undefined);
        }, CALL_TIMEOUT_MS);
        waiting.push((o) => {
          clearTimeout(timer);
          resolve(o);
        });
        child.stdin.write(JSON.stringify(argv) + '\n');
      }),
    close: () => child.kill('SIGKILL'),
  };
}

/** What a command line for svsem depends on: the registry, --as, what `$` means, --owner. */
interface SvsemState {
  db: string;
  as?: string;
  lastSemid?: string;
  /** --owner for the calls that act for a process (semop, setval, setall); else svsem's parent. */
  owner?: number;
}

const SEMCTL_GETS = new Set(['getval', 'getpid', 'getncnt', 'getzcnt', 'getall']);
const SEMCTL_SETS = new Set(['rmid']);

/** The svsem command line for one script command (not `as`, `proc` or `exit`: SvsemScript's). */
export function svsemArgv(words: string[], state: SvsemState): string[] {
  const [cmd = '', ...rest] = words;
  const id = rest[0] === '$' ? (state.lastSemid ?? '-1') : (rest[0] ?? '');
  const global = ['--db', state.db, ...(state.as ? ['--as', state.as] : [])];
  const owner = state.owner === undefined ? [] : ['--owner', String(state.owner)];
  if (cmd === 'semget') {
    const [key = '', nsems = '', flagText = ''] = rest;
    const flags = parseInt(flagText, 8);
    const create = flags & 0o1000 ? ['-c'] : [];
    const excl = flags & 0o2000 ? ['-x'] : [];
    return ['semget', key, nsems, ...create, ...excl, '-m', '0' + (flags & 0o777).toString(8), ...global];
  }
  if (cmd === 'semop') return ['semop', id, ...rest.slice(1), ...owner, ...global];
  if (cmd === 'semtimedop') return ['semop', id, ...rest.slice(1), '-t', '0', ...owner, ...global];
  if (cmd === 'setval' || cmd === 'setall') {
    return ['semctl', id, cmd, ...rest.slice(1), ...owner, ...global];
  }
  if (SEMCTL_GETS.has(cmd) || SEMCTL_SETS.has(cmd)) return ['semctl', id, cmd, ...rest.slice(1), ...global];
  if (cmd === 'stat') return ['semctl', id, 'stat', '--json', ...global];
  if (cmd === 'set') {
    const [, uid = '', gid = '', mode = ''] = rest;
    return ['semctl', id, 'set', '--uid', uid, '--gid', gid, '--mode', mode, ...global];
  }
  if (cmd === 'semstat' || cmd === 'semstatany') {
    const name = cmd === 'semstat' ? 'semstat' : 'semstat-any';
    return ['semctl', name, rest[0] ?? '', '--json', ...global];
  }
  if (cmd === 'info' || cmd === 'seminfo') return ['semctl', cmd, '--json', ...global];
  throw new Error(`the script command '${words.join(' ')}' has no svsem translation`);
}

/** svsem's failure in the helper's spelling: the errno name, if the exit status agrees. */
function failure(o: Outcome): string {
  const name = /^svsem \w+: (E[A-Z0-9]+): /.exec(o.err[0] ?? '')?.[1];
  const errno = name === undefined ? undefined : (constants.errno as Record<string, number>)[name];
  if (name !== undefined && errno === o.status && o.err.length === 1) return name;
  return `exit ${o.status}: ${o.err.join(' | ')}`;
}

function statLine(s: Record<string, number>): string {
  const mode = (s.mode ?? 0).toString(8).padStart(4, '0');
  return `key=${s.key} uid=${s.uid} gid=${s.gid} cuid=${s.cuid} cgid=${s.cgid} mode=${mode} ` +
    `seq=${s.seq} nsems=${s.nsems} otime=${s.otime ? 'set' : '0'}`;
}

const INFO_FIELDS = ['semmap', 'semmni', 'semmns', 'semmnu', 'semmsl', 'semopm', 'semume', 'semusz',
  'semvmx', 'semaem'];

function infoLine(i: Record<string, number>): string {
  return [`highest=${i.highestIndex}`, ...INFO_FIELDS.map((f) => `${f}=${i[f]}`)].join(' ');
}

/** One svsem outcome as the helper would have printed the kernel's. */
export function resultLine(cmd: string, o: Outcome): string {
  if (o.status !== 0) return failure(o);
  switch (cmd) {
    case 'semget':
    case 'getval':
    case 'getncnt':
    case 'getzcnt':
    case 'getall':
      return o.out.join(' | ');
    case 'getpid':
      return o.out.join(' | ') === '0' ? '0' : 'set';
    case 'stat':
      return statLine(JSON.parse(o.out[0] ?? '{}'));
    case 'semstat':
    case 'semstatany': {
      const stat = JSON.parse(o.out[0] ?? '{}');
      return `id=${stat.semid} ${statLine(stat)}`;
    }
    case 'info':
    case 'seminfo':
      return infoLine(JSON.parse(o.out[0] ?? '{}'));
    default:
      return o.out.length === 0 ? '0' : `0, printing ${o.out.join(' | ')}`;
  }
}

/**
 * svsem's side of a script, a command at a time. Each of the script's processes (`proc P`) has
 * its own credentials (`as`) and, when `owners` is given, a process of its own for its calls
 * to act for, started at its first call; `exit` ends that one (the harness cannot end a process
 * it did not start), and a later call for P starts another. Without `owners` every call acts
 * for svsem's parent, which no script can end.
 */
export class SvsemScript {
  private lastSemid: string | undefined;
  private current = 0;
  private readonly procs = new Map<number, { as?: string; owner?: OwnerProcess }>();

  constructor(
    private readonly runner: SvsemRunner,
    private readonly db: string,
    private readonly owners?: () => OwnerProcess,
  ) {}

  private proc(): { as?: string; owner?: OwnerProcess } {
    let proc = this.procs.get(this.current);
    if (proc === undefined) {
      proc = { owner: this.owners?.() };
      this.procs.set(this.current, proc);
    }
    return proc;
  }

  /** The result line of one command; BLOCKED if svsem gave no answer in time. */
  async step(line: string): Promise<string> {
    const words = line.split(' ');
    switch (words[0]) {
      case 'proc':
        this.current = Number(words[1]);
        return '0';
      case 'as': {
        const [, uid, gid] = words;
        this.proc().as = uid === '0' && gid === '0' ? undefined : `${uid}:${gid}`;
        return '0';
      }
      case 'exit':
        if (this.owners === undefined) return 'bad command exit (no process to end)';
        await this.procs.get(this.current)?.owner?.end();
        this.procs.delete(this.current);
        return '0';
    }
    const { as, owner } = this.proc();
    const state = { db: this.db, as, lastSemid: this.lastSemid, owner: owner?.pid };
    const outcome = await this.runner.run(svsemArgv(words, state));
    if (outcome === undefined) return BLOCKED;
    const result = resultLine(words[0] ?? '', outcome);
    if (words[0] === 'semget' && outcome.status === 0) this.lastSemid = result;
    return result;
  }

  /** Ends every process the script still has. */
  async close(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.owner?.end()));
    this.procs.clear();
  }
}

/** A process for svsem's calls to act for (--owner), which the script's `exit` ends. */
export interface OwnerProcess {
  readonly pid: number;
  /** Kills it and resolves once it is reaped, so that svsem finds it gone. */
  end(): Promise<void>;
}

export function startOwner(): OwnerProcess {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    pid: child.pid!,
    end: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/**
 * Runs the script on svsem, one command after another, on the registry file `db`; with
 * `owners`, svsem's calls act for processes of their own (see SvsemScript).
 */
export async function runOnSvsem(
  runner: SvsemRunner,
  db: string,
  lines: string[],
  owners?: () => OwnerProcess,
): Promise<string[]> {
  const script = new SvsemScript(runner, db, owners);
  const results: string[] = [];
  try {
    for (const line of lines) {
      results.push(await script.step(line));
      if (results.at(-1) === BLOCKED) break;
    }
  } finally {
    await script.close();
  }
  return [...results, ...Array<string>(lines.length - results.length).fill(NOT_RUN)];
}
