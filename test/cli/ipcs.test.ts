/**
 * svsem ipcs against util-linux ipcs. The same sets (keys, owners, modes, sizes, values, times,
 * sleeping operations) are made on the kernel, in a private IPC namespace by one perl process,
 * and in a fresh registry; then every view must print the same bytes. svsem's clock is pinned
 * to the kernel's otime/ctime for each step (a preloaded module replaces Date.now), so times
 * compare as printed. Only pids differ: the kernel's perl process has exited, so svsem's steps act
 * for this test process, whose pid is put in the place of perl's before comparing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctimeText } from '../../src/format/ipcs.js';
import { CLI, freshDb, svsem, type Result } from './helpers.js';

/** Why these tests cannot run here, or undefined when they can. */
function missingPrerequisite(): string | undefined {
  for (const tool of ['ipcs', 'perl']) {
    if (spawnSync(tool, ['-V']).error) return `${tool} is not installed`;
  }
  const unshare = spawnSync('unshare', ['--ipc', 'true'], { encoding: 'utf8' });
  if (unshare.error) return 'unshare is not installed';
  if (unshare.status !== 0) return `'unshare --ipc true' failed: ${unshare.stderr.trim()}`;
  return undefined;
}

const skipReason = missingPrerequisite();
if (skipReason) console.warn(`test/cli/ipcs.test.ts skipped: ${skipReason}`);

/**
 * Every process here (this one, ipcs, date, svsem) runs in one zone. A half-hour offset shows that
 * times are local, not UTC (when the zone is installed; else the machine's zone is used).
 */
if (existsSync('/usr/share/zoneinfo/Asia/Kolkata')) process.env.TZ = 'Asia/Kolkata';

/** One set, made the same way on both sides; sets get ids 0, 1, 2 in this order. */
interface SetSpec {
  key: number;
  nsems: number;
  mode: number;
  values: number[];
  /** Made by this uid:gid instead of root. */
  creator?: [number, number];
  /** IPC_SET to this uid:gid after creation. */
  owner?: [number, number];
  /** semop calls (one op each, no flags) after SETALL: [semnum, delta]. */
  ops?: [number, number][];
}

/** The id ipcs -i looks up in the sets with waiters. */
const WAITED_ON = 1;

/** First uid (or gid) from 54321 up that `file` has no entry for. */
function unusedId(file: string): number {
  const used = new Set(readFileSync(file, 'utf8').split('\n').map((l) => Number(l.split(':')[2])));
  let id = 54321;
  while (used.has(id)) id++;
  return id;
}

/** The entry of `file` with the longest name, so that cutting names at 10 is exercised. */
function longestNamed(file: string): number {
  const entries = readFileSync(file, 'utf8').split('\n').map((l) => l.split(':'))
    .filter((f) => f[0] && f[2] !== undefined && /^\d+$/.test(f[2]));
  entries.sort((a, b) => b[0]!.length - a[0]!.length);
  return Number(entries[0]?.[2] ?? 0);
}

function sets(): SetSpec[] {
  return [
    { key: 0x1234, nsems: 3, mode: 0o644, values: [1, 0, 7], ops: [[2, -1]] },
    // Set 1: semaphore 0 is 0 and 1 is 2, so a decrement and a wait-for-zero sleep on them.
    {
      key: 0, nsems: 2, mode: 0o600, values: [0, 2],
      owner: [longestNamed('/etc/passwd'), longestNamed('/etc/group')],
    },
    {
      key: 0xdeadbeef, nsems: 1, mode: 0, values: [5],
      creator: [unusedId('/etc/passwd'), unusedId('/etc/group')],
    },
  ];
}

/** The views compared: ipcs -s with the first list, svsem ipcs with the second. */
const VIEWS: [string[], string[]][] = [
  [[], []],
  [[], ['-s']],
  [[], ['-a']],
  [['-t'], ['-t']],
  [['-c'], ['-c']],
  [['-p'], ['-p']],
  [['-l'], ['-l']],
  [['-u'], ['--summary']],
  [['-t', '-p'], ['-t', '-p']],
  [['-p', '-t'], ['-p', '-t']],
  [['-c', '-l', '-u'], ['-c', '-l', '-u']],
  [['-b', '--human', '-c'], ['-b', '--human', '-c']],
  [['-i', '0'], ['-i', '0']],
  [['-i', String(WAITED_ON)], ['-i', String(WAITED_ON)]],
  [['-i', '2', '-t'], ['-t', '--id', '2']],
  [['-i', '999'], ['-i', '999']],
];

/** The perl program that makes `specs` on the kernel and prints its pid. */
function perlSetup(specs: SetSpec[]): string {
  const steps = specs.map((s) => {
    const lines: string[] = [];
    if (s.creator) lines.push(`$) = "${s.creator[1]} ${s.creator[1]}"; $> = ${s.creator[0]};`);
    lines.push(`$id = semget(${s.key | 0}, ${s.nsems}, ${0o1000 | s.mode}) // die "semget: $!";`);
    if (s.creator) lines.push('$> = 0; $) = "0 0";');
    // 17 SETALL, 2 IPC_STAT, 1 IPC_SET; uid and gid sit at bytes 4 and 8 of struct ipc_perm.
    lines.push(`semctl($id, 0, 17, pack("s!*", ${s.values.join(', ')})) or die "setall: $!";`);
    if (s.owner) {
      lines.push('$buf = ""; semctl($id, 0, 2, $buf) or die "stat: $!";');
      lines.push(`substr($buf, 4, 8) = pack("LL", ${s.owner[0]}, ${s.owner[1]});`);
      lines.push('semctl($id, 0, 1, $buf) or die "set: $!";');
    }
    for (const [semnum, delta] of s.ops ?? []) {
      lines.push(`semop($id, pack("s!3", ${semnum}, ${delta}, 0)) or die "semop: $!";`);
    }
    return lines.join('\n');
  });
  return ['my ($id, $buf);', ...steps, 'print "$$\\n";'].join('\n');
}

/** 14 GETNCNT, 15 GETZCNT: a perl program that succeeds once both sleepers are counted. */
const BOTH_SLEEP = `exit !(semctl(${WAITED_ON},0,14,0) == 1 && semctl(${WAITED_ON},1,15,0) == 1)`;

const WAIT = (semnum: number, op: number) =>
  `perl -e 'semop(${WAITED_ON}, pack("s!3", ${semnum}, ${op}, 0))' </dev/null >/dev/null 2>&1 &`;

/** The sh script run in the namespace: make the sets, start two sleepers, run every view. */
function kernelScript(dir: string): string {
  const views = VIEWS.map(([args], i) =>
    `ipcs -s ${args.join(' ')} >${dir}/${i}.out 2>${dir}/${i}.err; echo $? >${dir}/${i}.rc`);
  return [
    `perl ${dir}/setup.pl >${dir}/perl.pid || exit 1`,
    `${WAIT(0, -1)} W1=$!`,
    `${WAIT(1, 0)} W2=$!`,
    'trap \'kill $W1 $W2 2>/dev/null\' EXIT',
    `n=0; until perl -e '${BOTH_SLEEP}'; do`,
    '  n=$((n+1)); [ $n -lt 200 ] || exit 1; sleep 0.02; done',
    `cat /proc/sysvipc/sem >${dir}/proc`,
    ...views,
  ].join('\n');
}

interface Printed {
  stdout: string;
  stderr: string;
  status: number | null;
}

interface KernelRun {
  pid: string;
  /** otime and ctime of each set, by id, from /proc/sysvipc/sem. */
  times: Map<number, { otime: number; ctime: number }>;
  views: Printed[];
}

function runKernel(dir: string, specs: SetSpec[]): KernelRun {
  writeFileSync(join(dir, 'setup.pl'), perlSetup(specs));
  const r = spawnSync('unshare', ['--ipc', 'sh', '-c', kernelScript(dir)], {
    encoding: 'utf8', timeout: 10_000,
  });
  if (r.status !== 0) throw new Error(`kernel script: exit ${r.status}: ${r.stderr}`);
  const times = new Map<number, { otime: number; ctime: number }>();
  for (const row of readFileSync(join(dir, 'proc'), 'utf8').trim().split('\n').slice(1)) {
    const f = row.trim().split(/\s+/).map(Number);
    times.set(f[1]!, { otime: f[8]!, ctime: f[9]! });
  }
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const views = VIEWS.map((_, i) => ({
    stdout: read(`${i}.out`), stderr: read(`${i}.err`), status: Number(read(`${i}.rc`)),
  }));
  return { pid: read('perl.pid').trim(), times, views };
}

let dir = '';
let clockModule = '';

/** svsem with Date.now pinned to `seconds` (through a module preloaded by NODE_OPTIONS). */
function svsemAt(seconds: number, db: string, ...args: string[]): Result {
  const saved = { ...process.env };
  process.env.NODE_OPTIONS = `--import=${pathToFileURL(clockModule).href}`;
  process.env.SVSEM_TEST_NOW_MS = String(seconds * 1000);
  try {
    return svsem(db, ...args);
  } finally {
    process.env = saved;
  }
}

function ok(r: Result, what: string): void {
  if (r.status !== 0) throw new Error(`svsem ${what}: exit ${r.status}: ${r.stderr}`);
}

/** Makes `specs` in registry `db` as the kernel run made them, at the kernel's times. */
function makeOnSvsem(db: string, specs: SetSpec[], kernel: KernelRun): void {
  const self = String(process.pid);
  specs.forEach((s, id) => {
    const { otime, ctime } = kernel.times.get(id)!;
    const key = '0x' + (s.key >>> 0).toString(16);
    const as = s.creator ? ['--as', s.creator.join(':')] : [];
    const mode = s.mode.toString(8);
    ok(svsemAt(ctime, db, 'semget', key, String(s.nsems), '-c', '-m', mode, ...as), 'semget');
    const values = s.values.map(String);
    ok(svsemAt(ctime, db, 'semctl', String(id), 'setall', ...values, '--owner', self), 'setall');
    if (s.owner) {
      const [uid, gid] = s.owner.map(String);
      ok(svsemAt(ctime, db, 'semctl', String(id), 'set', '--uid', uid!, '--gid', gid!), 'set');
    }
    for (const [semnum, delta] of s.ops ?? []) {
      ok(svsemAt(otime, db, 'semop', String(id), `${semnum}:${delta}`, '--owner', self), 'semop');
    }
  });
}

/** Starts svsem sleepers like the kernel's and resolves once both are counted. */
async function startSleepers(db: string): Promise<ChildProcess[]> {
  const sleepers = ['0:-1', '1:0'].map((op) =>
    spawn(process.execPath, [CLI, 'semop', String(WAITED_ON), op, '--db', db],
      { stdio: 'ignore' }));
  for (let n = 0; n < 100; n++) {
    const counts = ['getncnt 0', 'getzcnt 1']
      .map((c) => svsem(db, 'semctl', String(WAITED_ON), ...c.split(' ')).stdout.trim());
    if (counts.join() === '1,1') return sleepers;
    await new Promise((r) => setTimeout(r, 20));
  }
  sleepers.forEach((s) => s.kill());
  throw new Error('the svsem sleepers never blocked');
}

describe.skipIf(skipReason !== undefined)('svsem ipcs against util-linux ipcs -s', () => {
  let kernel: KernelRun;
  let db = '';
  let sleepers: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'svsem-ipcs-'));
    clockModule = join(dir, 'clock.mjs');
    writeFileSync(clockModule,
      'const ms = Number(process.env.SVSEM_TEST_NOW_MS);\nif (ms > 0) Date.now = () => ms;\n');
    const specs = sets();
    kernel = runKernel(dir, specs);
    db = freshDb();
    makeOnSvsem(db, specs, kernel);
    sleepers = await startSleepers(db);
  });

  afterAll(() => {
    sleepers.forEach((s) => s.kill());
  });

  it.each(VIEWS.map(([ipcsArgs, svsemArgs], i) => ({ i, ipcsArgs, svsemArgs })))(
    'svsem ipcs $svsemArgs prints what ipcs -s $ipcsArgs prints',
    ({ i, ipcsArgs, svsemArgs }) => {
      const expected = kernel.views[i]!;
      const got = svsem(db, 'ipcs', ...svsemArgs);
      // The per-semaphore pid column: this process did on svsem what perl did on the kernel.
      const stdout = got.stdout.replaceAll(String(process.pid).padEnd(10), kernel.pid.padEnd(10));
      const label = `ipcs -s ${ipcsArgs.join(' ')}`;
      expect({ stdout, stderr: got.stderr, status: got.status }, label).toEqual({
        stdout: expected.stdout,
        stderr: expected.stderr.replace(/^ipcs:/gm, 'svsem ipcs:'),
        status: expected.status,
      });
    },
  );

  it('gives the same sets as typed JSON', () => {
    const list = JSON.parse(svsem(db, 'ipcs', '--json').stdout);
    expect(list.semaphores[2]).toEqual({
      key: 0xdeadbeef | 0, keyHex: '0xdeadbeef', semid: 2, owner: null,
      uid: sets()[2]!.creator![0], perms: 0, nsems: 1,
    });
    const times = JSON.parse(svsem(db, 'ipcs', '-t', '--json').stdout);
    expect(times.semaphores[2].otime).toBeNull();
    const otime = new Date(kernel.times.get(0)!.otime * 1000).toISOString();
    expect(times.semaphores[0].otime).toBe(otime.replace('.000Z', 'Z'));
    const one = JSON.parse(svsem(db, 'ipcs', '-i', String(WAITED_ON), '--json').stdout);
    type Element = { ncount: number; zcount: number };
    expect(one.semaphores.map((e: Element) => [e.ncount, e.zcount])).toEqual([[1, 0], [0, 1]]);
    type Waiter = { blockedOn: { semnum: number } };
    const blockedOn = one.waiters.map((w: Waiter) => w.blockedOn);
    blockedOn.sort((a: { semnum: number }, b: { semnum: number }) => a.semnum - b.semnum);
    expect(blockedOn).toEqual([
      { semnum: 0, count: 'ncount' }, { semnum: 1, count: 'zcount' },
    ]);
    expect(JSON.parse(svsem(db, 'ipcs', '-u', '--json').stdout))
      .toEqual({ status: { usedArrays: 3, allocatedSemaphores: 6 } });
    expect(JSON.parse(svsem(db, 'ipcs', '-l', '-p', '--json').stdout)).toEqual({ pids: [] });
  });
});

describe('svsem ipcs', () => {
  it('reports id -1 as not found (ipcs crashes on it) and refuses -m, -q and a bad id', () => {
    const db = freshDb();
    expect(svsem(db, 'ipcs', '-i', '-1'))
      .toEqual({ status: 0, stdout: '', stderr: 'svsem ipcs: id -1 not found\n' });
    for (const flag of ['-m', '-q']) {
      const r = svsem(db, 'ipcs', flag);
      expect(r.status, flag).toBe(64);
      expect(r.stderr).toMatch(/^svsem ipcs: svsem emulates System V semaphores only/);
    }
    expect(svsem(db, 'ipcs', '-i', '0x7').stderr)
      .toMatch(/^svsem ipcs: failed to parse id argument: '0x7'/);
  });

  it('formats times as C ctime() does in the local zone', () => {
    const epochs = [0, 1, 951782400, 1796336163, 2147483647, 4102444799];
    const date = spawnSync('date', ['-f', '-', '+%a %b %e %H:%M:%S %Y'], {
      input: epochs.map((t) => `@${t}`).join('\n'), encoding: 'utf8',
    });
    if (date.error) return;
    expect(epochs.map(ctimeText)).toEqual(date.stdout.trim().split('\n'));
  });
});
