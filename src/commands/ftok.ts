/** svsem ftok PATH [PROJ]: the key glibc's ftok(3) derives from a file and a project id. */
import { statSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { GlobalArgs, Output } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseInteger } from '../cli/parse.js';
import { SemError } from '../core/errno.js';
import { formatKey } from '../core/semget.js';

interface FtokArgs extends GlobalArgs {
  path: string;
  proj?: string;
}

export const command = 'ftok <path> [proj]';
export const describe = 'print the IPC key ftok(3) gives for a path and project id';

export function builder(y: Argv): Argv {
  return y
    .positional('path', { type: 'string' })
    .positional('proj', { type: 'string', describe: 'project id: a number or one character (default 1)' })
    .example("$0 ftok /etc/passwd A", 'the key of ftok("/etc/passwd", \'A\')');
}

/** glibc: (st_ino & 0xffff) | ((st_dev & 0xff) << 16) | ((proj_id & 0xff) << 24), as key_t. */
export function ftok(ino: bigint, dev: bigint, proj: number): number {
  return Number(ino & 0xffffn) | (Number(dev & 0xffn) << 16) | ((proj & 0xff) << 24);
}

export function parseProj(text: string | undefined): number {
  if (text === undefined) return 1;
  if (/^[-+]?\d+$/.test(text)) return parseInteger(text, 'project id', -0x80000000, 0x7fffffff);
  if ([...text].length === 1) return text.codePointAt(0)!;
  throw new UsageError(`project id '${text}' is neither a number nor one character`);
}

export async function run(args: FtokArgs, io: Output): Promise<void> {
  const proj = parseProj(args.proj);
  let st;
  try {
    st = statSync(args.path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'ENOENT'
      ? new SemError('ENOENT', `${args.path}: no such file or directory`)
      : new SemError(code === 'EACCES' ? 'EACCES' : 'EINVAL', `${args.path}: cannot stat (${code})`);
  }
  const key = ftok(st.ino, st.dev, proj);
  io.out(args.json ? JSON.stringify({ key: key | 0, hex: formatKey(key) }) : formatKey(key));
}
