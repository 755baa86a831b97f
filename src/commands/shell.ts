/**
 * svsem shell: runs svsem command lines read from stdin, one a line, against one open registry,
 * printing each result as the single command would. It is the fast path for scripts that issue
 * many operations (one process start, one connection, prepared statements kept) and an
 * interactive place to try System V semantics.
 *
 * - Lines are split as a shell splits a simple command (src/cli/words.ts); `#` starts a comment.
 *   `exit [STATUS]` ends the shell; `help [COMMAND]` shows help; `shell` does not nest.
 * - A failed line prints its error and the shell goes on; with --bail it stops there and exits
 *   with that line's status. Otherwise the shell exits with the status of the last line, as sh.
 * - A line's own --as, --json and --explain apply to it; --db is the shell's alone.
 * - On a terminal: a prompt, and in-session history (readline). Ctrl-C withdraws an operation
 *   that is waiting (the line fails with EINTR) and returns to the prompt; Ctrl-D ends.
 *   Reading a pipe, SIGINT, SIGTERM or SIGHUP withdraws a waiting operation and ends the shell.
 * - Output is written in batches, flushed after each chunk of input, before an operation
 *   sleeps, and at the end, so a long script is not slowed by a write per line; stdout and
 *   stderr keep their relative order.
 */
import { createInterface } from 'node:readline';
import { flagOption, stringOption, type ParsedArgs } from '../cli/argv.js';
import {
  type Context, type Interrupts, type Output, credentialsFor, explainTo, orphanedUndo, ownerProcess,
} from '../cli/context.js';
import { ExitStatus, UsageError, report } from '../cli/errors.js';
import { interpret, runCommand } from '../cli/main.js';
import { splitWords } from '../cli/words.js';
import type { ProcessRef } from '../core/types.js';
import { adoptedByInit } from '../process.js';
import type { Registry } from '../registry.js';

/** stdout and stderr text, queued in order and written in one go. */
class BatchedOutput implements Output {
  private queue: { stream: 'out' | 'err'; text: string }[] = [];
  private size = 0;

  out(line: string): void {
    this.push('out', line);
  }

  err(line: string): void {
    this.push('err', line);
  }

  private push(stream: 'out' | 'err', line: string): void {
    const last = this.queue[this.queue.length - 1];
    if (last?.stream === stream) last.text += line + '\n';
    else this.queue.push({ stream, text: line + '\n' });
    this.size += line.length;
    if (this.size > 1 << 16) this.flush();
  }

  flush(): void {
    for (const { stream, text } of this.queue) {
      (stream === 'out' ? process.stdout : process.stderr).write(text);
    }
    this.queue = [];
    this.size = 0;
  }
}

/** The Context of one shell line: the shell's registry and owner, the line's own options. */
class LineContext implements Context {
  readonly json: boolean;
  readonly explain: boolean;

  constructor(private readonly shell: Shell, private readonly args: ParsedArgs) {
    this.json = flagOption(args, 'json');
    this.explain = flagOption(args, 'explain');
  }

  get io(): Output {
    return this.shell.io;
  }

  registry(): Registry {
    const db = stringOption(this.args, 'db');
    if (db !== undefined && db !== this.shell.dbPath) {
      throw new UsageError('--db is the shell\'s: give it to `svsem shell`, not to a line');
    }
    const as = stringOption(this.args, 'as');
    const registry = this.shell.registry;
    if (as === undefined && !this.explain) return registry;
    return registry.with({
      ...(as === undefined ? {} : { credentials: credentialsFor(as) }),
      ...(this.explain ? { explain: explainTo(this.io) } : {}),
    });
  }

  actingProcess(ownerOption: string | undefined, undo = false): ProcessRef {
    return this.shell.owner(ownerOption, undo);
  }

  interrupts(): Interrupts {
    return { signal: this.shell.lineAbort.signal, release: () => {} };
  }

  beforeWait(): void {
    this.shell.io.flush();
  }
}

class Shell {
  readonly io = new BatchedOutput();
  lineAbort = new AbortController();
  /** The status of the last line that ran. */
  status = 0;

  constructor(
    readonly registry: Registry,
    readonly dbPath: string,
    readonly bail: boolean,
    /** The acting process of lines without --owner: the shell's --owner, else its parent. */
    private readonly defaultOwner: ProcessRef,
    /** Whether defaultOwner is the parent (not named), which ownerProcess may refuse for undo. */
    private readonly ownerIsParent: boolean,
  ) {}

  /** The acting process of a line: its --owner PID, else the shell's default owner. */
  owner(ownerOption: string | undefined, undo: boolean): ProcessRef {
    if (ownerOption !== undefined) return ownerProcess(ownerOption, undo);
    if (this.ownerIsParent && undo && adoptedByInit()) throw orphanedUndo();
    return this.defaultOwner;
  }

  /** Runs one line; returns false when the shell must stop. */
  async line(text: string): Promise<boolean> {
    let name = '';
    try {
      const argv = splitWords(text);
      if (argv.length === 0) return true;
      if (argv[0] === 'exit') return this.exit(argv);
      const request = interpret(argv);
      if (request.kind !== 'run') {
        const help = await import('../cli/help.js');
        this.status = await help.serve(request.kind, request.argv, this.io);
        return true;
      }
      name = request.spec.name;
      if (name === 'shell') throw new UsageError('svsem shell does not nest');
      // A line gets a signal of its own only after one was fired: a controller for every line
      // cost the uncontended loop some 3% of its time.
      if (this.lineAbort.signal.aborted) this.lineAbort = new AbortController();
      await runCommand(request.spec, request.args, new LineContext(this, request.args));
      this.status = 0;
    } catch (err) {
      this.status = report(name, err, (line) => this.io.err(line));
      if (this.bail) return false;
    }
    return true;
  }

  private exit(argv: string[]): boolean {
    if (argv.length > 2 || (argv[1] !== undefined && !/^\d{1,3}$/.test(argv[1]))) {
      throw new UsageError('exit takes at most one status, 0 to 255');
    }
    if (argv[1] !== undefined) this.status = Number(argv[1]) & 0xff;
    return false;
  }

  /** Reads a pipe or file: every complete line of each chunk, then one flush. */
  async piped(input: NodeJS.ReadableStream): Promise<void> {
    let interrupted = false;
    const stop = () => {
      interrupted = true;
      this.lineAbort.abort();
    };
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    signals.forEach((s) => process.on(s, stop));
    try {
      let pending = '';
      for await (const chunk of input) {
        const lines = (pending + String(chunk)).split('\n');
        pending = lines.pop()!;
        for (const text of lines) {
          if (!(await this.line(text)) || interrupted) return;
        }
        this.io.flush();
      }
      if (pending !== '') await this.line(pending);
    } finally {
      signals.forEach((s) => process.off(s, stop));
      this.io.flush();
      if (interrupted && this.status === 0) this.status = 4;
    }
  }

  /** A terminal: prompt, history, Ctrl-C to withdraw a waiting operation. */
  async interactive(): Promise<void> {
    const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'svsem> ' });
    let busy = false;
    rl.on('SIGINT', () => {
      if (busy) this.lineAbort.abort();
      else {
        process.stdout.write('^C\n');
        rl.prompt();
      }
    });
    rl.prompt();
    for await (const text of rl) {
      busy = true;
      const goOn = await this.line(text);
      busy = false;
      this.io.flush();
      if (!goOn) break;
      rl.prompt();
    }
    rl.close();
  }
}

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  if (args.words.length > 0) throw new UsageError(`unexpected argument '${args.words[0]}'`);
  const registry = ctx.registry();
  // Looked up before the first line: a parent that exits while the shell reads its input must
  // not be replaced by whichever process adopts the shell.
  const ownerOption = stringOption(args, 'owner');
  const owner = ctx.actingProcess(ownerOption);
  const shell = new Shell(registry, registry.store.location, flagOption(args, 'bail'), owner,
    ownerOption === undefined);
  if (process.stdin.isTTY && process.stdout.isTTY) await shell.interactive();
  else await shell.piped(process.stdin);
  if (shell.status !== 0) throw new ExitStatus(shell.status);
}
