import { describe, expect, it } from 'vitest';
import { parseArgs, checkPositionals } from '../../src/cli/argv.js';
import { findCommand } from '../../src/cli/commands.js';
import { interpret } from '../../src/cli/main.js';

const spec = (name: string) => findCommand(name)!;

/** What `svsem NAME ...words` parses to: positionals and options. */
function parsed(name: string, ...words: string[]) {
  const { words: positionals, options, order } = parseArgs(spec(name), words);
  return { positionals, options, order };
}

describe('parseArgs', () => {
  it.each([
    [['semop', '0', '0:-1', '-nu'], ['0', '0:-1'], { nowait: true, undo: true }],
    [['semop', '0', '0-1', '--timeout=0.5'], ['0', '0-1'], { timeout: '0.5' }],
    [['semop', '0', '-t', '2', '0:1'], ['0', '0:1'], { timeout: '2' }],
    [['semop', '0', '-t2', '0:1'], ['0', '0:1'], { timeout: '2' }],
    [['semop', '-1', '0:0:n'], ['-1', '0:0:n'], {}],
    [['semctl', '0', 'setval', '0', '-1'], ['0', 'setval', '0', '-1'], {}],
    [['semget', '--db', 'x.db', '0x10', '1', '-cx'], ['0x10', '1'], { db: 'x.db', create: true, excl: true }],
    [['ipcrm', '-s', '1', '-s', '2'], [], { 'semaphore-id': ['1', '2'] }],
    [['ipcrm', '-asem'], [], { all: 'sem' }],
    [['ipcrm', '--all'], [], { all: true }],
    [['ipcrm', '-a', 'sem'], ['sem'], { all: true }],
    [['run', '--id', '3', 'sh', '-c', 'exit 1'], ['sh', '-c', 'exit 1'], { id: '3' }],
    [['run', '--id', '3', '--', 'ls', '-l'], ['ls', '-l'], { id: '3' }],
    [['semop', '0', '--', '-5:1'], ['0', '-5:1'], {}],
  ])('%j', (argv, positionals, options) => {
    const [name, ...words] = argv as string[];
    const got = parsed(name!, ...words);
    expect(got.positionals).toEqual(positionals);
    expect(got.options).toEqual(options);
  });

  it('keeps the order of options, repeats included, for ipcs', () => {
    expect(parsed('ipcs', '-t', '-c', '-t').order).toEqual(['time', 'creator', 'time']);
  });

  it.each([
    [['semop', '0', '0:1', '--frob'], "unknown option '--frob'"],
    [['semop', '0', '0:1', '-x'], "unknown option '-x'"],
    [['semop', '0', '0:1', '-t'], "option '-t' needs a value"],
    [['semop', '0', '0:1', '--nowait=1'], "option '--nowait' takes no value"],
  ])('refuses %j', (argv, message) => {
    const [name, ...words] = argv as string[];
    expect(() => parseArgs(spec(name!), words)).toThrow(message);
  });

  it('checks the number of positionals', () => {
    expect(() => checkPositionals(spec('semop'), ['0'])).toThrow('missing OPS');
    expect(() => checkPositionals(spec('ftok'), ['a', 'b', 'c'])).toThrow("unexpected argument 'c'");
  });
});

describe('interpret', () => {
  it('takes global options before the command name', () => {
    const r = interpret(['--db', 'a.db', '--json', 'semctl', '0', 'getall']);
    expect(r).toMatchObject({ kind: 'run', spec: { name: 'semctl' }, args: { words: ['0', 'getall'] } });
    expect(r.kind === 'run' && r.args.options).toEqual({ db: 'a.db', json: true });
  });

  it('routes help, version and completion away from the commands', () => {
    expect(interpret(['--help']).kind).toBe('help');
    expect(interpret(['semop', '--help'])).toEqual({ kind: 'help', argv: ['semop'] });
    expect(interpret(['help', 'semop'])).toEqual({ kind: 'help', argv: ['semop'] });
    expect(interpret(['--version']).kind).toBe('version');
    expect(interpret(['completion']).kind).toBe('completion');
  });

  it('suggests a command close to a misspelt one', () => {
    expect(() => interpret(['semopp'])).toThrow("unknown command 'semopp' (did you mean 'semop'?)");
  });
});

describe('help and completion', () => {
  it('prints a command\'s options, then the global ones, and its examples', async () => {
    const { svsem } = await import('./helpers.js');
    const help = svsem(undefined, 'semop', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout.indexOf('--nowait')).toBeLessThan(help.stdout.indexOf('Global options:'));
    expect(help.stdout).toContain('Examples:');
  });

  it('prints a completion script and completes a command\'s long options', async () => {
    const { svsem } = await import('./helpers.js');
    expect(svsem(undefined, 'completion').stdout).toContain('--get-yargs-completions');
    const words = svsem(undefined, '--get-yargs-completions', 'svsem', 'semop', '--').stdout.split('\n');
    expect(words).toEqual(expect.arrayContaining(['--nowait', '--undo', '--timeout', '--db']));
    expect(words).not.toContain('--n');
  });
});
