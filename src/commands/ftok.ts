/** svsem ftok PATH [PROJ]: the key glibc's ftok(3) derives from a file and a project id. */
import { statSync } from 'node:fs';
import type { ParsedArgs } from '../cli/argv.js';
import type { Context } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseInteger } from '../cli/parse.js';
import { SemError } from '../core/errno.js';
import { formatKey } from '../core/semget.js';

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

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const [path, projText] = args.words as [string, string | undefined];
  const proj = parseProj(projText);
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'ENOENT'
      ? new SemError('ENOENT', `${path}: no such file or directory`)
      : new SemError(code === 'EACCES' ? 'EACCES' : 'EINVAL', `${path}: cannot stat (${code})`);
  }
  const key = ftok(st.ino, st.dev, proj);
  ctx.io.out(ctx.json ? JSON.stringify({ key: key | 0, hex: formatKey(key) }) : formatKey(key));
}
