/**
 * What `svsem ipcs` prints, as text and as JSON, from records the command has already gathered.
 * Nothing here reads the registry or a file.
 *
 * The text is byte for byte what util-linux `ipcs -s` prints for the same sets (2.38.1, checked
 * against the real tool by test/cli/ipcs.test.ts): the framing empty lines, the printf widths
 * and cuts, the trailing spaces, ctime()-style local times, and the one quirk of the -t view
 * (its rows sit one column right of the header). Each table view is a list of columns, as data.
 *
 * JSON (--json): one document per run, numbers as numbers, times as ISO-8601 UTC strings or null
 * when never set (0), names as strings or null when /etc/passwd or /etc/group has no entry.
 *   list     {"semaphores":[{"key","keyHex","semid","owner","uid","perms","nsems"}]}
 *   -t       {"semaphores":[{"semid","owner","uid","otime","ctime"}]}
 *   -c       {"semaphores":[{"semid","perms","cuid","cuser","cgid","cgroup","uid","owner",
 *            "gid","group"}]}
 *   -p       {"pids":[]}: semid_ds holds no creator or last-operator pid, so this view is
 *            empty, as `ipcs -s -p` prints nothing (the per-semaphore pids are in -i)
 *   -l       {"limits":{"semmni","semmsl","semmns","semopm","semvmx"}}
 *   -u       {"status":{"usedArrays","allocatedSemaphores"}}
 *   -i ID    {"semid","key","keyHex","uid","gid","cuid","cgid","perms","nsems","otime","ctime",
 *            "semaphores":[{"semnum","value","ncount","zcount","pid"}],
 *            "waiters":[{"pid","waiterPid","cmdline","ops":[{"semnum","semop","nowait","undo"}],
 *            "blockedOn":{"semnum","count"},"since"}],
 *            "holders":[{"pid","semadj","since"}]}
 * key is the key_t value (signed, as `semctl stat --json` gives it) and keyHex its 32 bits as
 * ipcs prints them. perms are the nine permission bits. In -i, a waiter's pid is the process its
 * operation acts for (whose cmdline is shown) and waiterPid the svsem process that sleeps;
 * blockedOn.count is "ncount" or "zcount", the counter it adds to; a holder's semadj has one
 * adjustment per semnum.
 */
import { SEMMNI, SEMMNS, SEMMSL, SEMOPM, SEMVMX } from '../core/limits.js';
import { formatKey } from '../core/semget.js';
import { countWaiters } from '../core/semop.js';
import type { SemSetHeader, SetState } from '../core/types.js';

/** uid and gid to name, as getpwuid/getgrgid would answer; absent when there is no entry. */
export interface Names {
  readonly users: ReadonlyMap<number, string>;
  readonly groups: ReadonlyMap<number, string>;
}

type TableView = 'list' | 'time' | 'creator';

/** What the command gathered for one view. */
export type Gathered =
  | { readonly view: TableView; readonly sets: readonly SemSetHeader[]; readonly names: Names }
  | { readonly view: 'pid' | 'limits' }
  | { readonly view: 'summary'; readonly usedArrays: number; readonly allocatedSemaphores: number }
  | { readonly view: 'set'; readonly state: SetState };

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One column of a table: how ipcs lays it out, and what it contributes to the JSON record. */
interface Column<R> {
  readonly header: string;
  /** printf's minimum width; the text is left-aligned and padded with spaces. */
  readonly width: number;
  /** printf's precision: a longer value is cut to this many characters. */
  readonly cut?: number;
  /** What precedes the value in a row when it differs from the header's single space. */
  readonly rowGap?: string;
  text(row: R, names: Names): string;
  json(row: R, names: Names): Record<string, Json>;
}

type SetColumn = Column<SemSetHeader>;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C's ctime() in the local timezone, without its newline: `Thu Dec  3 18:58:39 2026`. */
export function ctimeText(seconds: number): string {
  const d = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  const date = `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)}`;
  return `${date} ${clock} ${d.getFullYear()}`;
}

/** A time as ipcs prints it: ctime text, or `Not set` for 0. */
function ipcsTime(seconds: number): string {
  return seconds === 0 ? 'Not set' : ctimeText(seconds);
}

function isoSeconds(seconds: number): string | null {
  return seconds === 0 ? null : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** printf's `%#o`: a leading 0 unless the value is 0. */
function altOctal(n: number): string {
  return n === 0 ? '0' : '0' + n.toString(8);
}

function user(names: Names, uid: number): string {
  return names.users.get(uid) ?? String(uid);
}

function group(names: Names, gid: number): string {
  return names.groups.get(gid) ?? String(gid);
}

const semid: SetColumn = {
  header: 'semid', width: 10, text: (s) => String(s.id), json: (s) => ({ semid: s.id }),
};
const perms: SetColumn = {
  header: 'perms', width: 10,
  text: (s) => s.perm.mode.toString(8), json: (s) => ({ perms: s.perm.mode }),
};
/** The owner's name cut to 10 characters (`%-10.10s`), as the list and -t views print it. */
const owner: SetColumn = {
  header: 'owner', width: 10, cut: 10,
  text: (s, n) => user(n, s.perm.uid),
  json: (s, n) => ({ owner: n.users.get(s.perm.uid) ?? null, uid: s.perm.uid }),
};

/** ipcs -s */
const LIST: readonly SetColumn[] = [
  {
    header: 'key', width: 10,
    text: (s) => formatKey(s.perm.key),
    json: (s) => ({ key: s.perm.key, keyHex: formatKey(s.perm.key) }),
  },
  semid,
  owner,
  perms,
  { header: 'nsems', width: 10, text: (s) => String(s.nsems), json: (s) => ({ nsems: s.nsems }) },
];

/** ipcs -s -t: util-linux puts two spaces before last-op in rows and one in the header. */
const TIME: readonly SetColumn[] = [
  { ...semid, width: 8 },
  owner,
  {
    header: 'last-op', width: 26, cut: 24, rowGap: '  ',
    text: (s) => ipcsTime(s.otime), json: (s) => ({ otime: isoSeconds(s.otime) }),
  },
  {
    header: 'last-changed', width: 26, cut: 24,
    text: (s) => ipcsTime(s.ctime), json: (s) => ({ ctime: isoSeconds(s.ctime) }),
  },
];

/** ipcs -s -c: names are not cut here, so a long one pushes the later columns right. */
const CREATOR: readonly SetColumn[] = [
  semid,
  perms,
  {
    header: 'cuid', width: 10, text: (s, n) => user(n, s.perm.cuid),
    json: (s, n) => ({ cuid: s.perm.cuid, cuser: n.users.get(s.perm.cuid) ?? null }),
  },
  {
    header: 'cgid', width: 10, text: (s, n) => group(n, s.perm.cgid),
    json: (s, n) => ({ cgid: s.perm.cgid, cgroup: n.groups.get(s.perm.cgid) ?? null }),
  },
  {
    header: 'uid', width: 10, text: (s, n) => user(n, s.perm.uid),
    json: (s, n) => ({ uid: s.perm.uid, owner: n.users.get(s.perm.uid) ?? null }),
  },
  {
    header: 'gid', width: 10, text: (s, n) => group(n, s.perm.gid),
    json: (s, n) => ({ gid: s.perm.gid, group: n.groups.get(s.perm.gid) ?? null }),
  },
];

const TABLES: Record<TableView, { title: string; columns: readonly SetColumn[] }> = {
  list: { title: 'Semaphore Arrays', columns: LIST },
  time: { title: 'Semaphore Operation/Change Times', columns: TIME },
  creator: { title: 'Semaphore Arrays Creators/Owners', columns: CREATOR },
};

/** One semaphore of a set, as the -i view shows it. */
interface Element {
  readonly semnum: number;
  readonly value: number;
  readonly ncount: number;
  readonly zcount: number;
  readonly pid: number;
}

const numberColumn = (header: string, field: keyof Element): Column<Element> => ({
  header, width: 10, text: (e) => String(e[field]), json: (e) => ({ [field]: e[field] }),
});

/** The per-semaphore table of ipcs -s -i. */
const ELEMENTS: readonly Column<Element>[] = [
  numberColumn('semnum', 'semnum'),
  numberColumn('value', 'value'),
  numberColumn('ncount', 'ncount'),
  numberColumn('zcount', 'zcount'),
  numberColumn('pid', 'pid'),
];

/** The limits of ipcs -s -l, in its order, with the kernel's names as JSON keys. */
const LIMITS: readonly { label: string; name: string; value: number }[] = [
  { label: 'max number of arrays', name: 'semmni', value: SEMMNI },
  { label: 'max semaphores per array', name: 'semmsl', value: SEMMSL },
  { label: 'max semaphores system wide', name: 'semmns', value: SEMMNS },
  { label: 'max ops per semop call', name: 'semopm', value: SEMOPM },
  { label: 'semaphore max value', name: 'semvmx', value: SEMVMX },
];

const NO_NAMES: Names = { users: new Map(), groups: new Map() };

function line<R>(columns: readonly Column<R>[], cells: readonly string[], header: boolean): string {
  return columns
    .map((c, i) => {
      const cell = cells[i] ?? '';
      const text = c.cut === undefined ? cell : cell.slice(0, c.cut);
      const gap = i === 0 ? '' : header ? ' ' : c.rowGap ?? ' ';
      return gap + text.padEnd(c.width);
    })
    .join('');
}

function table<R>(columns: readonly Column<R>[], rows: readonly R[], names: Names): string[] {
  return [
    line(columns, columns.map((c) => c.header), true),
    ...rows.map((r) => line(columns, columns.map((c) => c.text(r, names)), false)),
  ];
}

function record<R>(columns: readonly Column<R>[], row: R, names: Names): Record<string, Json> {
  return Object.assign({}, ...columns.map((c) => c.json(row, names)));
}

function elements(state: SetState): Element[] {
  return state.sems.map((sem, semnum) => ({
    semnum,
    value: sem.semval,
    ncount: countWaiters(state, semnum, 'ncnt'),
    zcount: countWaiters(state, semnum, 'zcnt'),
    pid: sem.sempid,
  }));
}

/** The -i block: util-linux starts it with an empty line but prints no framing line before. */
function setText(state: SetState): string[] {
  const { id, perm, nsems, otime, ctime } = state.header;
  return [
    '',
    `Semaphore Array semid=${id}`,
    `uid=${perm.uid}\t gid=${perm.gid}\t cuid=${perm.cuid}\t cgid=${perm.cgid}`,
    `mode=${altOctal(perm.mode)}, access_perms=${altOctal(perm.mode & 0o777)}`,
    `nsems = ${nsems}`,
    `otime = ${ipcsTime(otime).slice(0, 24).padEnd(26)}`,
    `ctime = ${ipcsTime(ctime).slice(0, 24).padEnd(26)}`,
    ...table(ELEMENTS, elements(state), NO_NAMES),
    '',
  ];
}

function setJson(state: SetState): Json {
  const { id, perm, nsems, otime, ctime } = state.header;
  const { key, uid, gid, cuid, cgid, mode } = perm;
  return {
    semid: id, key, keyHex: formatKey(key), uid, gid, cuid, cgid, perms: mode, nsems,
    otime: isoSeconds(otime), ctime: isoSeconds(ctime),
    semaphores: elements(state).map((e) => record(ELEMENTS, e, NO_NAMES)),
    waiters: state.pending.map((op) => ({
      pid: op.owner.pid,
      waiterPid: op.waiter.pid,
      cmdline: op.cmdline,
      ops: op.sops.map(({ semnum, semop, nowait, undo }) => ({ semnum, semop, nowait, undo })),
      blockedOn: {
        semnum: op.blocked.semnum,
        count: op.blocked.kind === 'ncnt' ? 'ncount' : 'zcount',
      },
      since: new Date(op.since).toISOString(),
    })),
    holders: state.undo.map((u) => ({
      pid: u.owner.pid,
      semadj: Array.from({ length: nsems }, (_, semnum) => u.semadj.get(semnum) ?? 0),
      since: new Date(u.since).toISOString(),
    })),
  };
}

/** The lines `ipcs -s` would print for this view (each without its newline). */
export function formatText(g: Gathered): string[] {
  switch (g.view) {
    case 'list':
    case 'time':
    case 'creator': {
      const { title, columns } = TABLES[g.view];
      return ['', `------ ${title} --------`, ...table(columns, g.sets, g.names), ''];
    }
    case 'pid':
      return ['', ''];
    case 'limits':
      return [
        '', '------ Semaphore Limits --------',
        ...LIMITS.map((l) => `${l.label} = ${l.value}`), '',
      ];
    case 'summary':
      return [
        '', '------ Semaphore Status --------',
        `used arrays = ${g.usedArrays}`, `allocated semaphores = ${g.allocatedSemaphores}`, '',
      ];
    case 'set':
      return setText(g.state);
  }
}

/** The one JSON document for this view (see the header for its shape). */
export function formatJson(g: Gathered): Json {
  switch (g.view) {
    case 'list':
    case 'time':
    case 'creator': {
      const { columns } = TABLES[g.view];
      return { semaphores: g.sets.map((s) => record(columns, s, g.names)) };
    }
    case 'pid':
      return { pids: [] };
    case 'limits':
      return { limits: Object.fromEntries(LIMITS.map((l) => [l.name, l.value])) };
    case 'summary':
      return { status: { usedArrays: g.usedArrays, allocatedSemaphores: g.allocatedSemaphores } };
    case 'set':
      return setJson(g.state);
  }
}
