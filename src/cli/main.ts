/**
 * One svsem command line, start to finish: find the command, parse its arguments, load and run
 * its module, and turn whatever it threw into a message and an exit status (src/cli/errors.ts).
 * Help, --version and shell completion are the only paths that load yargs (src/cli/help.ts):
 * loading it costs more than starting Node, and a working command line never needs it.
 */
import { checkPositionals, parseArgs, type ParsedArgs } from './argv.js';
import { COMMANDS, findCommand } from './commands.js';
import { InvocationContext, type Context, type Output, stdio } from './context.js';
import { report, UsageError } from './errors.js';
import { GLOBAL_OPTIONS, type CommandSpec } from './spec.js';

/** What a command line asks for. */
type Request =
  | { readonly kind: 'run'; readonly spec: CommandSpec; readonly args: ParsedArgs }
  | { readonly kind: 'help' | 'version' | 'completion'; readonly argv: readonly string[] };

const HELP_WORDS = new Set(['--help', '-h', 'help']);

/** Splits off the global options given before the command name (`svsem --db X semop ...`). */
function leadingGlobals(argv: readonly string[]): number {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && !HELP_WORDS.has(argv[i]!)) {
    const word = argv[i]!;
    const name = word.replace(/^--?/, '').replace(/=.*/, '');
    const opt = GLOBAL_OPTIONS.find((o) => o.name === name);
    if (opt === undefined) break;
    i += opt.kind === 'value' && !word.includes('=') ? 2 : 1;
  }
  return i;
}

export function interpret(argv: readonly string[]): Request {
  if (argv.some((a) => a === '--get-yargs-completions')) return { kind: 'completion', argv };
  const start = leadingGlobals(argv);
  const name = argv[start];
  if (name === undefined) throw new UsageError('a command is needed');
  if (name === '--version' || name === '-V') return { kind: 'version', argv };
  if (HELP_WORDS.has(name)) return { kind: 'help', argv: argv.slice(start + 1) };
  if (name === 'completion') return { kind: 'completion', argv };
  const spec = findCommand(name);
  if (spec === undefined) throw new UsageError(unknownCommand(name));

  const own = [...argv.slice(0, start), ...argv.slice(start + 1)];
  const args = parseArgs(spec, own);
  if (args.options.help === true) return { kind: 'help', argv: [name] };
  return { kind: 'run', spec, args };
}

function unknownCommand(name: string): string {
  const near = COMMANDS.map((c) => c.name).find((c) => editDistance(c, name) <= 2);
  return `unknown command '${name}'` + (near ? ` (did you mean '${near}'?)` : '');
}

/** Levenshtein distance, for suggesting a command. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, substitution);
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Runs a parsed command in `ctx`; errors propagate to the caller, which reports them. */
export async function runCommand(spec: CommandSpec, args: ParsedArgs, ctx: Context): Promise<void> {
  checkPositionals(spec, args.words);
  const module = await spec.load();
  await module.run(args, ctx);
}

/** Runs one command line and returns its exit status; prints its errors on io.err. */
export async function main(argv: readonly string[], io: Output = stdio): Promise<number> {
  try {
    const request = interpret(argv);
    if (request.kind !== 'run') {
      const help = await import('./help.js');
      return await help.serve(request.kind, request.argv, io);
    }
    const ctx = new InvocationContext(io, request.args);
    try {
      await runCommand(request.spec, request.args, ctx);
    } finally {
      ctx.close();
    }
    return 0;
  } catch (err) {
    return report(findCommand(argv[leadingGlobals(argv)] ?? '')?.name ?? '', err, io.err);
  }
}
