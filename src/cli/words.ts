/**
 * Splits one line of `svsem shell` input into words, as a POSIX shell would for a simple
 * command without expansions: blanks separate words; '...' keeps everything literally;
 * "..." keeps everything but a backslash before \, ", $ or `; a backslash outside quotes keeps
 * the next character; an unquoted # at the start of a word begins a comment. There are no
 * variables, globs or redirections: `$id` is the two characters $ and id.
 */
import { UsageError } from './errors.js';

const BLANK = /[ \t\r]/;

export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (BLANK.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new UsageError('unterminated single quote');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      i = doubleQuoted(line, i + 1, (text) => (word += text));
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Reads a double-quoted string from `start`; returns the index of its closing quote. */
function doubleQuoted(line: string, start: number, add: (text: string) => void): number {
  for (let i = start; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') return i;
    if (c === '\\' && i + 1 < line.length && '\\"$`'.includes(line[i + 1]!)) add(line[++i]!);
    else add(c);
  }
  throw new UsageError('unterminated double quote');
}

/** Characters a POSIX shell (and splitWords) reads literally outside quotes. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The inverse of splitWords: words joined into one line that a POSIX shell, or `svsem shell`,
 * splits back into the same words. A word is quoted only when it needs it.
 */
export function joinWords(words: readonly string[]): string {
  return words.map((w) => (PLAIN_WORD.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
