/**
 * What every command gets from the command line before it runs: the registry (opened at --db or
 * the default path, with --as credentials), the acting process, and where to print.
 */
import type { Credentials, ProcessRef } from '../core/types.js';
import { processRef } from '../process.js';
import { Registry, processCredentials } from '../registry.js';
import { defaultRegistryPath } from '../storage/open.js';
import { UsageError } from './errors.js';
import { parseInteger } from './parse.js';

export interface GlobalArgs {
  db?: string;
  as?: string;
  json?: boolean;
  owner?: string;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Output = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

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

export function openRegistry(args: GlobalArgs): Registry {
  const credentials = credentialsFor(args.as);
  return Registry.open({ path: args.db ?? defaultRegistryPath(), credentials });
}

/** The process a change acts for: --owner PID, else svsem's parent (the shell that ran it). */
export function actingProcess(args: GlobalArgs): ProcessRef {
  const pid = args.owner === undefined ? process.ppid : parseInteger(args.owner, 'owner pid', 1);
  const ref = processRef(pid);
  if (ref === undefined) throw new UsageError(`--owner ${pid}: no such process`);
  return ref;
}

/** Runs `work` on an open registry and closes it whatever happens. */
export async function withRegistry<T>(args: GlobalArgs, work: (r: Registry) => Promise<T>): Promise<T> {
  const registry = openRegistry(args);
  try {
    return await work(registry);
  } finally {
    registry.close();
  }
}
