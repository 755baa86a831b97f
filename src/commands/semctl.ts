/** svsem semctl SEMID CMD [ARGS], and the set-less IPC_INFO, SEM_INFO, SEM_STAT, SEM_STAT_ANY. */
import type { Argv } from 'yargs';
import { type GlobalArgs, type Output, actingProcess, withRegistry } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseId, parseInteger, parseMode } from '../cli/parse.js';
import { formatKey } from '../core/semget.js';
import type { SemSetHeader } from '../core/types.js';
import type { Registry } from '../registry.js';

interface SemctlArgs extends GlobalArgs {
  words: string[];
  uid?: string;
  gid?: string;
  mode?: string;
}

export const command = 'semctl <words..>';
export const describe = 'control a set: getval, setval, getall, setall, stat, set, rmid, info...';

export function builder(y: Argv): Argv {
  return y
    .positional('words', { type: 'string', array: true, describe: 'SEMID CMD [ARGS], or info|seminfo|semstat INDEX' })
    .option('uid', { type: 'string', describe: 'set: new owner uid' })
    .option('gid', { type: 'string', describe: 'set: new owner gid' })
    .option('mode', { type: 'string', describe: 'set: new octal permissions' })
    .option('owner', { type: 'string', describe: 'pid that setval/setall act for (default: the parent)' })
    .example('$0 semctl 0 getval 0', 'print the value of semaphore 0 of set 0')
    .example('$0 semctl 0 setall 1 1 0', 'set all three values at once')
    .example('$0 semctl info --json', 'the limits (IPC_INFO) as JSON');
}

/** The kernel's names and svsem's, folded to one spelling. */
const ALIASES: Record<string, string> = {
  ipc_rmid: 'rmid', ipc_set: 'set', ipc_stat: 'stat', ipc_info: 'info', sem_info: 'seminfo',
  sem_stat: 'semstat', sem_stat_any: 'semstat-any', semstat_any: 'semstat-any',
};
const ARITY: Record<string, number> = {
  getval: 1, getpid: 1, getncnt: 1, getzcnt: 1, setval: 2, getall: 0, stat: 0, set: 0, rmid: 0,
};
const SETLESS = new Set(['info', 'seminfo', 'semstat', 'semstat-any']);

export function normalize(cmd: string): string {
  const lower = cmd.toLowerCase();
  return ALIASES[lower] ?? lower;
}

function statJson(h: SemSetHeader): Record<string, number> {
  const { key, uid, gid, cuid, cgid, mode, seq } = h.perm;
  return { key, uid, gid, cuid, cgid, mode, seq, otime: h.otime, ctime: h.ctime, nsems: h.nsems };
}

function statLine(h: SemSetHeader): string {
  const j = statJson(h);
  return Object.entries(j)
    .map(([k, v]) => `${k}=${k === 'key' ? formatKey(v) : k === 'mode' ? '0' + v.toString(8) : v}`)
    .join(' ');
}

export async function run(args: SemctlArgs, io: Output): Promise<void> {
  const [first = '', ...rest] = args.words.map(String);
  if (SETLESS.has(normalize(first))) return runSetless(normalize(first), rest, args, io);
  const id = parseId(first);
  const [cmdWord, ...params] = rest;
  if (cmdWord === undefined) throw new UsageError('missing command after the semid');
  const cmd = normalize(cmdWord);
  if (cmd === 'setall') {
    if (params.length === 0) throw new UsageError('setall needs the values');
  } else if (ARITY[cmd] === undefined) {
    throw new UsageError(`unknown command '${cmdWord}'`);
  } else if (params.length !== ARITY[cmd]) {
    throw new UsageError(`${cmd} takes ${ARITY[cmd]} argument(s), got ${params.length}`);
  }
  if (cmd !== 'set' && (args.uid ?? args.gid ?? args.mode) !== undefined) {
    throw new UsageError('--uid, --gid and --mode go with the set command only');
  }
  const nums = params.map((p) => parseInteger(p, 'argument', -0x80000000, 0x7fffffff));
  const actor = cmd === 'setval' || cmd === 'setall' ? actingProcess(args) : undefined;
  await withRegistry(args, (r) => runOnSet(r, id, cmd, nums, args, io, actor));
}

async function runOnSet(
  r: Registry, id: number, cmd: string, nums: number[], args: SemctlArgs, io: Output,
  actor: ReturnType<typeof actingProcess> | undefined,
): Promise<void> {
  const print = (plain: string, json: unknown) => io.out(args.json ? JSON.stringify(json) : plain);
  switch (cmd) {
    case 'getval':
    case 'getpid':
    case 'getncnt':
    case 'getzcnt': {
      const value = await r.get(id, cmd, nums[0]!);
      return print(String(value), { semid: id, semnum: nums[0], [cmd.slice(3)]: value });
    }
    case 'getall': {
      const values = await r.getAll(id);
      return print(values.join(' '), { semid: id, values });
    }
    case 'setval':
      return r.setVal(id, nums[0]!, nums[1]!, actor!);
    case 'setall':
      return r.setAll(id, nums, actor!);
    case 'stat': {
      const h = await r.stat(id);
      return print(statLine(h), { semid: h.id, ...statJson(h) });
    }
    case 'set':
      return r.ipcSet(id, {
        uid: args.uid === undefined ? undefined : parseInteger(args.uid, 'uid', -1, 0xffffffff),
        gid: args.gid === undefined ? undefined : parseInteger(args.gid, 'gid', -1, 0xffffffff),
        mode: args.mode === undefined ? undefined : parseMode(args.mode),
      });
    case 'rmid':
      return r.rmid(id);
  }
}

async function runSetless(cmd: string, params: string[], args: SemctlArgs, io: Output): Promise<void> {
  const wanted = cmd === 'semstat' || cmd === 'semstat-any' ? 1 : 0;
  if (params.length !== wanted) throw new UsageError(`${cmd} takes ${wanted} argument(s)`);
  await withRegistry(args, async (r) => {
    if (cmd === 'info' || cmd === 'seminfo') {
      const { info, highestIndex } = await r.info(cmd);
      if (args.json) io.out(JSON.stringify({ ...info, highestIndex }));
      else io.out(Object.entries(info).map(([k, v]) => `${k}=${v}`).join(' '));
      return;
    }
    const index = parseInteger(params[0]!, 'index', -0x80000000, 0x7fffffff);
    const h = await r.semStat(index, cmd === 'semstat-any');
    io.out(args.json ? JSON.stringify({ semid: h.id, ...statJson(h) }) : `semid=${h.id} ${statLine(h)}`);
  });
}
