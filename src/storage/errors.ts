/**
 * Failures of the registry file itself, as opposed to errno results of the semantics. The command
 * edge prints them with the path and exits 74 (EX_IOERR), or 75 (EX_TEMPFAIL) when the write lock
 * stayed busy past the timeout. The file is never overwritten or truncated to recover.
 */
export class RegistryError extends Error {
  constructor(
    readonly path: string,
    detail: string,
    readonly temporary = false,
  ) {
    super(detail);
    this.name = 'RegistryError';
  }
}

/** SQLite's extended result codes that mean "the file is unusable", with words for each. */
export function describeSqliteFailure(code: string): string | undefined {
  if (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_READONLY_CANTINIT') {
    return 'its folder is not writable (SQLite keeps the -wal and -shm files beside the registry)';
  }
  if (code.startsWith('SQLITE_READONLY')) return 'registry is read-only';
  if (code === 'SQLITE_NOTADB') return 'not a SQLite database';
  if (code.startsWith('SQLITE_CORRUPT')) return 'registry is corrupt';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'cannot open the registry';
  if (code === 'SQLITE_FULL') return 'disk full';
  if (code.startsWith('SQLITE_IOERR')) return 'I/O error on the registry';
  if (code.startsWith('SQLITE_BUSY')) return 'registry stayed locked by another process';
  if (code.startsWith('SQLITE_PERM')) return 'permission denied';
  return undefined;
}

/** The errors of creating or opening the file and its folders, in words without the path. */
const FS_FAILURES = new Map<string, string>(Object.entries({
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  // mkdir of a folder on the path that exists as a file or a dangling symlink.
  EEXIST: 'a component of the path is not a directory',
  ENOENT: 'no such file or directory',
  EROFS: 'read-only file system',
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'path too long',
  ELOOP: 'too many levels of symbolic links',
}));

/**
 * The RegistryError a failure of the file stands for, or undefined when `err` is something else
 * (an errno of the semantics, a bug). SQLITE_BUSY means the lock stayed taken for `busyTimeoutMs`.
 */
export function storageFailure(
  path: string,
  err: unknown,
  busyTimeoutMs: number,
): RegistryError | undefined {
  if (err instanceof RegistryError) return err;
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  if (code.startsWith('SQLITE_')) {
    const described = describeSqliteFailure(code);
    if (described === undefined) return undefined;
    if (!code.startsWith('SQLITE_BUSY')) return new RegistryError(path, described);
    const waited = `${busyTimeoutMs / 1000} s (the busy timeout)`;
    return new RegistryError(path, `${described} for ${waited}`, true);
  }
  const described = FS_FAILURES.get(code);
  return described === undefined ? undefined : new RegistryError(path, described);
}
