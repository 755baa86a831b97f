/**
 * The command edge's error handling: the one place that turns a typed error into a message on
 * stderr and an exit status. Exit statuses: 0 success; the kernel's errno number for a failed
 * operation; 64 a malformed command line; 70 a bug in svsem; 74 an unusable registry; 75 a registry
 * locked past the busy timeout.
 */
import { InternalError, SemError } from '../core/errno.js';
import { RegistryError } from '../storage/errors.js';

export const EXIT_USAGE = 64;
export const EXIT_SOFTWARE = 70;
export const EXIT_IOERR = 74;
export const EXIT_TEMPFAIL = 75;

/** A malformed command line: printed with the usage hint, exit 64, nothing written. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The user has been told already; exit with this status. */
export class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
    this.name = 'ExitStatus';
  }
}

/** Prints `err` for command `command` and returns the exit status. */
export function report(command: string, err: unknown, write: (line: string) => void): number {
  const who = command ? `svsem ${command}` : 'svsem';
  if (err instanceof ExitStatus) return err.status;
  if (err instanceof SemError) {
    write(`${who}: ${err.errno}: ${err.message}`);
    return err.code;
  }
  if (err instanceof UsageError) {
    write(`${who}: ${err.message}`);
    write(`Try 'svsem ${command ? command + ' ' : ''}--help' for more information.`);
    return EXIT_USAGE;
  }
  if (err instanceof RegistryError) {
    write(`${who}: ${err.path}: ${err.message}`);
    return err.temporary ? EXIT_TEMPFAIL : EXIT_IOERR;
  }
  const what = err instanceof InternalError ? err.message : String((err as Error)?.message ?? err);
  write(`${who}: internal error: ${what} (a bug in svsem; SVSEM_DEBUG=1 shows where)`);
  if (process.env.SVSEM_DEBUG) write(String((err as Error)?.stack ?? err));
  return EXIT_SOFTWARE;
}
