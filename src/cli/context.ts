/**
 * What a command gets besides its arguments: where to print, the registry (opened on first use,
 * so commands that need none never open it), the acting process, and a way to learn that the
 * user wants to stop. A single invocation makes one Context; `svsem shell` makes one per line
 * over the registry it keeps open.
 */
import { writeSync } from 'node:fs';
import type { Note } from '../core/explain.js';
import type { Credentials, ProcessRef } from '../core/types.js';
import { explainNote } from '../format/explain.js';
import { SemError } from '../core/errno.js';
import { adoptedByInit, parentRef, processRef } from '../process.js';
import { Registry, processCredentials } from '../registry.js';
import { defaultRegistryPath } from '../storage/open.js';
import { flagOption, stringOption, type ParsedArgs } from './argv.js';
import { UsageError } from './errors.js';
import { parseInteger } from './parse.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

const FULL_PIPE_PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Aborted once a write to standard output found its reader gone, for a command that runs on
 * and must stop then (svsem tour).
 */
export const stdoutReaderGone = new AbortController();

/**
 * Writes `text` whole to file descriptor `fd`, at once. A command writes its few lines this way
 * rather than through process.stdout, whose stream machinery (net, stream and a dozen internal
 * modules for a pipe) costs a one-line command more to load than the rest of its output path.
 * A reader that has gone (EPIPE, as under `| head`) quietly ends the output, as SIGPIPE would end
 * a C program's; a descriptor another process made non-blocking is waited on while it is full.
 */
export function writeAll(fd: number, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        if (fd === 1) stdoutReaderGone.abort();
        return;
      }
      if (code !== 'EAGAIN') throw err;
      Atomics.wait(FULL_PIPE_PAUSE, 0, 0, 1);
    }
  }
}

export const stdio: Output = {
  out: (line) => writeAll(1, line + '\n'),
  err: (line) => writeAll(2, line + '\n'),
};

/** What the user can fire while a command waits: SIGINT, SIGTERM, SIGHUP; Ctrl-C in the shell. */
export interface Interrupts {
  readonly signal: AbortSignal;
  release(): void;
}

export interface Context {
  readonly io: Output;
  readonly json: boolean;
  readonly explain: boolean;
  registry(): Registry;
  /**
   * The process a change acts for: --owner PID, else svsem's parent (the shell that ran it).
   * `undo`: the change leaves SEM_UNDO adjustments for it (see ownerProcess).
   */
  actingProcess(ownerOption: string | undefined, undo?: boolean): ProcessRef;
  interrupts(): Interrupts;
  /** Called just before a command sleeps, so that what it printed so far is seen. */
  beforeWait?(): void;
}

/** --as UID[:GID]: other credentials, for root only (to teach and test permission checks). */
export function credentialsFor(as: string | undefined): Credentials {
  const own = processCredentials();
  if (as === undefined) return own;
  const m = /^(\d+)(?::(\d+))?$/.exec(as);
  if (!m) throw new UsageError(`--as '${as}' is not UID[:GID]`);
  if (own.uid !== 0) throw new UsageError('--as is allowed only to root');
  const uid = parseInteger(m[1]!, 'uid', 0, 0xfffffffe);
  const gid = m[2] === undefined ? uid : parseInteger(m[2], 'gid', 0, 0xfffffffe);
  return { uid, gid, groups: [] };
}

/**
 * $SVSEM_BUSY_TIMEOUT: how long, in seconds (fractions allowed), a command waits for a registry
 * that another process keeps locked before it gives up with exit 75; unset or empty, the default.
 */
export function busyTimeoutMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.SVSEM_BUSY_TIMEOUT;
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  // better-sqlite3 takes a 32-bit count of milliseconds.
  const valid = text.trim() !== '' && seconds >= 0 && seconds * 1000 <= 0x7fffffff;
  if (!valid) {
    throw new UsageError(`SVSEM_BUSY_TIMEOUT '${text}' is not a number of seconds >= 0`);
  }
  return Math.round(seconds * 1000);
}

/** The registry's path: --db, else the default; an empty --db is a mistake, not the default. */
export function registryPath(dbOption: string | undefined): string {
  if (dbOption === '') throw new UsageError('--db needs a path');
  return dbOption ?? defaultRegistryPath();
}

/**
 * The identity of --owner PID, or of svsem's parent when none is given. A parent that has exited
 * is still returned (as an exited process), so that a call leaving something behind for it fails
 * with ESRCH in the registry, while one that only records a pid goes ahead as the kernel's would.
 * A parent that was init from the start is refused for SEM_UNDO: init never exits, so nothing
 * would ever give the adjustment back (a lock leaked for good).
 */
export function ownerProcess(ownerOption: string | undefined, undo = false): ProcessRef {
  if (ownerOption === undefined) {
    if (undo && adoptedByInit()) throw orphanedUndo();
    return parentRef();
  }
  const pid = parseInteger(ownerOption, 'owner pid', 1, 0x7fffffff);
  const ref = processRef(pid);
  if (ref === undefined) throw new UsageError(`--owner ${pid}: no such process`);
  return ref;
}

export function orphanedUndo(): SemError {
  return new SemError('ESRCH', "svsem's parent is init (pid 1): the shell that ran it had " +
    'exited, and nothing would ever undo this SEM_UNDO adjustment; ' +
    'name its owner with --owner PID');
}

/** SIGINT, SIGTERM and SIGHUP turned into an AbortSignal while a command waits. */
export function processInterrupts(): Interrupts {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  signals.forEach((s) => process.on(s, onSignal));
  return { signal: abort.signal, release: () => signals.forEach((s) => process.off(s, onSignal)) };
}

/** --explain: each note of the semantics as a line on stderr. */
export function explainTo(io: Output): (note: Note) => void {
  return (note) => io.err(explainNote(note));
}

/** The Context of one invocation; close() closes the registry if it was opened. */
export class InvocationContext implements Context {
  readonly json: boolean;
  readonly explain: boolean;
  private opened: Registry | undefined;

  constructor(readonly io: Output, private readonly args: ParsedArgs) {
    this.json = flagOption(args, 'json');
    this.explain = flagOption(args, 'explain');
  }

  registry(): Registry {
    if (this.opened === undefined) {
      const credentials = credentialsFor(stringOption(this.args, 'as'));
      const path = registryPath(stringOption(this.args, 'db'));
      this.opened = Registry.open({ path, credentials, busyTimeoutMs: busyTimeoutMs() });
      if (this.explain) this.opened = this.opened.with({ explain: explainTo(this.io) });
    }
    return this.opened;
  }

  actingProcess(ownerOption: string | undefined, undo = false): ProcessRef {
    return ownerProcess(ownerOption, undo);
  }

  interrupts(): Interrupts {
    return processInterrupts();
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }
}
