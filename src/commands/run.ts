/**
 * svsem run: take K from a semaphore with SEM_UNDO owned by this process, run a command, and give
 * the K back when it ends. If svsem itself is killed (even with SIGKILL), the undo adjustment is
 * applied by the next svsem that looks at the registry, so the units are never lost; the command,
 * however, runs on unguarded in that case, since it does not hold the units itself.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { flagOption, stringOption, type ParsedArgs } from '../cli/argv.js';
import type { Context } from '../cli/context.js';
import { ExitStatus, UsageError } from '../cli/errors.js';
import { parseId, parseInteger, parseKey } from '../cli/parse.js';
import { isSemError } from '../core/errno.js';
import { SEMMSL, SEMVMX } from '../core/limits.js';
import type { SemKey } from '../core/types.js';
import { cmdline, selfRef } from '../process.js';
import type { Registry } from '../registry.js';
import { parseTimeout } from './semop.js';

/** As env(1) and the shells: the command was not found, or was found but could not be run. */
export const EXIT_NOT_FOUND = 127;
export const EXIT_CANNOT_RUN = 126;

/** The set to take the units from: by id, or by key (created if --create says so). */
type SetChoice =
  | { readonly id: number }
  | { readonly key: SemKey; readonly nsems: number; readonly init: number | undefined };

interface RunPlan {
  readonly set: SetChoice;
  readonly semnum: number;
  readonly count: number;
  readonly timeoutMs: number | undefined;
  readonly nowait: boolean;
  readonly conflictExit: number;
  readonly argv: string[];
}

/** The whole command line checked before the registry is opened: a usage error writes nothing. */
function plan(args: ParsedArgs): RunPlan {
  const argv = [...args.words];
  if (argv.length === 0) throw new UsageError('no command given (put it after --)');
  const number = (name: string, fallback: number, min: number, max: number) => {
    const text = stringOption(args, name);
    return text === undefined ? fallback : parseInteger(text, name, min, max);
  };
  return {
    set: chooseSet(args),
    semnum: number('sem', 0, 0, 65535),
    count: number('count', 1, 1, SEMVMX),
    timeoutMs: parseTimeout(stringOption(args, 'timeout')),
    nowait: flagOption(args, 'nowait'),
    conflictExit: number('conflict-exit-code', 1, 0, 255),
    argv,
  };
}

function chooseSet(args: ParsedArgs): SetChoice {
  const id = stringOption(args, 'id');
  const key = stringOption(args, 'key');
  if (id === undefined && key === undefined) throw new UsageError('--id or --key is needed');
  if (id !== undefined && key !== undefined) {
    throw new UsageError('--id and --key exclude each other');
  }
  const create = stringOption(args, 'create');
  if (create !== undefined && key === undefined) throw new UsageError('--create goes with --key');
  if (id !== undefined) return { id: parseId(id) };
  const init = stringOption(args, 'init');
  return {
    key: parseKey(key!),
    nsems: create === undefined ? 0 : parseInteger(create, 'nsems', 1, SEMMSL),
    init: init === undefined ? undefined : parseInteger(init, 'init value', 0, SEMVMX),
  };
}

async function findSet(r: Registry, set: SetChoice): Promise<number> {
  if ('id' in set) return set.id;
  return r.semget({
    key: set.key, nsems: set.nsems, create: set.nsems > 0, excl: false,
    mode: set.nsems > 0 ? 0o600 : 0, init: set.init,
  });
}

/** What runChild resolves to: the command's exit status, or why it never ran. */
type ChildEnd = { readonly status: number } | { readonly failed: NodeJS.ErrnoException };

/** Runs argv with our stdio, forwarding SIGINT, SIGTERM and SIGHUP to it. */
function runChild(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env });
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    signals.forEach((s) => process.on(s, forward));
    const done = (end: ChildEnd) => {
      signals.forEach((s) => process.off(s, forward));
      resolve(end);
    };
    child.on('error', (err) => done({ failed: err }));
    child.on('exit', (code, signal) => {
      done({ status: code ?? 128 + (signal ? constants.signals[signal] : 0) });
    });
  });
}

/** The exit status and message for a command that could not be started, as env(1) gives them. */
function startFailure(argv0: string, err: NodeJS.ErrnoException): { status: number; line: string } {
  const status = err.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
  const why = err.code === 'ENOENT'
    ? 'command not found'
    : `cannot run it (${err.code ?? err.message})`;
  return { status, line: `svsem run: ${argv0}: ${why}` };
}

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const p = plan(args);
  const me = selfRef();
  const r = ctx.registry();
  const id = await findSet(r, p.set);
  const interrupts = ctx.interrupts();
  try {
    const take = { semnum: p.semnum, semop: -p.count, nowait: p.nowait, undo: true };
    await r.semop(id, [take], {
      owner: me, timeoutMs: p.timeoutMs, signal: interrupts.signal,
      cmdline: () => cmdline(process.pid),
    });
  } catch (err) {
    if (isSemError(err, 'EAGAIN')) throw new ExitStatus(p.conflictExit);
    throw err;
  } finally {
    interrupts.release();
  }
  let end: ChildEnd;
  try {
    end = await runChild(p.argv, {
      ...process.env,
      SVSEM_ID: String(id), SVSEM_SEMNUM: String(p.semnum), SVSEM_COUNT: String(p.count),
    });
  } finally {
    await r.exit(me);
  }
  if ('failed' in end) {
    const { status, line } = startFailure(p.argv[0]!, end.failed);
    ctx.io.err(line);
    throw new ExitStatus(status);
  }
  if (end.status !== 0) throw new ExitStatus(end.status);
}
