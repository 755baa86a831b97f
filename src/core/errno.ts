/**
 * errno values as the kernel returns them, carried as typed data from the core to the command
 * edge. The core throws only SemError (or returns an errno inside a result); the edge alone turns
 * one into a message and an exit status (src/cli/exit.ts).
 */

/**
 * The errno numbers of Linux x86_64 that System V semaphore calls can give, and ESRCH, which
 * svsem gives when the process a call acts for (--owner) has exited (see Registry.semop).
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  E2BIG: 7,
  EAGAIN: 11,
  EACCES: 13,
  EEXIST: 17,
  EINVAL: 22,
  EFBIG: 27,
  ENOSPC: 28,
  ERANGE: 34,
  EIDRM: 43,
} as const;

export type Errno = keyof typeof ERRNO;

/** An errno with the reason in words; `detail` completes "svsem CMD: ERRNO: ...". */
export class SemError extends Error {
  readonly errno: Errno;

  constructor(errno: Errno, detail: string) {
    super(detail);
    this.name = 'SemError';
    this.errno = errno;
  }

  get code(): number {
    return ERRNO[this.errno];
  }
}

export function isSemError(err: unknown, errno?: Errno): err is SemError {
  return err instanceof SemError && (errno === undefined || err.errno === errno);
}

/** A broken invariant: a bug in svsem, never a user error, never mapped to an errno. */
export class InternalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InternalError(message);
}
