/** svsem semget KEY [NSEMS]: find or create a set and print its id. */
import { flagOption, stringOption, type ParsedArgs } from '../cli/argv.js';
import type { Context } from '../cli/context.js';
import { parseInitValue, parseInteger, parseKey, parseMode } from '../cli/parse.js';
import type { SemgetRequest } from '../core/semget.js';

export function toRequest(args: ParsedArgs): SemgetRequest {
  const [key, nsems] = args.words;
  const create = flagOption(args, 'create');
  const init = stringOption(args, 'init');
  return {
    key: parseKey(key!),
    nsems: nsems === undefined ? 0 : parseInteger(nsems, 'nsems', -0x80000000, 0x7fffffff),
    create,
    excl: flagOption(args, 'excl'),
    // As in C, the mode bits are also the access asked of an existing set: a plain lookup asks
    // for none, a create for what the new set would grant its owner.
    mode: parseMode(stringOption(args, 'mode') ?? (create ? '0600' : '0')),
    init: parseInitValue(init),
  };
}

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const req = toRequest(args);
  const id = await ctx.registry().semget(req);
  ctx.io.out(ctx.json ? JSON.stringify({ semid: id }) : String(id));
}
