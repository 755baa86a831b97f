/**
 * svsem tour: a guided walkthrough of System V semaphores for a student, on a scratch registry
 * that it removes afterwards (src/cli/scratch.ts), also when interrupted or when a step fails.
 *
 * Nothing it prints is canned. Each command line shown is run: in this process, through main(),
 * where a second process is not the point, and as a real child process where it is (a sleeper
 * that is woken, a holder that is killed). Ids come from what semget printed. Every command has
 * the exit status the step expects; any other status stops the tour as a bug (exit 70), since
 * on a fresh registry of its own the outcome of each step is fixed.
 *
 * --pause waits for Enter between steps when stdin is a terminal. SIGINT, SIGTERM or SIGHUP
 * stop the tour: its processes are killed, its registry removed, and it exits 4 (EINTR).
 */
import { tmpdir } from 'node:os';
import { flagOption, type ParsedArgs } from '../cli/argv.js';
import { type Context, type Output, stdoutReaderGone } from '../cli/context.js';
import { ExitStatus, UsageError } from '../cli/errors.js';
import { Guide, interrupted } from '../cli/guide.js';
import { Scratch } from '../cli/scratch.js';
import { type TourStyle, heading, tourStyle, wrap } from '../format/tour.js';
import { ERRNO } from '../core/errno.js';
import { POLL_INTERVAL_MS } from '../registry.js';
import { RegistryError } from '../storage/errors.js';

/** What the steps learn as they go: the ids semget printed. */
interface Sets {
  mutex: string;
  pair: string;
}

interface Step {
  readonly title: string;
  run(g: Guide, sets: Sets): Promise<void>;
}

const STEPS: readonly Step[] = [
  {
    title: 'Creating a set, and the init race',
    async run(g, sets) {
      g.say('semget(2) finds the set a key names, or creates it with IPC_CREAT (--create). '
        + 'A new set\'s values are 0 on Linux (POSIX leaves them undefined), so a C program '
        + 'sets them next with semctl(2) SETVAL: two calls. And semget with IPC_CREAT alone '
        + 'returns the id whether it created the set or found it, so the caller cannot tell '
        + 'whether the set is its to initialise. Process A creates a mutex, sets it to 1, '
        + 'and takes it:');
      const racy = (await g.svsem(['semget', '0xbad', '1', '--create'])).trim();
      await g.svsem(['semctl', racy, 'setval', '0', '1']);
      await g.svsem(['semop', racy, '0:-1']);
      g.say('Process B runs the same code. Its semget finds the set, its SETVAL "initialises" '
        + 'it again, and it takes the mutex that A holds:');
      await g.svsem(['semget', '0xbad', '1', '--create']);
      await g.svsem(['semctl', racy, 'setval', '0', '1']);
      await g.svsem(['semop', racy, '0:-1']);
      g.say('The C cure is IPC_CREAT|IPC_EXCL: exactly one caller creates the set, the others '
        + 'get EEXIST, look the key up, and wait until IPC_STAT shows a non-zero sem_otime, '
        + 'which the creator\'s first semop sets once it has initialised. svsem semget --init '
        + 'creates and initialises in one step, so nobody sees the set in between, and a '
        + 'caller that finds the set leaves its values alone:');
      await g.svsem(['ipcrm', '-S', '0xbad']);
      sets.mutex = (await g.svsem(['semget', '0x5eed', '1', '--create', '--init', '1'])).trim();
      await g.svsem(['semget', '0x5eed', '1', '--create', '--init', '1']);
      await g.svsem(['ipcs']);
    },
  },
  {
    title: 'P and V',
    async run(g, { mutex }) {
      g.say('P (take) is an operation of -1: it subtracts one, and sleeps while that would '
        + 'make the value negative. V (give) is +1. With --undo (SEM_UNDO) the opposite '
        + 'adjustment is recorded too, and applied when the process exits, however it exits. '
        + 'svsem records it for the process it acts for: the shell that ran it, unless '
        + `--owner PID names another. Here that is the process that started this tour `
        + `(pid ${process.ppid}):`);
      await g.svsem(['semop', mutex, '0:-1', '--undo']);
      await g.svsem(['ipcs', '--holders']);
      await g.svsem(['semop', mutex, '0:+1', '--undo']);
      g.say('The V cancelled the adjustment; the record stays, empty, until its process '
        + 'exits. In ipcs -i, pid is the last process that operated on each semaphore '
        + '(sempid):');
      await g.svsem(['ipcs', '-i', mutex]);
    },
  },
  {
    title: 'A second process sleeps, and is woken',
    async run(g, { mutex }) {
      g.say('Take the mutex, then start another svsem that asks for it. It sleeps, counted in '
        + 'ncount (semncnt: the processes waiting for the value to grow):');
      await g.svsem(['semop', mutex, '0:-1']);
      const waiter = g.background(['semop', mutex, '0:-1']);
      await g.untilAsleep(waiter, mutex, 0, 'getncnt');
      await g.svsem(['ipcs', '-i', mutex]);
      g.say('A V makes its operation possible. Linux performs a sleeper\'s operation for it, '
        + 'in the same step as the V, and then wakes it: nobody can take the unit in between.');
      await g.svsem(['semop', mutex, '0:+1']);
      await g.ended(waiter, 0);
      g.say('The value is 0 again: the waiter took the unit, and it keeps it, as it did not '
        + `use --undo. The pid column shows ${process.pid}, this tour: an svsem acts for `
        + 'the process that started it, and the sleeper\'s operation was done for that one.');
      await g.svsem(['ipcs', '-i', mutex]);
    },
  },
  {
    title: 'Wait-for-zero',
    async run(g, sets) {
      g.say('An operation of 0 waits until the value is zero, counted in zcount (semzcnt). '
        + 'A new set of two semaphores, both 1 (IPC_PRIVATE: always a new set, found only '
        + 'by its id):');
      sets.pair = (await g.svsem(['semget', 'IPC_PRIVATE', '2', '--create', '--init', '1'])).trim();
      const waiter = g.background(['semop', sets.pair, '0:0']);
      await g.untilAsleep(waiter, sets.pair, 0, 'getzcnt');
      await g.svsem(['ipcs', '-i', sets.pair]);
      g.say('When semaphore 0 reaches zero, the waiter\'s operation completes:');
      await g.svsem(['semop', sets.pair, '0:-1']);
      await g.ended(waiter, 0);
      await g.svsem(['ipcs', '-i', sets.pair]);
    },
  },
  {
    title: 'Two semaphores, atomically',
    async run(g, { pair }) {
      g.say('One semop may hold operations on several semaphores: all of them happen, or '
        + 'none, and a caller that must wait holds nothing while it waits. So a process can '
        + 'take two resources without the deadlock of holding one while waiting for the '
        + 'other. Semaphore 0 is 0 and 1 is 1: taking both fails as a whole, though '
        + 'semaphore 1 alone was free (-n: fail rather than sleep):');
      await g.svsem(['semop', pair, '1:-1', '0:-1', '--nowait'], ERRNO.EAGAIN);
      await g.svsem(['semctl', pair, 'getall']);
      g.say('Once semaphore 0 is 1 too, the same operations take both at once:');
      await g.svsem(['semop', pair, '0:+1']);
      await g.svsem(['semop', pair, '1:-1', '0:-1']);
      await g.svsem(['ipcs', '-i', pair]);
    },
  },
  {
    title: 'IPC_NOWAIT and EAGAIN',
    async run(g, { pair }) {
      g.say('An operation that would sleep fails at once with EAGAIN if it carries '
        + 'IPC_NOWAIT: -n for every operation, or the flag n on one (0:-1:n). svsem exits '
        + 'with the errno\'s number, 11. A semtimedop timeout (-t SECONDS) ends the same '
        + 'way, after waiting that long. Either way nothing changed, and nobody is left '
        + 'waiting:');
      await g.svsem(['semop', pair, '0:-1:n'], ERRNO.EAGAIN);
      await g.svsem(['semop', pair, '0:-1', '--timeout', '0.5'], ERRNO.EAGAIN);
      await g.svsem(['ipcs', '-i', pair]);
    },
  },
  {
    title: 'A holder killed by SIGKILL gives the unit back',
    async run(g, { mutex }) {
      g.say('SIGKILL cannot be caught, so the process cannot clean up; its SEM_UNDO '
        + 'adjustments are applied anyway, as part of its exit. The waiter of step 3 kept '
        + 'the mutex; set it free again, then let a background sleep hold it with --undo '
        + '(--owner: svsem acts for that process) while another svsem waits for it:');
      await g.svsem(['semctl', mutex, 'setval', '0', '1']);
      const holder = g.program('sleep', ['60']);
      await g.svsem(['semop', mutex, '0:-1', '--undo', '--owner', String(holder.job.pid)]);
      const waiter = g.background(['semop', mutex, '0:-1']);
      await g.untilAsleep(waiter, mutex, 0, 'getncnt');
      await g.svsem(['ipcs', '--holders']);
      g.kill(holder, 'SIGKILL');
      await g.ended(holder, 'killed');
      await g.ended(waiter, 0);
      g.say('Linux applies the adjustment while the process exits. svsem cannot run code in '
        + 'a dead process: the next svsem to use the registry applies it, and a sleeping '
        + `svsem looks for dead processes at least every ${POLL_INTERVAL_MS} ms, so the `
        + 'waiter got the unit with nobody else acting:');
      await g.svsem(['ipcs', '-i', mutex]);
    },
  },
  {
    title: 'Removing a set under a sleeper: EIDRM',
    async run(g, { mutex }) {
      g.say('IPC_RMID removes a set at once, even while processes sleep on it: each sleeping '
        + 'semop fails with EIDRM (svsem exits 43), and the set\'s undo records are dropped. '
        + 'Only the set\'s owner, its creator or a privileged process may remove it.');
      const waiter = g.background(['semop', mutex, '0:-1']);
      await g.untilAsleep(waiter, mutex, 0, 'getncnt');
      await g.svsem(['semctl', mutex, 'rmid']);
      await g.ended(waiter, ERRNO.EIDRM);
      await g.svsem(['ipcs']);
    },
  },
];

function introduce(io: Output, style: TourStyle, db: string): void {
  io.out(style.heading('svsem tour: System V semaphores, step by step'));
  io.out('\n' + wrap('Every command below really runs, on a scratch registry that is removed '
    + 'at the end:').join('\n'));
  io.out(`  ${db}`);
  io.out(wrap('Each ran with --db and that path; they are shown as you would type them with '
    + 'SVSEM_DB set to a registry of your own.').join('\n'));
}

function conclude(io: Output): void {
  io.out('\nThat was the tour; its registry and its processes are gone. More in:');
  io.out('  svsem --help, svsem COMMAND --help, and the manual: man -l man/svsem.1');
  io.out('  semget(2), semop(2), semctl(2): the system calls themselves');
}

async function walk(g: Guide, io: Output, style: TourStyle, pause: boolean): Promise<void> {
  const sets: Sets = { mutex: '', pair: '' };
  for (const [i, step] of STEPS.entries()) {
    if (i > 0 && pause) await g.enter();
    io.out('\n' + style.heading(heading(i + 1, STEPS.length, step.title)));
    await step.run(g, sets);
  }
}

function makeScratch(): Scratch {
  try {
    return Scratch.create('svsem-tour-');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new RegistryError(tmpdir(), `cannot make a scratch folder here (${why})`);
  }
}

/** 128 + SIGPIPE: what a shell reports for a writer whose reader went away. */
const EXIT_READER_GONE = 141;

/**
 * Stops the tour when whoever reads it goes away (`| head`, or quitting a pager): stdout then
 * fails with EPIPE, which would otherwise end the process with its scratch folder still there.
 */
function watchReader(stop: AbortController): () => void {
  const gone = () => stop.abort('reader gone');
  // A command writes to the descriptor (writeAll), a shell line through process.stdout.
  const onError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') gone();
  };
  stdoutReaderGone.signal.addEventListener('abort', gone);
  process.stdout.on('error', onError);
  // Once stdout has failed, stay listening: a later write may fail again.
  return () => {
    stdoutReaderGone.signal.removeEventListener('abort', gone);
    if (!stop.signal.aborted) process.stdout.off('error', onError);
  };
}

/** The global options that would change what the tour's own commands do, or print. */
const REFUSED = ['db', 'json', 'as', 'explain'];

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const refused = REFUSED.find((name) => args.options[name] !== undefined);
  if (refused !== undefined) {
    throw new UsageError(`the tour takes no --${refused}: it runs its own commands, its own way`);
  }
  const pause = flagOption(args, 'pause') && process.stdin.isTTY === true;
  const style = tourStyle(process.stdout.isTTY === true && !process.env.NO_COLOR);
  // Listening before the folder exists: no signal can end the tour and leave it behind.
  const interrupts = ctx.interrupts();
  const stop = new AbortController();
  interrupts.signal.addEventListener('abort', () => stop.abort('interrupted'));
  const unwatch = watchReader(stop);
  let lab: Scratch | undefined;
  try {
    lab = makeScratch();
    introduce(ctx.io, style, lab.db);
    await walk(new Guide(lab, ctx.io, style, stop.signal), ctx.io, style, pause);
  } catch (err) {
    // A Ctrl-C on the terminal also reaches the tour's processes, which then end otherwise
    // than their step expects: the interruption is the cause.
    if (!stop.signal.aborted) throw err;
  } finally {
    await lab?.close();
    interrupts.release();
    unwatch();
  }
  if (stop.signal.reason === 'reader gone') throw new ExitStatus(EXIT_READER_GONE);
  if (stop.signal.aborted) throw interrupted();
  conclude(ctx.io);
}
