/**
 * svsem ipcrm: util-linux ipcrm for semaphores. Like it, it goes on past an id or key it cannot
 * remove, reports each failure on its own line, and exits 1 at the end if anything failed.
 *
 * Difference from util-linux: every argument is checked before anything is removed, so
 * `ipcrm -a sem` (where `sem` is a stray word, not the --all filter) removes nothing and fails,
 * where util-linux first removes every object the caller may and only then complains.
 */
import { flagOption, listOption, type ParsedArgs } from '../cli/argv.js';
import type { Context, Output } from '../cli/context.js';
import { ExitStatus, UsageError } from '../cli/errors.js';
import { SemError } from '../core/errno.js';
import { asKey } from '../core/types.js';
import type { Registry } from '../registry.js';

/** util-linux's numbers: decimal, 0x hex, or leading-0 octal. */
export function parseIpcNumber(text: string): number | undefined {
  const t = text.trim();
  const negative = t.startsWith('-');
  const digits = negative ? t.slice(1) : t;
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(digits)) n = Number(digits);
  else if (/^0[0-7]*$/.test(digits)) n = parseInt(digits, 8);
  else if (/^[1-9]\d*$/.test(digits)) n = Number(digits);
  else return undefined;
  return negative ? -n : n;
}

function why(err: unknown, what: 'id' | 'key', shown: string): string {
  if (!(err instanceof SemError)) throw err;
  switch (err.errno) {
    case 'EPERM':
    case 'EACCES':
      return `permission denied for ${what} (${shown})`;
    case 'EIDRM':
      return `already removed ${what} (${shown})`;
    default:
      return `invalid ${what} (${shown})`;
  }
}

/** What to remove, every argument checked. */
interface Removal {
  readonly ids: readonly { text: string; id: number }[];
  readonly keys: readonly { text: string; key: number }[];
  readonly all: boolean;
  readonly legacy: boolean;
}

function plan(args: ParsedArgs): Removal {
  const legacy = args.words;
  if (legacy.length > 0) {
    if (legacy[0] !== 'sem') throw new UsageError(`unknown argument: ${legacy[0]}`);
    if (legacy.length < 2) throw new UsageError('not enough arguments');
  }
  const all = args.options.all;
  if (typeof all === 'string' && all !== 'sem') throw new UsageError(`unknown argument: ${all}`);
  const number = (text: string) => {
    const n = parseIpcNumber(text);
    if (n === undefined || n < -0x80000000 || n > 0xffffffff) {
      throw new UsageError(`failed to parse argument: '${text}'`);
    }
    return n;
  };
  const ids = [...listOption(args, 'semaphore-id'), ...legacy.slice(1)]
    .map((text) => ({ text, id: number(text) }));
  const keys = listOption(args, 'semaphore-key')
    .map((text) => ({ text, key: asKey(number(text)) }));
  if (ids.length === 0 && keys.length === 0 && all === undefined) {
    throw new UsageError('bad usage: give -s ID, -S KEY or --all');
  }
  return { ids, keys, all: all !== undefined, legacy: legacy.length > 0 };
}

/** Removes what `removal` names, reporting each failure; returns true if all went well. */
async function removeAll(
  r: Registry,
  removal: Removal,
  io: Output,
  verbose: boolean,
): Promise<boolean> {
  let ok = true;
  const fail = (line: string) => {
    ok = false;
    io.err(`svsem ipcrm: ${line}`);
  };
  const remove = async (id: number, what: 'id' | 'key', shown: string) => {
    if (verbose) io.out(`removing semaphore id \`${id}'`);
    try {
      await r.rmid(id);
    } catch (err) {
      fail(why(err, what, shown));
    }
  };
  for (const { text, id } of removal.ids) await remove(id, 'id', text);
  for (const { text, key } of removal.keys) {
    const set = key === 0 ? undefined : await r.findByKey(asKey(key));
    if (key === 0) fail(`illegal key (${text})`);
    else if (set === undefined) fail(`invalid key (${text})`);
    // As util-linux, a failure on a set found by key names its id.
    else await remove(set.id, 'key', String(set.id));
  }
  if (removal.all) {
    for (const set of await r.list()) await remove(set.id, 'id', String(set.id));
  }
  return ok;
}

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const removal = plan(args);
  const ok = await removeAll(ctx.registry(), removal, ctx.io, flagOption(args, 'verbose'));
  if (removal.legacy && ok) ctx.io.out('resource(s) deleted');
  if (!ok) throw new ExitStatus(1);
}
