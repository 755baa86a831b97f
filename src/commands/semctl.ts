/** svsem semctl SEMID CMD [ARGS], and the set-less IPC_INFO, SEM_INFO, SEM_STAT, SEM_STAT_ANY. */
import { stringOption, type ParsedArgs } from '../cli/argv.js';
import type { Context } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseId, parseInteger, parseMode } from '../cli/parse.js';
import { formatKey } from '../core/semget.js';
import type { SemSetHeader } from '../core/types.js';

/** The kernel's names and svsem's, folded to one spelling. */
const ALIASES: Record<string, string> = {
  ipc_rmid: 'rmid', ipc_set: 'set', ipc_stat: 'stat', ipc_info: 'info', sem_info: 'seminfo',
  sem_stat: 'semstat', sem_stat_any: 'semstat-any', semstat_any: 'semstat-any',
};
/** The number of arguments each per-set command takes (setall: one per semaphore). */
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
  return Object.entries(statJson(h))
    .map(([k, v]) => `${k}=${k === 'key' ? formatKey(v) : k === 'mode' ? '0' + v.toString(8) : v}`)
    .join(' ');
}

/** A per-set command, checked and with its numbers parsed. */
interface SetCommand {
  readonly id: number;
  readonly cmd: string;
  readonly nums: number[];
}

function parseSetCommand(args: ParsedArgs): SetCommand {
  const [first, cmdWord, ...params] = args.words;
  const id = parseId(first!);
  if (cmdWord === undefined) throw new UsageError('missing command after the semid');
  const cmd = normalize(cmdWord);
  if (cmd === 'setall') {
    if (params.length === 0) throw new UsageError('setall needs the values');
  } else if (ARITY[cmd] === undefined) {
    throw new UsageError(`unknown command '${cmdWord}'`);
  } else if (params.length !== ARITY[cmd]) {
    throw new UsageError(`${cmd} takes ${ARITY[cmd]} argument(s), got ${params.length}`);
  }
  const setOptions = ['uid', 'gid', 'mode'].filter((o) => args.options[o] !== undefined);
  if (cmd !== 'set' && setOptions.length > 0) {
    throw new UsageError('--uid, --gid and --mode go with the set command only');
  }
  const nums = params.map((p) => parseInteger(p, 'argument', -0x80000000, 0x7fffffff));
  return { id, cmd, nums };
}

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const first = normalize(args.words[0]!);
  if (SETLESS.has(first)) return runSetless(first, args.words.slice(1), ctx);
  const c = parseSetCommand(args);
  const actor = c.cmd === 'setval' || c.cmd === 'setall'
    ? ctx.actingProcess(stringOption(args, 'owner')) : undefined;
  const ipcSet = c.cmd === 'set' ? {
    uid: optionalId(args, 'uid'), gid: optionalId(args, 'gid'),
    mode: optionalMode(stringOption(args, 'mode')),
  } : undefined;

  const r = ctx.registry();
  const print = (plain: string, json: unknown) =>
    ctx.io.out(ctx.json ? JSON.stringify(json) : plain);
  const { id, cmd, nums } = c;
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
      return r.ipcSet(id, ipcSet!);
    case 'rmid':
      return r.rmid(id);
  }
}

function optionalId(args: ParsedArgs, name: 'uid' | 'gid'): number | undefined {
  const text = stringOption(args, name);
  return text === undefined ? undefined : parseInteger(text, name, -1, 0xffffffff);
}

function optionalMode(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseMode(text);
}

async function runSetless(cmd: string, params: readonly string[], ctx: Context): Promise<void> {
  const wanted = cmd === 'semstat' || cmd === 'semstat-any' ? 1 : 0;
  if (params.length !== wanted) throw new UsageError(`${cmd} takes ${wanted} argument(s)`);
  const index = wanted ? parseInteger(params[0]!, 'index', -0x80000000, 0x7fffffff) : 0;
  const r = ctx.registry();
  if (cmd === 'info' || cmd === 'seminfo') {
    const { info, highestIndex } = await r.info(cmd);
    if (ctx.json) ctx.io.out(JSON.stringify({ ...info, highestIndex }));
    else ctx.io.out(Object.entries(info).map(([k, v]) => `${k}=${v}`).join(' '));
    return;
  }
  const h = await r.semStat(index, cmd === 'semstat-any');
  const json = { semid: h.id, ...statJson(h) };
  ctx.io.out(ctx.json ? JSON.stringify(json) : `semid=${h.id} ${statLine(h)}`);
}
