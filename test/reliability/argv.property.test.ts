/**
 * Bad input: property-based tests over the command lines of every command (fast-check), run
 * through svsem's main() in this process so that hundreds of cases stay fast, and a few hostile
 * ones through the real executable. For every command line:
 * - no stack trace and no internal error (exit 70), on stdout or stderr;
 * - an exit status from the documented table: 0, the kernel errno numbers of man/svsem.1's EXIT
 *   STATUS, 64, 74 or 75 (and, for svsem run, the statuses of the command it runs);
 * - after a usage error (64), the registry byte for byte as it was, and no file created.
 * Each case starts from a copy of the same small registry, so a failure replays exactly:
 * the seed is printed, SVSEM_ARGV_SEED replays it and SVSEM_ARGV_RUNS sets the number of cases.
 *
 * semop and run always get -n, so that nothing sleeps; whether an operation that may sleep
 * sleeps well is for the other reliability tests.
 */
import {
  copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs, stringOption } from '../../src/cli/argv.js';
import { COMMANDS, findCommand } from '../../src/cli/commands.js';
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from '../../src/cli/spec.js';
import { bytes, inProcess, seedFrom, spawnSvsem, type Outcome } from './fixtures.js';

const SEED = seedFrom('SVSEM_ARGV_SEED');
const RUNS = Number(process.env.SVSEM_ARGV_RUNS ?? 600);

/** The exit statuses of man/svsem.1's EXIT STATUS: the errno numbers, then svsem's own. */
const DOCUMENTED = new Set([0, 1, 2, 4, 7, 11, 13, 17, 22, 27, 28, 34, 43, 64, 74, 75]);

// --- words -------------------------------------------------------------------------------------

/** Numbers at the edges that matter: 16-bit values, 32-bit keys and ids, and beyond. */
const EDGE_NUMBERS = [
  '0', '1', '2', '3', '-1', '-0', '+5', '07', '32767', '32768', '-32768', '-32769', '65535', '65536',
  '32000', '32001', '500', '501', '2147483647', '2147483648', '-2147483648', '-2147483649',
  '4294967295', '4294967296', '9007199254740993', '1e3', '0.5', ' 7', '7 ', '0x7fffffff',
  '0x80000000', '0xffffffff', '0x100000000', '-0x80000000', '-0x80000001', '0x', '0X10',
];

/** Words no parser expects: unicode digits and letters, blanks, control characters, options. */
const HOSTILE_WORDS = [
  '', ' ', 'abc', 'IPC_PRIVATE', 'ipc_private', '--', '-', '-n', '--db', '--as', '--help', '-h',
  'é', '٣', '１２', '🙂', 'semop', 'sem', 'ÿ\u00ad', '\t', 'a\nb', '\u202e12', '0:0', 'NaN',
  'Infinity', '-Infinity', 'null', '$id', '../../etc/passwd', '/', '%s%s%n',
];

const LONG_WORDS = ['x'.repeat(100_000), '9'.repeat(400), '🙂'.repeat(5000), '-'.repeat(300)];

const numberWord = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 5 }).map(String) },
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 2, arbitrary: fc.integer({ min: -70000, max: 70000 }).map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }).map(String) },
);

const hostileWord = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...HOSTILE_WORDS) },
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(...LONG_WORDS) },
);

/** Mostly numbers, as most of svsem's arguments are, and now and then something hostile. */
const anyWord = fc.oneof({ weight: 5, arbitrary: numberWord }, { weight: 1, arbitrary: hostileWord });

/** Plausible values of the options whose values are not plain numbers, hostile ones among them. */
const OPTION_VALUES: Record<string, fc.Arbitrary<string>> = {
  mode: fc.constantFrom('0600', '644', '0777', '0400', '1777', '8', '-1', 'rw'),
  timeout: fc.constantFrom('0', '0.1', '1e-3', '-1', 'abc', 'Infinity', '1e400'),
  owner: fc.constantFrom(String(process.pid), String(process.ppid), '1', '0', '-1', '4194305', 'me'),
  as: fc.constantFrom('0', '0:0', '1000', '1000:1000', '4294967294', '4294967295', '1000:', ':1', 'root'),
  key: fc.constantFrom('0x10', '0x20', '0', 'IPC_PRIVATE', '0xffffffff', '0x100000000', '-1'),
  'semaphore-key': fc.constantFrom('0x10', '0x20', '0', '0777', '0xffffffff', '0x100000000', '-1'),
  all: fc.constantFrom('sem', 'shm', ''),
};

/** A set id: the template's sets, a stale one, or anything. */
const idWord = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('0', '1', '2', '32768', '-1', '-32768') },
  { weight: 2, arbitrary: anyWord },
);

const opWord = fc.oneof(
  fc.tuple(fc.integer({ min: -2, max: 70000 }), fc.integer({ min: -40000, max: 40000 }),
    fc.constantFrom('', ':', ':n', ':u', ':nu', ':x', ':un'))
    .map(([n, d, f]) => `${n}:${d >= 0 && d % 2 ? '+' : ''}${d}${f}`),
  fc.tuple(fc.nat(4), fc.constantFrom('-', '+', '='), fc.nat(3), fc.constantFrom('', 'n', 'u'))
    .map(([n, s, v, f]) => `${n}${s}${v}${f}`),
  fc.array(fc.constantFrom('0:0', '1-1', '0+1'), { minLength: 2, maxLength: 4 }).map((a) => a.join(',')),
  anyWord,
);

/** 500 and 501 operations: SEMOPM and one more. */
const manyOps = fc.tuple(fc.constantFrom(500, 501), fc.constantFrom('0:+1', '0:0', '1:-1', '2:+0:u'))
  .map(([n, op]) => Array<string>(n).fill(op));

// --- command lines -----------------------------------------------------------------------------

/** One option as written on a command line, with a hostile or plausible value. */
function optionWords(opt: OptionSpec): fc.Arbitrary<readonly string[]> {
  const long = `--${opt.name}`;
  const value = fc.oneof({ weight: 3, arbitrary: OPTION_VALUES[opt.name] ?? numberWord },
    { weight: 1, arbitrary: anyWord });
  const forms: fc.Arbitrary<readonly string[]>[] = [];
  if (opt.kind === 'flag') {
    const spelled = opt.short ? fc.constantFrom([long], [`-${opt.short}`]) : fc.constant([long]);
    return fc.oneof({ weight: 9, arbitrary: spelled }, { weight: 1, arbitrary: fc.constant([`${long}=x`]) });
  }
  if (opt.kind === 'optional') {
    forms.push(fc.constant([long]), value.map((v) => [`${long}=${v}`]));
    if (opt.short) forms.push(value.map((v) => [`-${opt.short}${v}`]));
  } else {
    forms.push(value.map((v) => [long, v]), value.map((v) => [`${long}=${v}`]), fc.constant([long]));
    if (opt.short) forms.push(value.map((v) => [`-${opt.short}`, v]), value.map((v) => [`-${opt.short}${v}`]));
  }
  return fc.oneof(...forms);
}

const GLOBALS = GLOBAL_OPTIONS.filter((o) => o.name !== 'db');

/** What may stand in the options of `spec`: its own, the global ones, and unknown ones. */
function someOptions(spec: CommandSpec): fc.Arbitrary<(readonly string[])[]> {
  const known = [...spec.options, ...GLOBALS].map(optionWords);
  const unknown = fc.constantFrom(['--frob'], ['-Z'], ['--no-such=1'], ['-'], ['--']);
  return fc.array(fc.oneof({ weight: 20, arbitrary: fc.oneof(...known) }, { weight: 1, arbitrary: unknown }),
    { maxLength: 3 });
}

const SEMCTL_WORDS = ['getval', 'getpid', 'getncnt', 'getzcnt', 'getall', 'setval', 'setall', 'stat',
  'set', 'rmid', 'IPC_RMID', 'ipc_stat', 'GETALL', 'info', 'seminfo', 'semstat', 'semstat-any',
  'SEM_STAT_ANY', 'frob'];

/** The positional words of each command, shaped to reach deep into it. */
const POSITIONALS: Record<string, fc.Arbitrary<readonly string[]>> = {
  semget: fc.tuple(fc.oneof(numberWord, anyWord), fc.option(fc.oneof(numberWord, anyWord), { nil: undefined }))
    .map(([k, n]) => (n === undefined ? [k] : [k, n])),
  semop: fc.oneof(
    { weight: 5, arbitrary: fc.tuple(idWord, fc.array(opWord, { minLength: 0, maxLength: 5 })).map(([i, o]) => [i, ...o]) },
    { weight: 1, arbitrary: fc.tuple(idWord, manyOps).map(([i, o]) => [i, ...o]) },
  ),
  semctl: fc.oneof(
    fc.tuple(idWord, fc.constantFrom(...SEMCTL_WORDS), fc.array(fc.oneof(numberWord, anyWord), { maxLength: 4 }))
      .map(([i, c, a]) => [i, c, ...a]),
    fc.tuple(fc.constantFrom('info', 'seminfo', 'semstat', 'semstat-any'), fc.array(numberWord, { maxLength: 2 }))
      .map(([c, a]) => [c, ...a]),
    fc.tuple(idWord, fc.constantFrom(1, 3, 4, 32000, 32001)).map(([i, n]) => [i, 'setall', ...Array<string>(n).fill('1')]),
  ),
  ipcs: fc.oneof({ weight: 9, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.tuple(anyWord) }),
  // ipcmk has no positionals; its -S NSEMS is required, so it comes here most of the time.
  ipcmk: fc.oneof({ weight: 9, arbitrary: numberWord.map((n) => ['-S', n]) }, { weight: 1, arbitrary: fc.constant([]) }),
  ipcrm: fc.oneof(fc.array(anyWord, { maxLength: 2 }), fc.array(idWord, { maxLength: 3 }).map((ids) => ['sem', ...ids])),
  ftok: fc.tuple(fc.constantFrom('/etc/passwd', '/', '/no/such/file', '', 'x'.repeat(5000), '🙂'),
    fc.array(anyWord, { maxLength: 2 })).map(([p, rest]) => [p, ...rest]),
  // The set (as options: run takes them first), then a harmless command, a failing one, one
  // that does not exist, or none.
  run: fc.tuple(
    fc.oneof({ weight: 6, arbitrary: idWord.map((i) => ['--id', i]) },
      { weight: 3, arbitrary: anyWord.map((k) => ['--key', k]) }, { weight: 1, arbitrary: fc.constant([]) }),
    fc.constantFrom(['--', 'true'], ['true'], ['--', 'false'], ['--', '/no/such/command'], []),
  ).map(([set, command]) => [...set, ...command]),
};

/** Where --db points: mostly the registry, else a folder, a device, links, nothing, ... */
const DB_CHOICES = ['registry', 'registry', 'registry', 'registry', 'folder', 'null', 'link',
  'dangling', 'under-a-file', 'new-folder', 'empty', 'long', 'unicode'] as const;
type DbChoice = (typeof DB_CHOICES)[number];

interface Case {
  readonly db: DbChoice;
  readonly name: string;
  readonly words: readonly string[];
}

function commandCase(spec: CommandSpec): fc.Arbitrary<Case> {
  return fc.record({
    db: fc.constantFrom(...DB_CHOICES),
    options: someOptions(spec),
    positionals: POSITIONALS[spec.name] ?? fc.array(anyWord, { maxLength: 3 }),
    at: fc.nat(),
  }).map(({ db, options, positionals, at }) => {
    const opts = options.flat();
    // Options among or before the positionals; run takes its options first.
    const cut = spec.optionsFirst ? 0 : at % (positionals.length + 1);
    const words = [...positionals.slice(0, cut), ...opts, ...positionals.slice(cut)];
    const lead = spec.name === 'semop' || spec.name === 'run' ? ['-n'] : [];
    // watch runs until told to stop; the last --count wins, so this one bounds it.
    const tail = spec.name === 'watch' ? ['--count', '1'] : [];
    return { db, name: spec.name, words: [...lead, ...words, ...tail] };
  });
}

// shell reads stdin (see below); tour takes no arguments and runs for a second or two on a
// registry of its own, so test/cli/tour.test.ts covers it.
const TESTED = COMMANDS.filter((c) => c.name !== 'shell' && c.name !== 'tour');
const anyCase = fc.oneof(
  ...TESTED.map(commandCase),
  fc.record({ db: fc.constant<DbChoice>('registry'), name: fc.constantFrom('semgte', 'help', '', '🙂', '-x'),
    words: fc.array(anyWord, { maxLength: 2 }) }),
);

// --- the scratch folder of a case --------------------------------------------------------------

let template = '';
const scratch: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svsem-argv-template-'));
  scratch.push(dir);
  template = join(dir, 'registry.db');
  // Set 0 of 3 at 1 1 1; set 1 of 1 with key 0x10; set 2 readable by its owner only.
  for (const argv of [['semget', '0', '3', '-c', '--init', '1'], ['semget', '0x10', '1', '-c'],
    ['semget', '0x20', '2', '-c', '-m', '0400']]) {
    expect((await inProcess(['--db', template, ...argv])).status).toBe(0);
  }
});

afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A fresh folder with the template registry and the odd things --db may point at. */
function caseFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'svsem-argv-'));
  scratch.push(dir);
  copyFileSync(template, join(dir, 'registry.db'));
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'plain.txt'), 'not a registry\n');
  symlinkSync(join(dir, 'registry.db'), join(dir, 'link.db'));
  symlinkSync(join(dir, 'missing.db'), join(dir, 'dangling.db'));
  return dir;
}

function dbPath(dir: string, choice: DbChoice): string {
  switch (choice) {
    case 'registry': return join(dir, 'registry.db');
    case 'folder': return join(dir, 'folder');
    case 'null': return '/dev/null';
    case 'link': return join(dir, 'link.db');
    case 'dangling': return join(dir, 'dangling.db');
    case 'under-a-file': return join(dir, 'plain.txt', 'registry.db');
    case 'new-folder': return join(dir, 'new', 'deeper', 'registry.db');
    case 'empty': return '';
    case 'long': return join(dir, 'l'.repeat(300), 'registry.db');
    case 'unicode': return join(dir, 'ré🙂gistre.db');
  }
}

/** Every file and folder under `dir` with its size and mode, to see that nothing was made. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((name) => {
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    return `${name} ${st?.size ?? '-'} ${st?.mode ?? '-'}`;
  });
}

// --- the properties ----------------------------------------------------------------------------

/** The exit statuses allowed for a case: the documented ones, and for run its command's. */
function allowed(c: Case): Set<number> {
  if (c.name !== 'run') return DOCUMENTED;
  // -E 5, -E5, --conflict-exit-code=5: as the parser reads it (the last one wins).
  let conflict: number[] = [];
  try {
    const text = stringOption(parseArgs(findCommand('run')!, c.words), 'conflict-exit-code');
    conflict = text === undefined ? [] : [Number(text)];
  } catch {
    // a malformed command line: exit 64, which is documented
  }
  return new Set([...DOCUMENTED, 126, 127, ...conflict.filter(Number.isInteger)]);
}

function expectWellBehaved(c: Case, r: Outcome): void {
  const shown = `svsem ${c.name} ${c.words.map((w) => (w.length > 40 ? `${w.slice(0, 20)}...(${w.length})` : w)).join(' ')}`;
  expect(r.stdout + r.stderr, shown).not.toMatch(/\n\s+at .+:\d+|internal error|\[object /);
  expect(allowed(c).has(r.status), `${shown}: exit ${r.status}: ${r.stderr.slice(0, 300)}`).toBe(true);
}

const statuses = new Map<number, number>();

describe('every command line', () => {
  it(`gives a documented status, no stack trace, and changes nothing on a usage error (seed ${SEED})`, async () => {
    console.log(`argv.property.test.ts: seed ${SEED} (SVSEM_ARGV_SEED), ${RUNS} cases (SVSEM_ARGV_RUNS)`);
    await fc.assert(fc.asyncProperty(anyCase, async (c) => {
      const dir = caseFolder();
      const registry = join(dir, 'registry.db');
      const before = { registry: bytes(registry), tree: tree(dir) };
      const argv = ['--db', dbPath(dir, c.db), ...(c.name === '' ? [] : [c.name]), ...c.words];
      const r = await inProcess(argv);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      expectWellBehaved(c, r);
      if (r.status === 64) {
        expect(bytes(registry).equals(before.registry), 'the registry changed on a usage error').toBe(true);
        expect(tree(dir), 'a usage error created or changed files').toEqual(before.tree);
      }
      rmSync(dir, { recursive: true, force: true });
    }), { seed: SEED, numRuns: RUNS, endOnFailure: true });
    console.log(`argv.property.test.ts: exit statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, 240_000);
});

describe('hostile command lines through the real executable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svsem-argv-real-'));
  scratch.push(dir);
  const db = join(dir, 'registry.db');
  const run = (...args: string[]) => spawnSvsem(['--db', db, ...args]);

  it.each([
    [['semop', '0', ...Array<string>(501).fill('0:+1')], 7],
    [['semop', '0', ...Array<string>(500).fill('0:+1')], 0],
    [['semget', '0x100000000', '1', '-c'], 64],
    [['semget', '-0x80000001', '1', '-c'], 64],
    [['semget', '0xffffffff', '1', '-c'], 0],
    [['semget', '-2147483648', '1'], 2],
    [['semget', '0', '32001', '-c'], 22],
    [['semctl', '-1', 'getall'], 22],
    [['semctl', 'x'.repeat(100_000), 'getall'], 64],
    [['semop', '0', '🙂:1'], 64],
    [['ipcs', '-i', '٣'], 64],
  ])('%#: exits as documented, in one line', (args, status) => {
    if (!statSync(db, { throwIfNoEntry: false })) run('semget', '0', '2', '-c');
    const r = run(...(args as string[]));
    expect(r.status, r.stderr).toBe(status);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    if (status !== 0) expect(r.stderr.split('\n')[0]).toMatch(/^svsem \w+: /);
  });

  it('creates a set of 32,000 semaphores, reads it and removes it', () => {
    const fresh = join(dir, 'big.db');
    expect(spawnSvsem(['--db', fresh, 'semget', '0x5eed', '32000', '-c', '--init', '7']).status).toBe(0);
    const all = spawnSvsem(['--db', fresh, 'semctl', '0', 'getall']).stdout.trim().split(' ');
    expect(all).toHaveLength(32000);
    expect(new Set(all)).toEqual(new Set(['7']));
    expect(spawnSvsem(['--db', fresh, 'semctl', '0', 'setall', ...Array<string>(32000).fill('3')]).status).toBe(0);
    expect(spawnSvsem(['--db', fresh, 'semctl', '0', 'getval', '31999']).stdout).toBe('3\n');
    expect(spawnSvsem(['--db', fresh, 'ipcrm', '-s', '0']).status).toBe(0);
  });

  it('goes on in svsem shell past hostile lines, each failing in one line', () => {
    const lines = ['semop 0 0:x', 'semctl 🙂 getall', `semget ${'9'.repeat(400)} 1 -c`, 'semop 0 "unterminated',
      'ipcrm -s -1', 'shell', '--db /dev/null ipcs', 'semctl 0 getall'];
    const r = spawnSvsem(['--db', db, 'shell'], { input: lines.join('\n') + '\n' });
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ \d+$/);
    expect(r.status).toBe(0);
  });

  it('refuses --db at a folder, a device, a dangling symlink and nothing, creating nothing', () => {
    mkdirSync(join(dir, 'folder'));
    symlinkSync(join(dir, 'nowhere.db'), join(dir, 'dangling.db'));
    const before = tree(dir);
    for (const [path, status] of [[join(dir, 'folder'), 74], ['/dev/null', 74], [join(dir, 'dangling.db'), 74],
      ['', 64]] as const) {
      const r = spawnSvsem(['--db', path, 'semget', '0', '1', '-c']);
      expect(r.status, `${path}: ${r.stderr}`).toBe(status);
      expect(r.stderr.split('\n')[0]).toMatch(/^svsem semget: /);
    }
    expect(tree(dir)).toEqual(before);
    expect(readdirSync('/dev').filter((f) => f.startsWith('null-'))).toEqual([]);
  });
});
