import { describe, expect, it } from 'vitest';
import type { Note } from '../../src/core/explain.js';
import { setVal } from '../../src/core/semctl.js';
import { semget } from '../../src/core/semget.js';
import { asKey } from '../../src/core/types.js';
import { queueOperation, semop } from '../../src/core/semop.js';
import { explainNote } from '../../src/format/explain.js';
import { ops, proc, root, setOf } from './helpers.js';

const NOW = 3_000_000;

describe('explain notes', () => {
  it('records each op against the value it met, and where the call sleeps', () => {
    const notes: Note[] = [];
    const p = proc(7);
    const step = semop(setOf([1, 0]), { sops: ops('0:-1', '1:-1'), owner: p, waiter: p }, root, NOW, notes);
    expect(step.kind).toBe('block');
    expect(notes.map((n) => n.kind)).toEqual(['attempt', 'sop', 'sop', 'sleeps']);
    expect(notes.map(explainNote).slice(1)).toEqual([
      '  op 1 (0:-1) on semaphore 0: 1 becomes 0',
      '  op 2 (1:-1) on semaphore 1: 0-1 would be below 0: the call must wait here',
      'the call sleeps, counted in GETNCNT of semaphore 1, until a change lets it run; ' +
        'whoever makes that change performs it for this call',
    ]);
  });

  it('says which sleeping operations a SETVAL completes, and which still wait', () => {
    let state = setOf([0, 0]);
    const sleeper = (seq: number, pid: number, words: string[]) => {
      const p = proc(pid);
      const step = semop(state, { sops: ops(...words), owner: p, waiter: p }, root, NOW);
      if (step.kind !== 'block') throw new Error('did not block');
      state = queueOperation(step.change.state,
        { seq, sops: ops(...words), waiter: p, owner: p, blocked: step.blocked, since: NOW, cmdline: '' });
    };
    sleeper(1, 10, ['0:-2']);
    sleeper(2, 11, ['0:-1']);
    const notes: Note[] = [];
    setVal(state, root, 0, 1, 99, NOW, notes);
    const lines = notes.map(explainNote);
    expect(lines).toContain('  sleeping operation #1 (pid 10) still waits, counted in GETNCNT of semaphore 0');
    expect(lines.some((l) => l.startsWith('  sleeping operation #2 (pid 11) can run now'))).toBe(true);
  });

  it('says how semget made a set, where its id comes from, and whether --init applied', () => {
    const lookup = { existing: undefined, ids: { lastIdx: 4, seq: 2, inUse: 0, usedSems: 0 }, firstFree: () => 5 };
    const notes: Note[] = [];
    const made = semget({ key: asKey(0x10), nsems: 2, create: true, excl: false, mode: 0o640, init: 1 },
      root, lookup, NOW, notes);
    if (made.kind !== 'created') throw new Error('not created');
    expect(notes.map(explainNote)).toEqual([
      `no set has key 0x00000010: IPC_CREAT makes one, set ${made.state.header.id} (index 5, ` +
        `sequence 2: id = 2 * 32768 + 5), 2 semaphores, mode 0640, every value 1 ` +
        '(--init, in the same step: no process sees the set before)',
    ]);
    const again: Note[] = [];
    semget({ key: asKey(0x10), nsems: 1, create: true, excl: false, mode: 0, init: 3 },
      root, { ...lookup, existing: made.state.header }, NOW, again);
    expect(again.map(explainNote)).toEqual([
      `key 0x00000010 names set ${made.state.header.id}: found, and left as it is ` +
        '(--init applies only to a set this call creates)',
    ]);
  });

  it('records nothing when no notes array is given', () => {
    const p = proc(7);
    const step = semop(setOf([1]), { sops: ops('0:-1'), owner: p, waiter: p }, root, NOW);
    expect(step.kind).toBe('done');
  });
});
