/**
 * A scratch registry to demonstrate on: a fresh private folder (mkdtemp, mode 0700) under the
 * temporary directory ($TMPDIR) holding a registry; svsem command lines run on it in this process
 * (through main(), exactly as if typed) or as child processes; and close(), which kills those
 * processes, waits until they have ended, and removes the folder. `svsem tour` runs on one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../core/errno.js';
import { Registry } from '../registry.js';
import type { Output } from './context.js';
import { main } from './main.js';

/** How a child process ended, with everything it printed. */
export interface JobEnd {
  /** The exit status, or null when a signal ended it (or it never started). */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Why it could not be started, if it could not. */
  readonly failed?: string;
}

/** A child process started on the scratch registry. */
export interface Job {
  readonly pid: number;
  readonly ended: Promise<JobEnd>;
  running(): boolean;
  kill(signal: NodeJS.Signals): void;
}

/** The svsem executable of this package (package.json's bin), which child processes run. */
function svsemExecutable(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
      if (pkg.name === 'svsem') return fileURLToPath(new URL(pkg.bin.svsem, dir));
    } catch {
      // no package.json here: go on up
    }
    if (dir.pathname === '/') throw new InternalError('no svsem package.json above this module');
  }
}

export class Scratch {
  private readonly jobs = new Set<Job>();
  private probe: Registry | undefined;

  private constructor(readonly dir: string, readonly db: string) {}

  static create(prefix: string): Scratch {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    return new Scratch(dir, join(dir, 'registry.db'));
  }

  /** Runs `svsem WORDS` in this process on the scratch registry; returns its exit status. */
  svsem(words: readonly string[], io: Output): Promise<number> {
    return main(['--db', this.db, ...words], io);
  }

  /** Starts `svsem WORDS` as a child process on the scratch registry. */
  spawnSvsem(words: readonly string[]): Job {
    return this.spawn(process.execPath, [svsemExecutable(), '--db', this.db, ...words]);
  }

  /**
   * Starts a program with no input, collecting its output. It stays in this process group, so
   * that a Ctrl-C on the terminal reaches it too.
   */
  spawn(file: string, args: readonly string[]): Job {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let done = false;
    const ended = new Promise<JobEnd>((resolve) => {
      child.on('error', (err) => {
        done = true;
        resolve({ status: null, signal: null, stdout, stderr, failed: err.message });
      });
      // 'close', not 'exit': by then its output has been read to the end.
      child.on('close', (status, signal) => {
        done = true;
        resolve({ status, signal, stdout, stderr });
      });
    });
    const job: Job = {
      pid: child.pid ?? -1,
      ended,
      running: () => !done,
      kill: (signal) => void child.kill(signal),
    };
    this.jobs.add(job);
    return job;
  }

  /** The registry, opened once, for probes that print nothing (has a process gone to sleep?). */
  registry(): Registry {
    this.probe ??= Registry.open({ path: this.db });
    return this.probe;
  }

  /** Kills every process still running, waits until each has ended, and removes the folder. */
  async close(): Promise<void> {
    const jobs = [...this.jobs];
    jobs.filter((job) => job.running()).forEach((job) => job.kill('SIGKILL'));
    await Promise.all(jobs.map((job) => job.ended));
    this.probe?.close();
    this.probe = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
