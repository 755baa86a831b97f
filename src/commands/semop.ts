/** svsem semop SEMID OP...: one atomic semop call, sleeping if it must. */
import type { Argv } from 'yargs';
import { type GlobalArgs, type Output, actingProcess, withRegistry } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseId, parseSops } from '../cli/parse.js';
import { cmdline } from '../process.js';

interface SemopArgs extends GlobalArgs {
  semid: string;
  ops: string[];
  nowait?: boolean;
  undo?: boolean;
  timeout?: string;
}

export const command = 'semop <semid> <ops..>';
export const describe = 'perform semaphore operations atomically (SEMNUM:DELTA[:FLAGS])';

export function builder(y: Argv): Argv {
  return y
    .positional('semid', { type: 'string' })
    .positional('ops', { type: 'string', array: true, describe: 'SEMNUM:DELTA[:FLAGS], flags n (IPC_NOWAIT) and u (SEM_UNDO)' })
    .option('nowait', { alias: 'n', type: 'boolean', describe: 'IPC_NOWAIT on every op' })
    .option('undo', { alias: 'u', type: 'boolean', describe: 'SEM_UNDO on every op' })
    .option('timeout', { alias: 't', type: 'string', describe: 'give up after SECONDS (semtimedop)' })
    .option('owner', { type: 'string', describe: 'pid the call acts for (default: the parent shell)' })
    .example('$0 semop $id 0:-1 --undo', 'P (take) on semaphore 0, given back when the shell exits')
    .example('$0 semop $id 0:+1', 'V (give back)');
}

export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (text.trim() === '' || !Number.isFinite(s) || s < 0) {
    throw new UsageError(`timeout '${text}' is not a number of seconds >= 0`);
  }
  return Math.round(s * 1000);
}

export async function run(args: SemopArgs, io: Output): Promise<void> {
  const id = parseId(args.semid);
  const sops = parseSops(args.ops.map(String), args.nowait ?? false, args.undo ?? false);
  if (sops.length === 0) throw new UsageError('no operation given');
  const timeoutMs = parseTimeout(args.timeout);
  const owner = actingProcess(args);

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  signals.forEach((s) => process.on(s, onSignal));
  try {
    await withRegistry(args, (r) =>
      r.semop(id, sops, { owner, timeoutMs, signal: abort.signal, cmdline: cmdline(owner.pid) }));
  } finally {
    signals.forEach((s) => process.off(s, onSignal));
  }
  if (args.json) io.out(JSON.stringify({ semid: id, done: true }));
}
