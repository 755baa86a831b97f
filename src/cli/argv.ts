/**
 * The command-line parser every invocation and every `svsem shell` line goes through. It reads
 * a CommandSpec (src/cli/spec.ts) and follows getopt_long's conventions, which the tools svsem
 * mirrors also follow:
 * - `--name value`, `--name=value`, `-x value`, `-xvalue`, and flags bundled as `-nu`;
 * - an optional value only when attached (`--all=sem`, `-asem`);
 * - `--` ends the options; a word that is a negative number (`-1`) is a positional, since svsem
 *   has no digit options and ids, keys and values may be negative;
 * - options may come after positionals, unless the command takes another program's command line
 *   (optionsFirst), where the first positional ends them.
 * It never converts a value: numbers are the commands' business (src/cli/parse.ts).
 */
import { UsageError } from './errors.js';
import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './spec.js';

export type OptionValue = boolean | string | string[];

export interface ParsedArgs {
  /** Positional words in order, including those after `--`. */
  readonly words: readonly string[];
  readonly options: Readonly<Record<string, OptionValue | undefined>>;
  /** Option names in the order given, repeats included (ipcs: the last format wins). */
  readonly order: readonly string[];
}

const NEGATIVE_NUMBER = /^-\d/;

function findLong(options: readonly OptionSpec[], name: string): OptionSpec | undefined {
  return options.find((o) => o.name === name);
}

function findShort(options: readonly OptionSpec[], ch: string): OptionSpec | undefined {
  return options.find((o) => o.short === ch);
}

/** Parses `argv` (the words after the command name) for `spec`. */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const all = [...spec.options, ...GLOBAL_OPTIONS];
  const words: string[] = [];
  const options: Record<string, OptionValue | undefined> = {};
  const order: string[] = [];

  const set = (opt: OptionSpec, value: string | true) => {
    order.push(opt.name);
    if (opt.kind === 'list') {
      const list = options[opt.name];
      options[opt.name] = [...(Array.isArray(list) ? list : []), value as string];
    } else {
      options[opt.name] = value;
    }
  };

  let i = 0;
  const next = (shown: string): string => {
    if (i + 1 >= argv.length) throw new UsageError(`option '${shown}' needs a value`);
    return argv[++i]!;
  };

  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      const opt = findLong(all, name);
      if (opt === undefined) throw new UsageError(`unknown option '--${name}'`);
      const attached = eq < 0 ? undefined : word.slice(eq + 1);
      if (opt.kind === 'flag') {
        if (attached !== undefined) throw new UsageError(`option '--${name}' takes no value`);
        set(opt, true);
      } else if (opt.kind === 'optional') {
        set(opt, attached ?? true);
      } else {
        set(opt, attached ?? next(`--${name}`));
      }
      continue;
    }
    if (word.startsWith('-') && word.length > 1 && !NEGATIVE_NUMBER.test(word)) {
      i = parseShorts(all, argv, i, set);
      continue;
    }
    words.push(word);
    if (spec.optionsFirst) {
      words.push(...argv.slice(i + 1));
      break;
    }
  }
  return { words, options, order };
}

/** A cluster of short options starting at argv[i]; returns the index of its last word. */
function parseShorts(
  all: readonly OptionSpec[],
  argv: readonly string[],
  i: number,
  set: (opt: OptionSpec, value: string | true) => void,
): number {
  const word = argv[i]!;
  for (let j = 1; j < word.length; j++) {
    const ch = word[j]!;
    const opt = findShort(all, ch);
    if (opt === undefined) throw new UsageError(`unknown option '-${ch}'`);
    if (opt.kind === 'flag') {
      set(opt, true);
      continue;
    }
    const attached = word.slice(j + 1);
    if (attached !== '') {
      set(opt, attached);
    } else if (opt.kind === 'optional') {
      set(opt, true);
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`option '-${ch}' needs a value`);
      set(opt, argv[++i]!);
    }
    return i;
  }
  return i;
}

/** Checks the positional words against the spec's count. */
export function checkPositionals(spec: CommandSpec, words: readonly string[]): void {
  const required = spec.positionals.filter((p) => !p.optional).length;
  const variadic = spec.positionals.some((p) => p.variadic);
  if (words.length < required) {
    const missing = spec.positionals[words.length]!;
    throw new UsageError(`missing ${missing.name.toUpperCase()}`);
  }
  if (!variadic && words.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument '${words[spec.positionals.length]}'`);
  }
}

/** The value of a `value` option, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === 'string' ? v : undefined;
}

export function flagOption(args: ParsedArgs, name: string): boolean {
  return args.options[name] !== undefined && args.options[name] !== false;
}

export function listOption(args: ParsedArgs, name: string): string[] {
  const v = args.options[name];
  return Array.isArray(v) ? v : [];
}
