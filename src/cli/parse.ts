/**
 * Parsers for the values on svsem's command lines. Each returns the value or throws UsageError;
 * none looks at the registry.
 */
import type { Sembuf } from '../core/types.js';
import { asKey, type SemKey } from '../core/types.js';
import { UsageError } from './errors.js';

/** A decimal integer (with optional sign) within [min, max]. */
export function parseInteger(text: string, what: string, min = -Infinity, max = Infinity): number {
  if (!/^[-+]?\d+$/.test(text.trim())) throw new UsageError(`${what} '${text}' is not a number`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${what} '${text}' is out of range`);
  }
  return n;
}

/** A key: decimal, 0x hex, or IPC_PRIVATE; any 32-bit pattern, kept as key_t (signed). */
/**
 * --init VALUE of semget and ipcmk: any int, so that a value beyond 0..SEMVMX is the semantics'
 * ERANGE rather than a usage error.
 */
export function parseInitValue(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseInteger(text, 'init value', -0x80000000, 0x7fffffff);
}

export function parseKey(text: string): SemKey {
  const t = text.trim();
  if (/^ipc_private$/i.test(t)) return asKey(0);
  let n: number;
  if (/^-?0x[0-9a-f]+$/i.test(t)) n = t.startsWith('-') ? -Number(t.slice(1)) : Number(t);
  else if (/^[-+]?\d+$/.test(t)) n = Number(t);
  else throw new UsageError(`key '${text}' is not a number`);
  if (n < -0x80000000 || n > 0xffffffff) throw new UsageError(`key '${text}' is outside 32 bits`);
  return asKey(n);
}

/** A semid as typed (EINVAL for a negative one is the semantics' business, not the parser's). */
export function parseId(text: string): number {
  return parseInteger(text, 'id', -0x80000000, 0x7fffffff);
}

/** An octal permission mode. */
export function parseMode(text: string): number {
  if (!/^0?[0-7]{1,4}$/.test(text.trim())) throw new UsageError(`mode '${text}' is not octal`);
  return parseInt(text, 8) & 0o777;
}

/**
 * semop operations: SEMNUM:DELTA[:FLAGS] (FLAGS of n, u), or the notation of TLPI's svsem_op
 * (0-1, 1+2u, 0=0, 0-1n), several joined by commas.
 */
export function parseSops(words: readonly string[], nowait: boolean, undo: boolean): Sembuf[] {
  const sops: Sembuf[] = [];
  for (const word of words) {
    for (const part of word.split(',')) {
      if (part === '') continue;
      const colon = /^(\d+):([-+]?\d+)(?::([nu]*))?$/.exec(part);
      const tlpi = /^(\d+)([-+=])(\d+)([nu]*)$/.exec(part);
      let semnum: number, semop: number, flags: string;
      if (colon) {
        [semnum, semop, flags] = [Number(colon[1]), Number(colon[2]), colon[3] ?? ''];
      } else if (tlpi) {
        if (tlpi[2] === '=' && tlpi[3] !== '0') {
          throw new UsageError(`operation '${part}': only '=0' (wait for zero) is meaningful`);
        }
        semnum = Number(tlpi[1]);
        semop = tlpi[2] === '-' ? -Number(tlpi[3]) : Number(tlpi[3]);
        flags = tlpi[4] ?? '';
      } else {
        throw new UsageError(`operation '${part}' is not SEMNUM:DELTA[:FLAGS]`);
      }
      if (semnum > 65535) throw new UsageError(`operation '${part}': semnum above 65535`);
      if (semop < -32768 || semop > 32767) {
        throw new UsageError(`operation '${part}': delta outside -32768..32767 (a short)`);
      }
      sops.push({
        semnum, semop, nowait: nowait || flags.includes('n'), undo: undo || flags.includes('u'),
      });
    }
  }
  return sops;
}
