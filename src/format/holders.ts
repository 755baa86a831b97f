/**
 * `svsem ipcs --holders`: who holds what (undo adjustments, which `svsem run` and every
 * `semop --undo` leave until their owner exits), who waits for what, and for how long: the
 * question a lock's user asks and ipcs cannot answer. The command gathers the rows (with the
 * processes' command lines); this module only lays them out, as cli-table3 tables or JSON.
 */
import type { BlockedOn, Sembuf } from '../core/types.js';
import { formatKey } from '../core/semget.js';

export interface HolderRow {
  readonly semid: number;
  readonly key: number;
  readonly pid: number;
  readonly command: string;
  /** Non-zero adjustments by semaphore: +K means it holds K units that its exit gives back. */
  readonly semadj: readonly { readonly semnum: number; readonly semadj: number }[];
  /** Milliseconds since the epoch. */
  readonly since: number;
}

export interface WaiterRow {
  readonly semid: number;
  readonly key: number;
  /** The process the operation acts for, and the svsem process that sleeps for it. */
  readonly pid: number;
  readonly waiterPid: number;
  readonly command: string;
  readonly sops: readonly Sembuf[];
  readonly blocked: BlockedOn;
  readonly since: number;
}

export interface HoldersView {
  readonly holders: readonly HolderRow[];
  readonly waiters: readonly WaiterRow[];
  readonly now: number;
}

/**
 * A duration as people say it: 850ms, 4.2s, 3m05s, 2h07m, 3d04h; in `wholeSeconds`, for a view
 * redrawn several times a second, the seconds do not flicker: 0s, 4s, 3m05s.
 */
export function duration(ms: number, wholeSeconds = false): string {
  const s = Math.max(0, ms) / 1000;
  const two = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (wholeSeconds && s < 60) return `${Math.floor(s)}s`;
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${two((s % 86400) / 3600)}h`;
}

/** An operation as semop's command line takes it: SEMNUM:DELTA[:FLAGS]. */
export function sopText(sop: Sembuf): string {
  const flags = (sop.nowait ? 'n' : '') + (sop.undo ? 'u' : '');
  return `${sop.semnum}:${sop.semop > 0 ? '+' : ''}${sop.semop}${flags ? ':' + flags : ''}`;
}

function holdsText(row: HolderRow): string {
  return row.semadj
    .map(({ semnum, semadj }) => semadj > 0
      ? `${semadj} of semaphore ${semnum}`
      : `semaphore ${semnum}: ${semadj} at exit`)
    .join('\n') || '(nothing: an empty record)';
}

function waitsText(row: WaiterRow): string {
  const on = row.blocked.kind === 'ncnt' ? 'a value' : 'zero';
  return `${row.sops.map(sopText).join(' ')}\n(for ${on} on semaphore ${row.blocked.semnum})`;
}

/** Command lines are cut here in the tables; --json has them whole. */
const COMMAND_WIDTH = 40;

function shortCommand(command: string): string {
  return command.length <= COMMAND_WIDTH ? command : command.slice(0, COMMAND_WIDTH - 1) + '…';
}

type TableConstructor = typeof import('cli-table3');

/** The two tables as text; `Table` is cli-table3, loaded by the caller only for this view. */
export function holdersText(view: HoldersView, Table: TableConstructor, colour: boolean): string {
  const style = colour ? {} : { head: [], border: [] };
  const head = (what: string) => ['semid', 'key', 'pid', 'command', what, 'for'];
  const cells = (row: HolderRow | WaiterRow, what: string) => [
    row.semid, formatKey(row.key), row.pid, shortCommand(row.command), what,
    duration(view.now - row.since),
  ];
  const holders = new Table({ head: head('holds'), style });
  for (const h of view.holders) holders.push(cells(h, holdsText(h)));
  const waiters = new Table({ head: head('waits for'), style });
  for (const w of view.waiters) waiters.push(cells(w, waitsText(w)));
  return [
    'Holders (undo adjustments, given back when their owner exits):',
    view.holders.length > 0 ? holders.toString() : '  none',
    '',
    'Waiters (sleeping operations, in arrival order per set):',
    view.waiters.length > 0 ? waiters.toString() : '  none',
  ].join('\n');
}

export function holdersJson(view: HoldersView): unknown {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    holders: view.holders.map((h) => ({
      semid: h.semid, key: h.key, keyHex: formatKey(h.key), pid: h.pid, command: h.command,
      semadj: h.semadj, since: iso(h.since), forMs: view.now - h.since,
    })),
    waiters: view.waiters.map((w) => ({
      semid: w.semid, key: w.key, keyHex: formatKey(w.key), pid: w.pid, waiterPid: w.waiterPid,
      command: w.command,
      ops: w.sops.map(({ semnum, semop, nowait, undo }) => ({ semnum, semop, nowait, undo })),
      blockedOn: {
        semnum: w.blocked.semnum,
        count: w.blocked.kind === 'ncnt' ? 'ncount' : 'zcount',
      },
      since: iso(w.since), forMs: view.now - w.since,
    })),
  };
}
