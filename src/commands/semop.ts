/** svsem semop SEMID OP...: one atomic semop call, sleeping if it must. */
import { flagOption, stringOption, type ParsedArgs } from '../cli/argv.js';
import type { Context } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseId, parseSops } from '../cli/parse.js';
import { cmdline } from '../process.js';

/** --timeout SECONDS (fractions allowed) in milliseconds. */
export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (text.trim() === '' || !Number.isFinite(s) || s < 0) {
    throw new UsageError(`timeout '${text}' is not a number of seconds >= 0`);
  }
  return Math.round(s * 1000);
}

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const [semid, ...words] = args.words;
  const id = parseId(semid!);
  const sops = parseSops(words, flagOption(args, 'nowait'), flagOption(args, 'undo'));
  if (sops.length === 0) throw new UsageError('no operation given');
  const timeoutMs = parseTimeout(stringOption(args, 'timeout'));
  const owner = ctx.actingProcess(stringOption(args, 'owner'), sops.some((sop) => sop.undo));
  const registry = ctx.registry();

  const interrupts = ctx.interrupts();
  try {
    await registry.semop(id, sops, {
      owner, timeoutMs, signal: interrupts.signal, cmdline: () => cmdline(owner.pid),
      onBlock: () => ctx.beforeWait?.(),
    });
  } finally {
    interrupts.release();
  }
  if (ctx.json) ctx.io.out(JSON.stringify({ semid: id, done: true }));
}
