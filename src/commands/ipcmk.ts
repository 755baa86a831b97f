/** svsem ipcmk -S NSEMS: util-linux ipcmk for semaphores, plus -k KEY and --init VALUE. */
import { randomBytes } from 'node:crypto';
import { stringOption, type ParsedArgs } from '../cli/argv.js';
import type { Context } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseInitValue, parseInteger, parseKey, parseMode } from '../cli/parse.js';
import { asKey } from '../core/types.js';

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const nsemsText = stringOption(args, 'semaphore');
  if (nsemsText === undefined) throw new UsageError('bad usage: -S NSEMS is required');
  const nsems = parseInteger(nsemsText, 'elements', -0x80000000, 0x7fffffff);
  const mode = parseMode(stringOption(args, 'mode') ?? '0644');
  const keyText = stringOption(args, 'key');
  // util-linux draws the key from 4 random bytes and passes IPC_CREAT without IPC_EXCL.
  const key = keyText === undefined ? asKey(randomBytes(4).readInt32LE(0)) : parseKey(keyText);
  const init = parseInitValue(stringOption(args, 'init'));
  const id = await ctx.registry().semget({ key, nsems, create: true, excl: false, mode, init });
  ctx.io.out(ctx.json ? JSON.stringify({ semid: id, key }) : `Semaphore id: ${id}`);
}
