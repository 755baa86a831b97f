/**
 * How `svsem tour` lays out its transcript: step headings, explanations wrapped to the width of
 * a terminal, each command as a prompt line a reader can type again, and notes on how processes
 * ended. Colour is the caller's choice (a terminal, and no NO_COLOR) and only marks what is what:
 * headings bold, commands cyan, notes yellow, error lines red.
 */
import { ERRNO } from '../core/errno.js';
import type { JobEnd } from '../cli/scratch.js';

export interface TourStyle {
  readonly heading: (text: string) => string;
  readonly command: (text: string) => string;
  readonly note: (text: string) => string;
  readonly error: (text: string) => string;
}

const sgr = (code: string) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;
const plain = (text: string) => text;

export function tourStyle(colour: boolean): TourStyle {
  if (!colour) return { heading: plain, command: plain, note: plain, error: plain };
  return { heading: sgr('1'), command: sgr('36'), note: sgr('33'), error: sgr('31') };
}

/** Explanations are wrapped here: narrow enough for an 80-column terminal. */
export const TOUR_WIDTH = 76;

/** `text` as lines of at most `width` columns, broken at spaces (a longer word stands alone). */
export function wrap(text: string, width = TOUR_WIDTH): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function heading(step: number, steps: number, title: string): string {
  return `== ${step}/${steps}  ${title} ==`;
}

/** A command as typed at a shell prompt; `&` when it runs in the background. */
export function promptLine(commandLine: string, background = false): string {
  return `$ ${commandLine}${background ? ' &' : ''}`;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(ERRNO).map(([name, n]) => [n, name]));

/** An exit status with the errno it stands for, if any: `status 11 (EAGAIN)`. */
export function statusText(status: number): string {
  const name = ERRNO_NAMES.get(status);
  return `status ${status}${name === undefined ? '' : ` (${name})`}`;
}

/** How background job `n` (process `pid`) ended, as a shell reports it, but in words. */
export function jobEndText(n: number, pid: number, end: JobEnd): string {
  const how = end.failed !== undefined ? `could not start: ${end.failed}`
    : end.signal !== null ? `was killed by ${end.signal}`
    : `exited with ${statusText(end.status ?? 0)}`;
  return `[${n}] ${pid} ${how}`;
}
