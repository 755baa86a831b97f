/**
 * svsem ipcs: util-linux `ipcs -s` over the registry, byte for byte in every view
 * (src/format/ipcs.ts prints; this file picks the view and gathers what it needs).
 *
 * Where it differs from util-linux 2.38.1:
 * - svsem has semaphores only: -s and -a and no resource option all mean `ipcs -s`, -i needs no
 *   -s, and -m or -q are a usage error (exit 64), as are ids that do not parse (ipcs exits 1).
 * - `-i -1` prints `id -1 not found` and exits 0; ipcs crashes on it (SIGSEGV).
 * - Without read permission -i fails with EACCES (exit 13); ipcs exits 1.
 * - Names come from /etc/passwd and /etc/group only, not from other NSS sources (src/users.ts).
 */
import { flagOption, stringOption, type ParsedArgs } from '../cli/argv.js';
import type { Context } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { SemError } from '../core/errno.js';
import type { SetState } from '../core/types.js';
import {
  type HolderRow, type HoldersView, type WaiterRow, holdersJson, holdersText,
} from '../format/holders.js';
import { type Gathered, formatJson, formatText } from '../format/ipcs.js';
import { cmdline } from '../process.js';
import type { Registry } from '../registry.js';
import { readNames } from '../users.js';

type View = Exclude<Gathered['view'], 'set'>;

const FORMAT_FLAGS: Record<string, View> = {
  time: 'time', creator: 'creator', pid: 'pid', limits: 'limits', summary: 'summary',
};

/** The view of the format option given last, as in ipcs. */
export function chooseView(args: ParsedArgs): View {
  let view: View = 'list';
  for (const name of args.order) view = FORMAT_FLAGS[name] ?? view;
  return view;
}

/** The id of -i ID, parsed as util-linux does: a decimal int32. */
function parseSetId(text: string): number {
  const n = Number(text);
  if (!/^[-+]?\d+$/.test(text) || n < -0x80000000 || n > 0x7fffffff) {
    throw new UsageError(`failed to parse id argument: '${text}'`);
  }
  return n;
}

/** Reads what a view of the sets needs; names only for the views that print them. */
async function gather(r: Registry, view: Exclude<View, 'pid' | 'limits'>): Promise<Gathered> {
  if (view === 'summary') {
    const { info } = await r.info('seminfo'); // SEM_INFO, where ipcs -u reads these two
    return { view, usedArrays: info.semusz, allocatedSemaphores: info.semaem };
  }
  return { view, sets: await r.list(), names: readNames() };
}

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  if (flagOption(args, 'shmems') || flagOption(args, 'queues')) {
    throw new UsageError('svsem emulates System V semaphores only: -m and -q have nothing to show');
  }
  // One write for the whole view, so a reader that stops early (| head) gets it all first.
  const print = (g: Gathered) =>
    ctx.io.out(ctx.json ? JSON.stringify(formatJson(g)) : formatText(g).join('\n'));

  if (flagOption(args, 'holders')) return showHolders(ctx);
  const idText = stringOption(args, 'id');
  if (idText !== undefined) {
    const id = parseSetId(idText);
    const state = await ctx.registry().inspect(id).catch((err: unknown) => {
      if (err instanceof SemError && err.errno === 'EINVAL') return undefined;
      throw err;
    });
    // Like ipcs (and lsipc), a missing id is reported but is not a failure: exit 0.
    if (state === undefined) ctx.io.err(`svsem ipcs: id ${id} not found`);
    else print({ view: 'set', state });
    return;
  }
  const view = chooseView(args);
  // -p and -l show nothing stored, so they need no registry.
  if (view === 'pid' || view === 'limits') return print({ view });
  print(await gather(ctx.registry(), view));
}

/** The rows of --holders: every undo record and sleeping operation the caller may read. */
function holdersView(sets: readonly SetState[], now: number): HoldersView {
  const holders: HolderRow[] = [];
  const waiters: WaiterRow[] = [];
  for (const { header, pending, undo } of sets) {
    const semid = header.id;
    const key = header.perm.key;
    for (const u of undo) {
      const semadj = [...u.semadj].sort(([a], [b]) => a - b)
        .map(([semnum, adj]) => ({ semnum, semadj: adj }));
      const pid = u.owner.pid;
      holders.push({ semid, key, pid, command: cmdline(pid), semadj, since: u.since });
    }
    for (const op of pending) {
      waiters.push({
        semid, key, pid: op.owner.pid, waiterPid: op.waiter.pid, command: op.cmdline,
        sops: op.sops, blocked: op.blocked, since: op.since,
      });
    }
  }
  return { holders, waiters, now };
}

async function showHolders(ctx: Context): Promise<void> {
  const view = holdersView(await ctx.registry().activity(), Date.now());
  if (ctx.json) return ctx.io.out(JSON.stringify(holdersJson(view)));
  const { default: Table } = await import('../format/table.js');
  const colour = process.stdout.isTTY === true && !process.env.NO_COLOR;
  ctx.io.out(holdersText(view, Table, colour));
}
