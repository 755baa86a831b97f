/**
 * svsem ipcrm: util-linux ipcrm for semaphores. Like it, it goes on past an id or key it cannot
 * remove, reports each failure on its own line, and exits 1 at the end if anything failed.
 */
import type { Argv } from 'yargs';
import { type GlobalArgs, type Output, withRegistry } from '../cli/context.js';
import { ExitStatus, UsageError } from '../cli/errors.js';
import { parseKey } from '../cli/parse.js';
import { SemError } from '../core/errno.js';
import type { Registry } from '../registry.js';

interface IpcrmArgs extends GlobalArgs {
  legacy?: string[];
  'semaphore-id'?: string[];
  'semaphore-key'?: string[];
  all?: string;
  verbose?: boolean;
}

export const command = 'ipcrm [legacy..]';
export const describe = 'remove semaphore sets by id or key (like util-linux ipcrm)';

export function builder(y: Argv): Argv {
  return y
    .positional('legacy', { type: 'string', array: true, describe: 'old syntax: sem ID...' })
    .option('semaphore-id', { alias: 's', type: 'string', array: true, describe: 'remove the set with this id' })
    .option('semaphore-key', { alias: 'S', type: 'string', array: true, describe: 'remove the set with this key' })
    .option('all', { alias: 'a', type: 'string', describe: 'remove every set you may (--all or --all=sem)' })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'say what is being removed' })
    .example('$0 ipcrm -s 3 -S 0x1234', 'remove set 3 and the set with key 0x1234');
}

/** util-linux's numbers: decimal, 0x hex, or leading-0 octal. */
function parseIpcNumber(text: string): number | undefined {
  const t = text.trim();
  if (/^-?0x[0-9a-f]+$/i.test(t) || /^-?[1-9]\d*$|^0$/.test(t)) return Number(t);
  if (/^-?0[0-7]+$/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace('-', ''), 8);
  return undefined;
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

export async function run(args: IpcrmArgs, io: Output): Promise<void> {
  const legacy = (args.legacy ?? []).map(String);
  const ids = (args['semaphore-id'] ?? []).map(String);
  const keys = (args['semaphore-key'] ?? []).map(String);
  if (legacy.length > 0) {
    if (legacy[0] !== 'sem') throw new UsageError(`unknown argument: ${legacy[0]}`);
    if (legacy.length < 2) throw new UsageError('not enough arguments');
  }
  if (args.all !== undefined && !['', 'sem'].includes(args.all)) {
    throw new UsageError(`unknown argument: ${args.all}`);
  }
  if (legacy.length === 0 && ids.length === 0 && keys.length === 0 && args.all === undefined) {
    throw new UsageError('bad usage: give -s ID, -S KEY or --all');
  }
  for (const word of [...ids, ...legacy.slice(1)]) {
    if (parseIpcNumber(word) === undefined) throw new UsageError(`failed to parse argument: '${word}'`);
  }
  const keyValues = keys.map((k) => ({ text: k, key: parseKey(k) }));

  let failed = false;
  const fail = (line: string) => {
    failed = true;
    io.err(`svsem ipcrm: ${line}`);
  };
  await withRegistry(args, async (r) => {
    const remove = async (id: number, what: 'id' | 'key', shown: string) => {
      if (args.verbose) io.out(`removing semaphore id \`${id}'`);
      try {
        await r.rmid(id);
      } catch (err) {
        fail(why(err, what, shown));
      }
    };
    for (const word of [...ids, ...legacy.slice(1)]) await remove(parseIpcNumber(word)!, 'id', word);
    for (const { text, key } of keyValues) {
      if (key === 0) {
        fail(`illegal key (${text})`);
        continue;
      }
      const set = await r.findByKey(key);
      if (set === undefined) fail(`invalid key (${text})`);
      else await remove(set.id, 'key', String(set.id));
    }
    if (args.all !== undefined) await removeAll(r, remove);
  });
  if (legacy.length > 0 && !failed) io.out('resource(s) deleted');
  if (failed) throw new ExitStatus(1);
}

async function removeAll(
  r: Registry,
  remove: (id: number, what: 'id', shown: string) => Promise<void>,
): Promise<void> {
  for (const set of await r.list()) await remove(set.id, 'id', String(set.id));
}
