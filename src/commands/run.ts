/**
 * svsem run: take K from a semaphore with SEM_UNDO owned by this process, run a command, and give
 * the K back when it ends. If svsem itself is killed (even with SIGKILL), the undo adjustment is
 * applied by the next svsem that looks at the registry, so the units are never lost; the command,
 * however, runs on unguarded in that case, since it does not hold the units itself.
 */
import { spawn } from 'node:child_process';
import type { Argv } from 'yargs';
import { type GlobalArgs, type Output, withRegistry } from '../cli/context.js';
import { ExitStatus, UsageError } from '../cli/errors.js';
import { parseId, parseInteger, parseKey } from '../cli/parse.js';
import { isSemError } from '../core/errno.js';
import { SEMVMX } from '../core/limits.js';
import { cmdline, selfRef } from '../process.js';
import type { Registry } from '../registry.js';
import { parseTimeout } from './semop.js';

interface RunArgs extends GlobalArgs {
  id?: string;
  key?: string;
  create?: string;
  init?: string;
  sem?: string;
  count?: string;
  nowait?: boolean;
  timeout?: string;
  'conflict-exit-code'?: string;
  command?: string[];
  _: (string | number)[];
}

export const command = 'run [command..]';
export const describe = 'run a command while holding K units of a semaphore (crash-safe)';

export function builder(y: Argv): Argv {
  return y
    .option('id', { type: 'string', describe: 'the set, by id' })
    .option('key', { type: 'string', describe: 'the set, by key' })
    .option('create', { type: 'string', describe: 'with --key: create a set of NSEMS if missing' })
    .option('init', { type: 'string', describe: 'with --create: initial value of each semaphore' })
    .option('sem', { type: 'string', describe: 'semaphore number (default 0)' })
    .option('count', { type: 'string', describe: 'units to take (default 1)' })
    .option('nowait', { alias: 'n', type: 'boolean', describe: 'fail at once if the units are not free' })
    .option('timeout', { alias: 't', type: 'string', describe: 'give up after SECONDS' })
    .option('conflict-exit-code', { alias: 'E', type: 'string', describe: 'exit status when the units cannot be taken (default 1)' })
    .conflicts('id', 'key')
    .example('$0 run --key 0x10 --create 1 --init 2 -- make -j1', 'at most two makes at a time');
}

interface RunPlan {
  readonly semnum: number;
  readonly count: number;
  readonly timeoutMs: number | undefined;
  readonly nowait: boolean;
  readonly conflictExit: number;
  readonly argv: string[];
}

function plan(args: RunArgs): RunPlan {
  // Words after `--` land in `_`, after the command name itself.
  const argv = [...(args.command ?? []), ...args._.slice(1)].map(String);
  if (argv.length === 0) throw new UsageError('no command given (put it after --)');
  if (args.id === undefined && args.key === undefined) throw new UsageError('--id or --key is needed');
  if (args.create !== undefined && args.key === undefined) throw new UsageError('--create goes with --key');
  return {
    semnum: args.sem === undefined ? 0 : parseInteger(args.sem, 'semaphore number', 0, 65535),
    count: args.count === undefined ? 1 : parseInteger(args.count, 'count', 1, SEMVMX),
    timeoutMs: parseTimeout(args.timeout),
    nowait: args.nowait ?? false,
    conflictExit: parseInteger(args['conflict-exit-code'] ?? '1', 'conflict exit code', 0, 255),
    argv,
  };
}

async function findSet(r: Registry, args: RunArgs): Promise<number> {
  if (args.id !== undefined) return parseId(args.id);
  const create = args.create !== undefined;
  return r.semget({
    key: parseKey(args.key!),
    nsems: create ? parseInteger(args.create!, 'nsems', 1, 32000) : 0,
    create,
    excl: false,
    mode: create ? 0o600 : 0,
    init: args.init === undefined ? undefined : parseInteger(args.init, 'init value', 0, SEMVMX),
  });
}

/** Runs argv with our stdio, forwarding SIGINT, SIGTERM and SIGHUP; resolves to its exit status. */
function runChild(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env });
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    signals.forEach((s) => process.on(s, forward));
    const done = () => signals.forEach((s) => process.off(s, forward));
    child.on('error', (err) => {
      done();
      reject(new UsageError(`cannot run '${argv[0]}': ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? osSignal(signal) : 0));
    });
  });
}

function osSignal(name: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return numbers[name] ?? 0;
}

export async function run(args: RunArgs, _io: Output): Promise<void> {
  const p = plan(args);
  const me = selfRef();
  const status = await withRegistry(args, async (r) => {
    const id = await findSet(r, args);
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    signals.forEach((s) => process.on(s, onSignal));
    try {
      await r.semop(id, [{ semnum: p.semnum, semop: -p.count, nowait: p.nowait, undo: true }],
        { owner: me, timeoutMs: p.timeoutMs, signal: abort.signal, cmdline: cmdline(process.pid) });
    } catch (err) {
      if (isSemError(err, 'EAGAIN')) throw new ExitStatus(p.conflictExit);
      throw err;
    } finally {
      signals.forEach((s) => process.off(s, onSignal));
    }
    try {
      return await runChild(p.argv, {
        ...process.env, SVSEM_ID: String(id), SVSEM_SEMNUM: String(p.semnum), SVSEM_COUNT: String(p.count),
      });
    } finally {
      await r.exit(me);
    }
  });
  if (status !== 0) throw new ExitStatus(status);
}
