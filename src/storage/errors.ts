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
