/**
 * svsem ipcs: util-linux `ipcs -s` over the registry, byte for byte in every view
 * (src/format/ipcs.ts prints; this file picks the view and gathers what it needs).
 *
 * Where it differs from util-linux 2.38.1:
 * - svsem has semaphores only: -s and -a and no resource option all mean `ipcs -s`, -i needs no
 *   -s, and -m or -q are a usage error (exit 64), as are ids that do not parse (ipcs exits 1).
 * - `-i -1` prints `id -1 not found` and exits 0; ipcs crashes on it (SIGSEGV).
 * - Without read permission -i fails with EACCES (exit 13); ipcs exits 1.
 * - Names come from /etc/passwd and /etc/group only, not from other NSS sources.
 * - The last format option wins, counted where it first appears (see chooseView).
 */
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { type GlobalArgs, type Output, withRegistry } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { SemError } from '../core/errno.js';
import { type Gathered, type Names, formatJson, formatText } from '../format/ipcs.js';
import type { Registry } from '../registry.js';

interface IpcsArgs extends GlobalArgs {
  id?: string | string[];
  shmems?: boolean;
  queues?: boolean;
  [flag: string]: unknown;
}

type View = Exclude<Gathered['view'], 'set'>;

export const command = 'ipcs';
export const describe = 'show semaphore sets as util-linux ipcs -s does';

export function builder(y: Argv): Argv {
  return y
    .option('semaphores', { alias: 's', type: 'boolean', describe: 'semaphore sets (the default)' })
    .option('all', { alias: 'a', type: 'boolean', describe: 'every resource (here: sets)' })
    .option('shmems', { alias: 'm', type: 'boolean', hidden: true })
    .option('queues', { alias: 'q', type: 'boolean', hidden: true })
    .option('id', { alias: 'i', type: 'string', describe: 'details of the set with this id' })
    .option('limits', { alias: 'l', type: 'boolean', describe: 'the limits' })
    .option('summary', { alias: 'u', type: 'boolean', describe: 'sets and semaphores in use' })
    .option('time', { alias: 't', type: 'boolean', describe: 'last operation and change times' })
    .option('creator', { alias: 'c', type: 'boolean', describe: 'creator and owner' })
    .option('pid', { alias: 'p', type: 'boolean', describe: 'creator and last pids (none)' })
    .option('bytes', { alias: 'b', type: 'boolean', describe: 'sizes in bytes (no effect)' })
    .option('human', { type: 'boolean', describe: 'readable sizes (no effect)' })
    .example('$0 ipcs -t', 'when each set was last operated on and changed')
    .example('$0 ipcs -i 0 --json', 'the values, waiters and undo holders of set 0');
}

const FORMAT_FLAGS: Record<string, View> = {
  time: 'time', t: 'time', creator: 'creator', c: 'creator', pid: 'pid', p: 'pid',
  limits: 'limits', l: 'limits', summary: 'summary', u: 'summary',
};

/**
 * The view of the format flag given last, as in ipcs. yargs says which flags were given but not
 * where; its result gains keys in the order they first appear, so a flag repeated after another
 * (-t -c -t) counts at its first place here, where ipcs would take the -t.
 */
export function chooseView(args: Record<string, unknown>): View {
  let view: View = 'list';
  for (const [flag, value] of Object.entries(args)) {
    const format = FORMAT_FLAGS[flag];
    if (format !== undefined && value === true) view = format;
  }
  return view;
}

/** The id of -i ID (the last one given), parsed as util-linux does: a decimal int32. */
function parseSetId(given: string | string[]): number {
  const text = String(Array.isArray(given) ? given[given.length - 1] : given);
  const n = Number(text);
  if (!/^[-+]?\d+$/.test(text) || n < -0x80000000 || n > 0x7fffffff) {
    throw new UsageError(`failed to parse id argument: '${text}'`);
  }
  return n;
}

/** uid or gid to the first name /etc/passwd or /etc/group gives it (as getpwuid does). */
function readIdNames(path: string): Map<number, string> {
  const names = new Map<number, string>();
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return names; // no file: every owner prints as a number, as when getpwuid fails
  }
  for (const entry of text.split('\n')) {
    const [name, , id] = entry.split(':');
    if (!name || /^[+-]/.test(name) || id === undefined || !/^\d+$/.test(id)) continue;
    if (!names.has(Number(id))) names.set(Number(id), name);
  }
  return names;
}

function readNames(): Names {
  return { users: readIdNames('/etc/passwd'), groups: readIdNames('/etc/group') };
}

/** Reads what a view of the sets needs; names only for the views that print them. */
async function gather(r: Registry, view: Exclude<View, 'pid' | 'limits'>): Promise<Gathered> {
  if (view === 'summary') {
    const { info } = await r.info('seminfo'); // SEM_INFO, where ipcs -u reads these two
    return { view, usedArrays: info.semusz, allocatedSemaphores: info.semaem };
  }
  return { view, sets: await r.list(), names: readNames() };
}

export async function run(args: IpcsArgs, io: Output): Promise<void> {
  if (args.shmems || args.queues) {
    throw new UsageError('svsem emulates System V semaphores only: -m and -q have nothing to show');
  }
  // One write for the whole view, so a reader that stops early (| head) gets it all first.
  const print = (g: Gathered) =>
    io.out(args.json ? JSON.stringify(formatJson(g)) : formatText(g).join('\n'));

  if (args.id !== undefined) {
    const id = parseSetId(args.id);
    const state = await withRegistry(args, (r) => r.inspect(id)).catch((err: unknown) => {
      if (err instanceof SemError && err.errno === 'EINVAL') return undefined;
      throw err;
    });
    // Like ipcs (and lsipc), a missing id is reported but is not a failure: exit 0.
    if (state === undefined) io.err(`svsem ipcs: id ${id} not found`);
    else print({ view: 'set', state });
    return;
  }
  const view = chooseView(args);
  // -p and -l show nothing stored, so they need no registry.
  if (view === 'pid' || view === 'limits') return print({ view });
  print(await withRegistry(args, (r) => gather(r, view)));
}
