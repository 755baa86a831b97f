/** svsem ipcmk -S NSEMS: util-linux ipcmk for semaphores, plus -k KEY and --init VALUE. */
import { randomBytes } from 'node:crypto';
import type { Argv } from 'yargs';
import { type GlobalArgs, type Output, withRegistry } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseInteger, parseKey, parseMode } from '../cli/parse.js';
import { asKey } from '../core/types.js';

interface IpcmkArgs extends GlobalArgs {
  semaphore?: string;
  mode?: string;
  key?: string;
  init?: string;
}

export const command = 'ipcmk';
export const describe = 'make a semaphore set with a random key (like util-linux ipcmk)';

export function builder(y: Argv): Argv {
  return y
    .option('semaphore', { alias: 'S', type: 'string', describe: 'number of semaphores' })
    .option('mode', { alias: 'p', type: 'string', describe: 'octal permissions (default 0644)' })
    .option('key', { alias: 'k', type: 'string', describe: 'use this key instead of a random one' })
    .option('init', { type: 'string', describe: 'initial value of every semaphore' })
    .example('$0 ipcmk -S 2 -p 0600', 'a set of two semaphores');
}

export async function run(args: IpcmkArgs, io: Output): Promise<void> {
  if (args.semaphore === undefined) throw new UsageError('bad usage: -S NSEMS is required');
  const nsems = parseInteger(args.semaphore, 'elements', -0x80000000, 0x7fffffff);
  const mode = parseMode(args.mode ?? '0644');
  // util-linux draws the key from 4 random bytes and passes IPC_CREAT without IPC_EXCL.
  const key = args.key === undefined ? asKey(randomBytes(4).readInt32LE(0)) : parseKey(args.key);
  const init = args.init === undefined ? undefined : parseInteger(args.init, 'init value', -0x80000000, 0x7fffffff);
  const id = await withRegistry(args, (r) => r.semget({ key, nsems, create: true, excl: false, mode, init }));
  io.out(args.json ? JSON.stringify({ semid: id, key }) : `Semaphore id: ${id}`);
}
