/**
 * A narrated session on a scratch registry (src/cli/scratch.ts), what `svsem tour` is made of:
 * paragraphs of explanation, and commands shown as a reader would type them, each followed by
 * what it really printed. svsem commands run in this process through main(); background ones,
 * and other programs, as child processes numbered as a shell numbers its jobs.
 *
 * Each command and each process has the outcome its step expects; any other outcome is thrown
 * as an InternalError, since on a registry of its own every outcome is fixed. Every wait is
 * bounded, and ends at once, with EINTR, when the session's AbortSignal fires.
 */
import { InternalError, SemError } from '../core/errno.js';
import { type TourStyle, jobEndText, promptLine, statusText, wrap } from '../format/tour.js';
import type { Output } from './context.js';
import { EXIT_IOERR, EXIT_TEMPFAIL, ExitStatus } from './errors.js';
import type { Job, JobEnd, Scratch } from './scratch.js';
import { joinWords } from './words.js';

/** How long a process may take to go to sleep or to end before that is called a bug. */
const PATIENCE_MS = 10_000;
const PROBE_INTERVAL_MS = 25;

export function interrupted(): SemError {
  return new SemError('EINTR', 'interrupted; its processes and its registry are gone');
}

/** A background process, with its job number. */
export interface GuideJob {
  readonly n: number;
  readonly job: Job;
}

export class Guide {
  private jobs = 0;

  constructor(
    private readonly lab: Scratch,
    private readonly io: Output,
    private readonly style: TourStyle,
    private readonly signal: AbortSignal,
  ) {}

  /** A paragraph of explanation. */
  say(text: string): void {
    this.io.out('\n' + wrap(text).join('\n'));
  }

  /** Runs `svsem WORDS` here, showing it and its output; returns what it printed on stdout. */
  async svsem(words: readonly string[], expect = 0): Promise<string> {
    if (this.signal.aborted) throw interrupted();
    const commandLine = `svsem ${joinWords(words)}`;
    this.io.out(this.style.command(promptLine(commandLine)));
    let stdout = '';
    const status = await this.lab.svsem(words, {
      out: (line) => {
        stdout += line + '\n';
        this.io.out(line);
      },
      err: (line) => this.io.out(this.style.error(line)),
    });
    if (status !== 0) this.io.out(this.style.note(`[exit ${statusText(status)}]`));
    if (this.signal.aborted) throw interrupted();
    // The registry itself failed (the command said why): not a bug, and nothing to go on with.
    if (status === EXIT_IOERR || status === EXIT_TEMPFAIL) throw new ExitStatus(status);
    if (status !== expect) {
      const outcome = `gave ${statusText(status)}, not ${statusText(expect)}`;
      throw new InternalError(`\`${commandLine}\` ${outcome}`);
    }
    return stdout;
  }

  /** Starts `svsem WORDS &` as a child process. */
  background(words: readonly string[]): GuideJob {
    return this.started(`svsem ${joinWords(words)}`, this.lab.spawnSvsem(words));
  }

  /** Starts another program in the background. */
  program(file: string, args: readonly string[]): GuideJob {
    return this.started(joinWords([file, ...args]), this.lab.spawn(file, args));
  }

  private started(commandLine: string, job: Job): GuideJob {
    this.io.out(this.style.command(promptLine(commandLine, true)));
    const n = ++this.jobs;
    this.io.out(`[${n}] ${job.pid}`);
    return { n, job };
  }

  kill(target: GuideJob, signal: NodeJS.Signals): void {
    const name = signal.replace(/^SIG/, '');
    this.io.out(this.style.command(promptLine(`kill -${name} ${target.job.pid}`)));
    target.job.kill(signal);
  }

  /** Waits until `target` sleeps on semaphore `semnum` of set `semid` (as semget printed it). */
  async untilAsleep(target: GuideJob, semid: string, semnum: number, count: 'getncnt' | 'getzcnt') {
    const registry = this.lab.registry();
    const started = Date.now();
    while ((await registry.get(Number(semid), count, semnum)) === 0) {
      if (!target.job.running()) {
        await this.show(target);
        throw new InternalError(`job [${target.n}] ended instead of going to sleep`);
      }
      if (Date.now() - started > PATIENCE_MS) {
        throw new InternalError(`job [${target.n}] was not asleep after ${PATIENCE_MS / 1000} s`);
      }
      await this.until(new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS)));
    }
  }

  /** Waits until `target` ends, shows its output and how it ended, and checks that. */
  async ended(target: GuideJob, expect: number | 'killed'): Promise<void> {
    const end = await this.show(target);
    const ok = expect === 'killed' ? end.signal !== null : end.status === expect;
    if (!ok) throw new InternalError(`job [${target.n}] ended otherwise than its step expects`);
  }

  private async show(target: GuideJob): Promise<JobEnd> {
    const end = await this.until(target.job.ended, `job [${target.n}] to end`);
    for (const line of (end.stdout + end.stderr).split('\n').filter(Boolean)) this.io.out(line);
    this.io.out(this.style.note(jobEndText(target.n, target.job.pid, end)));
    return end;
  }

  /** Waits for a line on stdin, which must be a terminal: in cooked mode Ctrl-C stays a signal. */
  enter(): Promise<void> {
    const stdin = process.stdin;
    if (stdin.readableEnded) return Promise.resolve(); // Ctrl-D: no more pauses
    this.io.out(this.style.note('\n[Enter: the next step; Ctrl-C: stop]'));
    let done = () => {};
    const line = new Promise<void>((resolve) => {
      done = () => {
        stdin.off('data', done).off('end', done);
        stdin.pause();
        resolve();
      };
      stdin.on('data', done).on('end', done).resume();
    });
    return this.until(line).finally(done);
  }

  /**
   * `promise`, unless the session is interrupted first, or, when `what` names what is awaited,
   * unless that takes longer than PATIENCE_MS.
   */
  private until<T>(promise: Promise<T>, what?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const stop = () => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        stop();
        reject(interrupted());
      };
      if (this.signal.aborted) return onAbort();
      this.signal.addEventListener('abort', onAbort);
      if (what !== undefined) {
        timer = setTimeout(() => {
          stop();
          reject(new InternalError(`waited more than ${PATIENCE_MS / 1000} s for ${what}`));
        }, PATIENCE_MS);
      }
      promise.then(resolve, reject).finally(stop);
    });
  }
}
