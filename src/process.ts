/**
 * Process identity and liveness, read from /proc (Linux).
 *
 * A process is its boot id, pid and start time (field 22 of /proc/PID/stat, clock ticks since
 * boot), so a reused pid or a pid from before a reboot is never taken for the one recorded.
 * Where /proc is missing, the start time is recorded as 0 and liveness falls back to kill(pid, 0):
 * a reused pid is then taken for the original, which the man page states.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import type { ProcessRef } from './core/types.js';

let cachedBoot: string | undefined;

export function bootId(): string {
  if (cachedBoot === undefined) {
    try {
      cachedBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBoot = 'unknown';
    }
  }
  return cachedBoot;
}

/** A buffer for /proc/PID/stat, whose line is a few hundred bytes. */
const STAT = Buffer.alloc(4096);

/**
 * /proc/PID/stat, or undefined if there is no such process. Every transaction reads it for each
 * process the registry names (to settle what dead ones left), so it is read into one buffer kept
 * for the purpose, at about half the cost of readFileSync.
 */
function readStat(pid: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
  try {
    return STAT.toString('utf8', 0, readSync(fd, STAT, 0, STAT.length, 0));
  } catch {
    return undefined; // the process went between open and read (ESRCH)
  } finally {
    closeSync(fd);
  }
}

/** The start time of `pid`, or undefined if it does not exist (or is a zombie). */
export function startTime(pid: number): number | undefined {
  const stat = readStat(pid);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return Number(fields[19]);
}

let procMounted: boolean | undefined;

/** Whether /proc is there to read start times from (looked at once). */
function hasProc(): boolean {
  if (procMounted === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procMounted = true;
    } catch {
      procMounted = false;
    }
  }
  return procMounted;
}

/** The identity of a live process, or undefined if there is no such process. */
export function processRef(pid: number): ProcessRef | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!hasProc()) return kill0(pid) ? { pid, start: 0, boot: bootId() } : undefined;
  const start = startTime(pid);
  return start === undefined ? undefined : { pid, start, boot: bootId() };
}

function kill0(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A process known to have exited by the time svsem looked for it: no live process matches it,
 * since real start times are never negative.
 */
export function exitedRef(pid: number): ProcessRef {
  return { pid, start: -1, boot: bootId() };
}

export function isAlive(proc: ProcessRef): boolean {
  if (proc.boot !== bootId() || proc.start < 0) return false;
  if (!hasProc()) return kill0(proc.pid);
  return startTime(proc.pid) === proc.start;
}

/**
 * svsem's parent as it was when this module loaded, at the start of the process. Read this early
 * because a process whose parent exits is adopted by init (or a subreaper), and process.ppid then
 * names the adopter, which lives on and would hold undo adjustments forever. The window that
 * remains is Node's own start-up, before any of svsem's code runs (see the man page).
 */
const parentAtStart = process.ppid;

/**
 * Whether svsem's parent was init when svsem started. For a command run by a script, that means
 * the script had already exited (`(svsem ... &)` detaches this way); it is also what a script run
 * as a container's first process looks like, which is why only SEM_UNDO refuses it.
 */
export function adoptedByInit(): boolean {
  return parentAtStart === 1;
}

/** The default acting process: svsem's parent at start, or, if it has exited since, exitedRef. */
export function parentRef(): ProcessRef {
  if (process.ppid !== parentAtStart) return exitedRef(parentAtStart);
  return processRef(parentAtStart) ?? exitedRef(parentAtStart);
}

let self: ProcessRef | undefined;

/** svsem's own process (looked up once: its identity cannot change). */
export function selfRef(): ProcessRef {
  self ??= processRef(process.pid) ?? { pid: process.pid, start: 0, boot: bootId() };
  return self;
}

/** The command line of `pid` as one string, for views of waiters ('' if unreadable). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}
