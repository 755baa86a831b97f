/**
 * --help, --version and shell completion, rendered by yargs from the same command declarations
 * the parser reads (src/cli/commands.ts). Only these paths load yargs; see src/cli/main.ts.
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv, type Options } from 'yargs';
import { COMMANDS, findCommand } from './commands.js';
import type { Output } from './context.js';
import { UsageError } from './errors.js';
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './spec.js';

/**
 * An option as yargs declares it. Completion gets no short aliases: yargs would offer each as a
 * long option (`--n`), which svsem does not accept.
 */
function yargsOption(o: OptionSpec, aliases: boolean): Options {
  const type = o.kind === 'flag' ? 'boolean' : 'string';
  const describe = o.value && o.kind !== 'flag' ? `${o.describe}  [${o.value}]` : o.describe;
  return {
    type, describe, hidden: o.hidden, array: o.kind === 'list' ? true : undefined,
    ...(o.short && aliases ? { alias: o.short } : {}),
  };
}

function withOptions(y: Argv, options: readonly OptionSpec[], aliases = true): Argv {
  for (const o of options) y = y.option(o.name, yargsOption(o, aliases));
  return y;
}

/** The synopsis of a command: `semop <semid> <ops..>`, in yargs' notation. */
function synopsis(spec: CommandSpec): string {
  const words = spec.positionals.map((p) => {
    const name = p.variadic ? `${p.name}..` : p.name;
    return p.optional ? `[${name}]` : `<${name}>`;
  });
  return [spec.name, ...words].join(' ');
}

function withCommand(y: Argv, spec: CommandSpec, aliases = true): Argv {
  return y.command(synopsis(spec), spec.summary, (sub) => {
    for (const p of spec.positionals) {
      sub = sub.positional(p.name, { type: 'string', describe: p.describe });
    }
    sub = withOptions(sub, spec.options, aliases);
    for (const [cmd, what] of spec.examples) sub = sub.example(cmd, what);
    return sub;
  });
}

function base(argv: readonly string[], aliases = true): Argv {
  const width = Math.min(100, process.stdout.columns || 80);
  const y = yargs([...argv]).scriptName('svsem').wrap(width).exitProcess(false);
  return withOptions(y, GLOBAL_OPTIONS.filter((o) => o.name !== 'help'), aliases)
    .version(false)
    .help(false);
}

/** The help text: of one command, or the overview. */
async function helpText(words: readonly string[]): Promise<string> {
  const name = words.find((w) => !w.startsWith('-'));
  if (name !== undefined) {
    const spec = findCommand(name);
    if (spec === undefined) throw new UsageError(`unknown command '${name}'`);
    let y = base([]).usage(`svsem ${synopsis(spec)}\n\n${spec.summary}`);
    for (const p of spec.positionals) {
      y = y.positional(p.name, { type: 'string', describe: p.describe });
    }
    y = withOptions(y, spec.options);
    if (spec.options.length > 0) y = y.group(spec.options.map((o) => o.name), 'Options:');
    const globals = GLOBAL_OPTIONS.filter((o) => o.name !== 'help').map((o) => o.name);
    y = y.group(globals, 'Global options:');
    for (const [cmd, what] of spec.examples) y = y.example(cmd, what);
    return y.getHelp();
  }
  let y = base([])
    .usage('svsem COMMAND [ARGS]\n\nSystem V semaphores for the shell, kept in a SQLite registry.');
  for (const spec of COMMANDS) y = withCommand(y, spec);
  y = y.command('completion', 'print a bash or zsh completion script')
    .example('svsem semget 0x5eed 1 -c --init 1', 'find or create a mutex')
    .example('svsem COMMAND --help', 'the options and examples of one command')
    .epilog('Exit status: 0, the errno of a failed operation, 64 usage, 74 registry unusable, ' +
      '75 registry locked. See svsem(1).');
  return y.getHelp();
}

/** svsem's version, from the package.json above this module (dist/ or src/, built or not). */
function version(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
      if (pkg.name === 'svsem') return String(pkg.version);
    } catch {
      // no package.json here: go on up
    }
    if (dir.pathname === '/') return 'unknown';
  }
}

/** Serves a help, version or completion request; returns the exit status. */
export async function serve(
  kind: 'help' | 'version' | 'completion',
  argv: readonly string[],
  io: Output,
): Promise<number> {
  if (kind === 'version') {
    io.out(version());
    return 0;
  }
  if (kind === 'help') {
    io.out(await helpText(argv));
    return 0;
  }
  // yargs prints the script for `completion` (for zsh when $SHELL is zsh, else for bash) and
  // the candidates for --get-yargs-completions, which that script calls.
  let y = base(argv, false).completion('completion', 'print a bash or zsh completion script');
  for (const spec of COMMANDS) y = withCommand(y, spec, false);
  await y.parseAsync();
  return 0;
}
