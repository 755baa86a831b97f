/**
 * What `svsem watch` shows, from records the command has already gathered: the overview of every
 * set, or one set's semaphores, sleeping operations and undo holders. Nothing here reads the
 * registry, a file or the clock; the caller passes the time a snapshot stands for.
 *
 * Tables are plain padded text rather than cli-table3: a live view is redrawn in place many times
 * a second at most, and piped output must stay one grep-able line per row with no box drawing and
 * no escape codes. Column widths follow the content, and rows carry no trailing spaces.
 * Colour is opt-in per call (the command decides: a terminal, and no NO_COLOR) and minimal:
 * dim headers, highlighted waiters.
 */
import { formatKey } from '../core/semget.js';
import { countWaiters } from '../core/semop.js';
import type { SetState } from '../core/types.js';
import type { SetSummary } from '../registry.js';
import { duration, sopText } from './holders.js';
import { ctimeText, formatJson } from './ipcs.js';

/** One set of the overview; the counts are absent when the caller may not read the set. */
export type SetRow = SetSummary;

/** One set in detail, with the command line of each undo holder (by pid). */
export interface SetDetail {
  readonly state: SetState;
  readonly holderCommands: ReadonlyMap<number, string>;
}

/** What one snapshot shows. `gone`: the set watched by id was removed meanwhile. */
export type WatchView =
  | { readonly kind: 'sets'; readonly sets: readonly SetRow[] }
  | { readonly kind: 'set'; readonly detail: SetDetail }
  | { readonly kind: 'gone'; readonly id: number };

/** uid to user name, as /etc/passwd gives it; a uid without an entry prints as a number. */
export type UserNames = ReadonlyMap<number, string>;

/** How text is decorated: identity functions when colour is off. */
export interface Style {
  dim(text: string): string;
  bold(text: string): string;
  /** What needs attention: a waiting operation. */
  hot(text: string): string;
}

const sgr = (on: number, off: number) => (text: string) => `\x1b[${on}m${text}\x1b[${off}m`;
const plain = (text: string) => text;

export function makeStyle(colour: boolean): Style {
  if (!colour) return { dim: plain, bold: plain, hot: plain };
  return { dim: sgr(2, 22), bold: sgr(1, 22), hot: sgr(33, 39) };
}

/** Cuts `line` to `width` visible characters, keeping escape sequences out of the count. */
export function fitWidth(line: string, width: number): string {
  let out = '';
  let visible = 0;
  let styled = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\x1b' && line[i + 1] === '[') {
      let end = i + 2;
      while (end < line.length && !/[A-Za-z]/.test(line[end]!)) end++;
      out += line.slice(i, end + 1);
      styled = true;
      i = end;
    } else if (visible < width) {
      out += line[i];
      visible++;
    }
  }
  return styled ? out + '\x1b[0m' : out;
}

/** A local wall-clock time: HH:MM:SS today, with the date before it on another day. */
export function clockText(ms: number, nowMs: number): string {
  const text = ctimeText(Math.floor(ms / 1000)); // Thu Dec  3 18:58:39 2026
  const sameDay = text.slice(0, 10) === ctimeText(Math.floor(nowMs / 1000)).slice(0, 10);
  return sameDay ? text.slice(11, 19) : text.slice(4, 19);
}

/** One column: its header, and its cell for a row; `hot` cells are highlighted. */
interface Column<R> {
  readonly header: string;
  text(row: R): string;
  hot?(row: R): boolean;
}

/** Header and rows, each column as wide as its widest cell, two spaces apart. */
function table<R>(columns: readonly Column<R>[], rows: readonly R[], style: Style): string[] {
  const cells = rows.map((r) => columns.map((c) => c.text(r)));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const join = (texts: readonly string[], paint: (text: string, i: number) => string) =>
    texts.map((t, i) => paint(i === texts.length - 1 ? t : t.padEnd(widths[i]! + 2), i)).join('')
      .trimEnd();
  const head = join(columns.map((c) => c.header), (t) => style.dim(t));
  const body = rows.map((r, n) =>
    join(cells[n]!, (t, i) => (columns[i]!.hot?.(r) ? style.hot(t) : t)));
  return [head, ...body];
}

/** The nine permission bits in octal, as chmod takes them: 600, 644. */
function permsText(mode: number): string {
  return mode.toString(8).padStart(3, '0');
}

function ownerName(names: UserNames, uid: number): string {
  return names.get(uid) ?? String(uid);
}

function setColumns(names: UserNames): Column<SetRow>[] {
  const count = (n: number | undefined) => (n === undefined ? '?' : String(n));
  return [
    { header: 'key', text: (s) => formatKey(s.header.perm.key) },
    { header: 'semid', text: (s) => String(s.header.id) },
    { header: 'owner', text: (s) => ownerName(names, s.header.perm.uid) },
    { header: 'perms', text: (s) => permsText(s.header.perm.mode) },
    { header: 'nsems', text: (s) => String(s.header.nsems) },
    { header: 'waiters', text: (s) => count(s.waiters), hot: (s) => (s.waiters ?? 0) > 0 },
    { header: 'holders', text: (s) => count(s.holders) },
  ];
}

function setsText(sets: readonly SetRow[], names: UserNames, style: Style): string[] {
  if (sets.length === 0) return ['No semaphore sets.'];
  const lines = table(setColumns(names), sets, style);
  if (sets.some((s) => s.waiters === undefined)) {
    lines.push('', style.dim('?: no read permission on the set, so its queue is not shown'));
  }
  return lines;
}

function semaphoreRows(state: SetState): string[][] {
  return state.sems.map((sem, semnum) => [
    String(semnum), String(sem.semval),
    String(countWaiters(state, semnum, 'ncnt')), String(countWaiters(state, semnum, 'zcnt')),
    String(sem.sempid),
  ]);
}

function semaphoresText(state: SetState, style: Style): string[] {
  const headers = ['semnum', 'value', 'ncount', 'zcount', 'sempid'];
  const columns = headers.map((header, i): Column<string[]> => ({
    header, text: (row) => row[i]!, hot: (row) => i > 1 && i < 4 && row[i] !== '0',
  }));
  return table(columns, semaphoreRows(state), style);
}

type Pending = SetState['pending'][number];
type Undo = SetState['undo'][number];

function pendingText(state: SetState, nowMs: number, style: Style): string[] {
  const title = style.bold(`Waiting operations (${state.pending.length})`);
  if (state.pending.length === 0) return [title, style.dim('none')];
  const columns: Column<Pending>[] = [
    { header: 'pid', text: (p) => String(p.owner.pid), hot: () => true },
    { header: 'ops', text: (p) => p.sops.map(sopText).join(' ') },
    {
      header: 'blocked on',
      text: (p) => `${p.blocked.semnum} (${p.blocked.kind === 'ncnt' ? 'ncount' : 'zcount'})`,
    },
    { header: 'since', text: (p) => clockText(p.since, nowMs) },
    { header: 'for', text: (p) => duration(nowMs - p.since, true) },
    { header: 'command', text: (p) => p.cmdline || '?' },
  ];
  return [title, ...table(columns, state.pending, style)];
}

/** A holder's adjustments, semaphore by semaphore: `0:+1 2:-1`, leaving out the zeros. */
function semadjText(undo: Undo): string {
  const entries = [...undo.semadj].filter(([, adj]) => adj !== 0).sort(([a], [b]) => a - b);
  return entries.map(([semnum, adj]) => `${semnum}:${adj > 0 ? '+' : ''}${adj}`).join(' ') || '0';
}

function undoText(detail: SetDetail, nowMs: number, style: Style): string[] {
  const { undo } = detail.state;
  const title = style.bold(`Undo holders (${undo.length})`);
  if (undo.length === 0) return [title, style.dim('none')];
  const columns: Column<Undo>[] = [
    { header: 'pid', text: (u) => String(u.owner.pid) },
    { header: 'semadj', text: semadjText },
    { header: 'since', text: (u) => clockText(u.since, nowMs) },
    { header: 'for', text: (u) => duration(nowMs - u.since, true) },
    { header: 'command', text: (u) => detail.holderCommands.get(u.owner.pid) || '?' },
  ];
  return [title, ...table(columns, undo, style)];
}

function detailText(detail: SetDetail, names: UserNames, nowMs: number, style: Style): string[] {
  const { id, perm, nsems, otime, ctime } = detail.state.header;
  const never = (s: number) => (s === 0 ? 'never' : clockText(s * 1000, nowMs));
  return [
    style.bold(`Semaphore set ${id}`) +
      `  key ${formatKey(perm.key)}  owner ${ownerName(names, perm.uid)}` +
      `  perms ${permsText(perm.mode)}  nsems ${nsems}`,
    style.dim(`last semop ${never(otime)}  last change ${never(ctime)}`),
    '',
    ...semaphoresText(detail.state, style),
    '',
    ...pendingText(detail.state, nowMs, style),
    '',
    ...undoText(detail, nowMs, style),
  ];
}

/** The body of one snapshot: every line, without newlines. */
export function formatView(
  view: WatchView,
  names: UserNames,
  nowMs: number,
  style: Style,
): string[] {
  switch (view.kind) {
    case 'sets':
      return setsText(view.sets, names, style);
    case 'set':
      return detailText(view.detail, names, nowMs, style);
    case 'gone':
      return [style.hot(`Semaphore set ${view.id} was removed.`)];
  }
}

/** The line above a snapshot: when it was taken and of which registry. */
export function headline(registry: string, nowMs: number, style: Style, hint = ''): string {
  const stamp = new Date(nowMs);
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${stamp.getFullYear()}-${two(stamp.getMonth() + 1)}-${two(stamp.getDate())}`;
  const time = `${two(stamp.getHours())}:${two(stamp.getMinutes())}:${two(stamp.getSeconds())}`;
  return style.dim(`${date} ${time}  ${registry}${hint ? '  ' + hint : ''}`);
}

type Json = ReturnType<typeof formatJson>;

/**
 * One snapshot as one JSON document (svsem watch --json prints one a line):
 *   {"time", "sets":[{"semid","key","keyHex","uid","owner","perms","nsems","waiters","holders"}]}
 *   {"time", "set":{...as svsem ipcs -i ID --json...}}
 *   {"time", "removed": ID}
 * waiters and holders are null for a set the caller may not read.
 */
export function viewJson(view: WatchView, names: UserNames, nowMs: number): Json {
  const time = new Date(nowMs).toISOString();
  switch (view.kind) {
    case 'sets':
      return {
        time,
        sets: view.sets.map(({ header, waiters, holders }) => ({
          semid: header.id, key: header.perm.key, keyHex: formatKey(header.perm.key),
          uid: header.perm.uid, owner: names.get(header.perm.uid) ?? null, perms: header.perm.mode,
          nsems: header.nsems, waiters: waiters ?? null, holders: holders ?? null,
        })),
      };
    case 'set':
      return { time, set: formatJson({ view: 'set', state: view.detail.state }) };
    case 'gone':
      return { time, removed: view.id };
  }
}
