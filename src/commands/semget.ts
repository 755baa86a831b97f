/** svsem semget KEY [NSEMS]: find or create a set and print its id. */
import type { Argv } from 'yargs';
import { type GlobalArgs, type Output, withRegistry } from '../cli/context.js';
import { parseInteger, parseKey, parseMode } from '../cli/parse.js';
import type { SemgetRequest } from '../core/semget.js';

interface SemgetArgs extends GlobalArgs {
  key: string;
  nsems?: string;
  create?: boolean;
  excl?: boolean;
  mode?: string;
  init?: string;
}

export const command = 'semget <key> [nsems]';
export const describe = 'find or create a semaphore set; prints its id';

export function builder(y: Argv): Argv {
  return y
    .positional('key', { type: 'string', describe: 'decimal, 0x hex, or IPC_PRIVATE (0)' })
    .positional('nsems', { type: 'string', describe: 'number of semaphores (needed to create)' })
    .option('create', { alias: 'c', type: 'boolean', describe: 'IPC_CREAT: create if missing' })
    .option('excl', { alias: 'x', type: 'boolean', describe: 'IPC_EXCL: fail if it exists' })
    .option('mode', { alias: 'm', type: 'string', describe: 'octal mode bits of semflg (default 0600 with --create, else 0)' })
    .option('init', { type: 'string', describe: 'initial value of every semaphore of a new set' })
    .example('$0 semget 0x1234 1 -c --init 1', 'a mutex, created unlocked if missing');
}

export function toRequest(args: SemgetArgs): SemgetRequest {
  return {
    key: parseKey(args.key),
    nsems: args.nsems === undefined ? 0 : parseInteger(args.nsems, 'nsems', -0x80000000, 0x7fffffff),
    create: args.create ?? false,
    excl: args.excl ?? false,
    // As in C, the mode bits are also the access asked of an existing set: a plain lookup asks
    // for none, a create for what the new set would grant its owner.
    mode: parseMode(args.mode ?? (args.create ? '0600' : '0')),
    init: args.init === undefined ? undefined : parseInteger(args.init, 'init value', -0x80000000, 0x7fffffff),
  };
}

export async function run(args: SemgetArgs, io: Output): Promise<void> {
  const req = toRequest(args);
  const id = await withRegistry(args, (r) => r.semget(req));
  io.out(args.json ? JSON.stringify({ semid: id }) : String(id));
}
