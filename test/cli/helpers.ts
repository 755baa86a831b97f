import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The executable as installed: the bundle that package.json's bin names. */
export const CLI = join(__dirname, '..', '..', 'dist', 'svsem.cjs');

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Where a command given no --db would put its registry: never the user's own. */
const SCRATCH_STATE = mkdtempSync(join(tmpdir(), 'svsem-state-'));

/** A fresh registry path in a new temporary folder. */
export function freshDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'svsem-test-')), 'registry.db');
}

/**
 * Runs svsem with `args` on registry `db` (given first as --db unless db is undefined, so that it
 * never lands after a `--` among a command's own arguments).
 */
export function svsem(db: string | undefined, ...args: string[]): Result {
  const argv = db === undefined ? args : ['--db', db, ...args];
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, SVSEM_DB: '', SVSEM_DEBUG: '', XDG_STATE_HOME: SCRATCH_STATE },
    timeout: 15_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The live (not zombie) processes of process group `pgid`, from /proc. */
export function processGroup(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}
