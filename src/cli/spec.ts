/**
 * Command lines as data. Each command declares its positionals and options here once; the same
 * declaration drives the fast parser every invocation uses (src/cli/argv.ts), the yargs help and
 * completion that only --help and `svsem completion` load (src/cli/help.ts), and `svsem shell`.
 */
import type { Context } from './context.js';
import type { ParsedArgs } from './argv.js';

/**
 * How an option takes its value:
 * - flag: no value (`-n`, `--nowait`); a repeat changes nothing.
 * - value: one value, the next word or after `=` (`-t 5`, `-t5`, `--timeout=5`); the last wins.
 * - list: like value, but every occurrence is kept (`-s 1 -s 2`).
 * - optional: a value only when attached (`--all=sem`, `-asem`), as getopt's optional_argument.
 */
export type OptionKind = 'flag' | 'value' | 'list' | 'optional';

export interface OptionSpec {
  /** The long name, also the key in ParsedArgs.options. */
  readonly name: string;
  readonly short?: string;
  readonly kind: OptionKind;
  /** The value's placeholder in help, such as SECONDS. */
  readonly value?: string;
  readonly describe: string;
  /** Accepted but left out of help (ipcs -m and -q, which only explain themselves). */
  readonly hidden?: boolean;
}

export interface PositionalSpec {
  readonly name: string;
  readonly describe: string;
  /** At least one word, or none when also optional. */
  readonly variadic?: boolean;
  readonly optional?: boolean;
}

/** What a command module exports. */
export interface CommandModule {
  run(args: ParsedArgs, ctx: Context): Promise<void>;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  /** [command line, what it does]; every command has at least one. */
  readonly examples: readonly (readonly [string, string])[];
  /** Options end at the first positional word: what follows is another program's command line. */
  readonly optionsFirst?: boolean;
  readonly load: () => Promise<CommandModule>;
}

/** The options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'db', kind: 'value', value: 'PATH',
    describe: 'the registry file (default: $SVSEM_DB, else ~/.local/state/svsem/registry.db)',
  },
  { name: 'json', kind: 'flag', describe: 'print data as JSON' },
  {
    name: 'as', kind: 'value', value: 'UID[:GID]',
    describe: 'act with these credentials (root only)',
  },
  {
    name: 'explain', kind: 'flag',
    describe: 'say on stderr, step by step, what the semantics did',
  },
  { name: 'help', short: 'h', kind: 'flag', describe: 'show help' },
];
