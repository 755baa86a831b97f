/**
 * svsem watch [SEMID]: a live view of the registry, or of one set's semaphores, sleeping
 * operations and undo holders (src/format/watch.ts lays it out; this file gathers and redraws).
 *
 * - A snapshot is taken whenever the registry changes (storage/wake.ts watchChanges: the same
 *   file system notification that wakes waiters, seen for any commit by anyone) and at least
 *   every --interval seconds, because a notification can be missed and the durations tick.
 *   Bursts of changes are coalesced: at most one snapshot per REDRAW_GAP_MS.
 * - On a terminal: the alternate screen, redrawn in place, cut to the window, without a cursor;
 *   q, Ctrl-C, SIGINT, SIGTERM or SIGHUP quit and give the terminal back as it was.
 * - Anywhere else (a pipe, a file): each snapshot printed whole after a headline, separated by
 *   a blank line, or with --json one JSON document a line.
 * - Each snapshot is one transaction, so it settles what dead processes left, as any command
 *   does: a view never shows a killed holder for longer than one interval.
 */
import { flagOption, stringOption, type ParsedArgs } from '../cli/argv.js';
import type { Context } from '../cli/context.js';
import { UsageError } from '../cli/errors.js';
import { parseId, parseInteger } from '../cli/parse.js';
import { SemError } from '../core/errno.js';
import {
  type Style, type UserNames, type WatchView, fitWidth, formatView, headline, makeStyle, viewJson,
} from '../format/watch.js';
import { cmdline } from '../process.js';
import type { Registry } from '../registry.js';
import { watchChanges } from '../storage/wake.js';
import { readNames } from '../users.js';

/** The shortest time between two snapshots taken for changes: 20 a second at most. */
const REDRAW_GAP_MS = 50;

/** --interval SECONDS in milliseconds: a positive number, fractions allowed. */
function parseInterval(text: string | undefined): number {
  if (text === undefined) return 1000;
  const s = Number(text);
  if (text.trim() === '' || !Number.isFinite(s) || s < 0.05 || s > 86400) {
    throw new UsageError(`interval '${text}' is not a number of seconds from 0.05 to 86400`);
  }
  return Math.round(s * 1000);
}

/** Takes one snapshot: the overview, or set `id` (`gone` once it was removed). */
async function snapshot(registry: Registry, id: number | undefined): Promise<WatchView> {
  if (id === undefined) return { kind: 'sets', sets: await registry.overview() };
  try {
    const state = await registry.inspect(id);
    const holderCommands = new Map(state.undo.map((u) => [u.owner.pid, cmdline(u.owner.pid)]));
    return { kind: 'set', detail: { state, holderCommands } };
  } catch (err) {
    if (err instanceof SemError && err.errno === 'EINVAL') return { kind: 'gone', id };
    throw err;
  }
}

/** What wakes the loop: a registry change (coalesced), the interval, or a request to quit. */
class Trigger {
  private resolve: ((quit: boolean) => void) | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  private intervalTimer: NodeJS.Timeout | undefined;
  private quitting = false;

  constructor(private readonly intervalMs: number) {}

  /** Resolves true when the loop must stop, false when it is time for another snapshot. */
  next(): Promise<boolean> {
    if (this.quitting) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.intervalTimer = setTimeout(() => this.fire(false), this.intervalMs);
    });
  }

  changed(): void {
    this.changeTimer ??= setTimeout(() => this.fire(false), REDRAW_GAP_MS);
  }

  quit(): void {
    this.quitting = true;
    this.fire(true);
  }

  private fire(quit: boolean): void {
    clearTimeout(this.changeTimer);
    clearTimeout(this.intervalTimer);
    this.changeTimer = undefined;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.(quit);
  }
}

/** Where snapshots go. */
interface Screen {
  show(view: WatchView, nowMs: number): void;
  close(): void;
}

/** A terminal: the alternate screen, redrawn in place; keys and resizes handled. */
class TerminalScreen implements Screen {
  private last: { view: WatchView; nowMs: number } | undefined;
  private readonly onKey = (key: Buffer) => {
    const ch = key.toString();
    if (ch === 'q' || ch === 'Q' || ch === '\x03') this.onQuit();
  };
  private readonly onResize = () => {
    if (this.last) this.show(this.last.view, this.last.nowMs);
  };

  constructor(
    private readonly location: string,
    private readonly names: UserNames,
    private readonly style: Style,
    private readonly onQuit: () => void,
  ) {
    process.stdout.write('\x1b[?1049h\x1b[?25l');
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      process.stdin.on('data', this.onKey);
      process.stdin.resume();
    }
    process.stdout.on('resize', this.onResize);
  }

  show(view: WatchView, nowMs: number): void {
    this.last = { view, nowMs };
    const width = process.stdout.columns || 80;
    const height = process.stdout.rows || 24;
    const hint = process.stdin.isTTY ? 'q to quit' : 'Ctrl-C to quit';
    const lines = [headline(this.location, nowMs, this.style, hint), '',
      ...formatView(view, this.names, nowMs, this.style)].slice(0, height);
    // Home, each line cut to the window and cleared to its end, then clear below.
    const body = lines.map((l) => fitWidth(l, width) + '\x1b[K').join('\n');
    process.stdout.write('\x1b[H' + body + '\x1b[J');
  }

  close(): void {
    process.stdout.off('resize', this.onResize);
    if (process.stdin.isTTY) {
      process.stdin.off('data', this.onKey);
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    process.stdout.write('\x1b[?25h\x1b[?1049l');
  }
}

/** A pipe or a file: each snapshot whole, text or one JSON document a line. */
class StreamScreen implements Screen {
  private count = 0;

  constructor(
    private readonly ctx: Context,
    private readonly names: UserNames,
  ) {}

  show(view: WatchView, nowMs: number): void {
    if (this.ctx.json) return this.ctx.io.out(JSON.stringify(viewJson(view, this.names, nowMs)));
    const plain = makeStyle(false);
    const lines = [headline(this.ctx.registry().store.location, nowMs, plain),
      ...formatView(view, this.names, nowMs, plain)];
    this.ctx.io.out((this.count++ > 0 ? '\n' : '') + lines.join('\n'));
  }

  close(): void {}
}

export async function run(args: ParsedArgs, ctx: Context): Promise<void> {
  const id = args.words[0] === undefined ? undefined : parseId(args.words[0]);
  const intervalMs = parseInterval(stringOption(args, 'interval'));
  const countText = stringOption(args, 'count');
  const count = countText === undefined ? Infinity : parseInteger(countText, 'count', 1);
  const registry = ctx.registry();
  // A set that does not exist when the watch starts is an error; one removed later is shown so.
  if (id !== undefined) await registry.inspect(id);

  const trigger = new Trigger(intervalMs);
  const names = readNames().users;
  const live = process.stdout.isTTY === true && !flagOption(args, 'json');
  const colour = makeStyle(!process.env.NO_COLOR);
  const screen: Screen = live
    ? new TerminalScreen(registry.store.location, names, colour, () => trigger.quit())
    : new StreamScreen(ctx, names);
  const stopWatching = watchChanges(registry.store.location, () => trigger.changed());
  const interrupts = ctx.interrupts();
  interrupts.signal.addEventListener('abort', () => trigger.quit());
  try {
    for (let n = 0; n < count; n++) {
      if (n > 0 && (await trigger.next())) break;
      const view = await snapshot(registry, id);
      screen.show(view, Date.now());
      // A pipe has seen the removal; a terminal keeps showing it until the user quits.
      if (view.kind === 'gone' && !live) break;
    }
  } finally {
    stopWatching();
    interrupts.release();
    screen.close();
  }
}
