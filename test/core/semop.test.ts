import { describe, expect, it } from 'vitest';
import { exitUndo } from '../../src/core/exit.js';
import { getSem, setVal } from '../../src/core/semctl.js';
import { queueOperation, semop, type SemopStep } from '../../src/core/semop.js';
import type { SetState } from '../../src/core/types.js';
import { ops, proc, root, setOf } from './helpers.js';

const NOW = 2_000_000;
let nextSeq = 1;

function call(state: SetState, words: string[], pid = 100): SemopStep {
  const p = proc(pid);
  return semop(state, { sops: ops(...words), owner: p, waiter: p }, root, NOW);
}

/** Runs semop and, if it must sleep, queues it as the kernel would. */
function enqueue(state: SetState, words: string[], pid: number): SetState {
  const step = call(state, words, pid);
  if (step.kind !== 'block') throw new Error(`${words} did not block: ${step.kind}`);
  const p = proc(pid);
  return queueOperation(step.change.state, {
    seq: nextSeq++, sops: ops(...words), waiter: p, owner: p, blocked: step.blocked, since: NOW, cmdline: '',
  });
}

const values = (s: SetState) => s.sems.map((x) => x.semval);

describe('semop', () => {
  it('applies every op in order, each seeing the values before it', () => {
    const step = call(setOf([1]), ['0:5', '0:-6', '0:3']);
    expect(step.kind).toBe('done');
    expect(values(step.change.state)).toEqual([3]);
  });

  it('blocks on wait-for-zero while semval is non-zero, counted in zcnt', () => {
    const step = call(setOf([1, 0]), ['1:0', '0:0']);
    expect(step).toMatchObject({ kind: 'block', blocked: { semnum: 0, kind: 'zcnt' } });
  });

  it('lets only the IPC_NOWAIT flag of the op that blocks decide', () => {
    expect(call(setOf([0, 0]), ['0:-1', '1:-1:n']).kind).toBe('block');
    expect(call(setOf([1, 0]), ['0:-1', '1:-1:n'])).toMatchObject({ kind: 'error', error: { errno: 'EAGAIN' } });
  });

  it('reports ERANGE for an overflow met before a block, and blocks when the block comes first', () => {
    expect(call(setOf([0, 32767]), ['1:1', '0:-1'])).toMatchObject({ kind: 'error', error: { errno: 'ERANGE' } });
    expect(call(setOf([0, 32767]), ['0:-1', '1:1']).kind).toBe('block');
  });

  it('gives EFBIG for a semnum beyond the set before checking permission', () => {
    expect(call(setOf([0]), ['1:1'])).toMatchObject({ kind: 'error', error: { errno: 'EFBIG' } });
  });

  it('sets sempid of every named semaphore, wait-for-zero included, and otime', () => {
    const step = call(setOf([0, 1, 0]), ['0:0', '1:-1'], 42);
    expect(step.change.state.sems.map((s) => s.sempid)).toEqual([42, 42, 0]);
    expect(step.change.state.header.otime).toBe(NOW / 1000);
  });

  it('rejects an undo adjustment beyond SEMAEM with ERANGE', () => {
    let state = setOf([0]);
    for (const n of [32767]) state = (call(state, [`0:${n}:u`]) as { change: { state: SetState } }).change.state;
    expect(call(state, ['0:-32767'])).toMatchObject({ kind: 'done' });
    expect(call(setOf([32767]), ['0:-32767:u', '0:32767:u', '0:-32767:u']).kind).toBe('done');
  });
});

describe('update queue', () => {
  it('lets a later small decrement overtake an earlier large one', () => {
    let state = setOf([0]);
    state = enqueue(state, ['0:-2'], 1);
    state = enqueue(state, ['0:-1'], 2);
    const step = call(state, ['0:1'], 3);
    expect(step.change.outcomes).toEqual([{ seq: nextSeq - 1, result: 'done' }]);
    expect(step.change.state.pending.map((p) => p.owner.pid)).toEqual([1]);
    expect(step.change.state.sems[0]).toEqual({ semval: 0, sempid: 2 });
  });

  it('completes the older of two operations that can both run', () => {
    let state = setOf([0]);
    state = enqueue(state, ['0:-1'], 1);
    state = enqueue(state, ['0:-1'], 2);
    const step = call(state, ['0:1'], 3);
    expect(step.change.state.pending.map((p) => p.owner.pid)).toEqual([2]);
  });

  it('fails a sleeper that now stops at an IPC_NOWAIT op with EAGAIN, applying nothing', () => {
    let state = setOf([0, 0]);
    state = enqueue(state, ['0:-1', '1:-1:n'], 1);
    const step = call(state, ['0:1'], 3);
    expect(step.change.outcomes.map((o) => o.result)).toEqual(['EAGAIN']);
    expect(values(step.change.state)).toEqual([1, 0]);
  });

  it('moves a sleeper to the semaphore its re-evaluation stops at', () => {
    let state = setOf([0, 0]);
    state = enqueue(state, ['0:-1', '1:-1'], 1);
    expect(getSem(state, root, 'getncnt', 0)).toBe(1);
    state = call(state, ['0:1'], 3).change.state;
    expect([getSem(state, root, 'getncnt', 0), getSem(state, root, 'getncnt', 1)]).toEqual([0, 1]);
  });

  it('releases waiters from SETVAL and stamps otime only when one completed', () => {
    let state = setOf([0]);
    expect(setVal(state, root, 0, 1, 9, NOW).state.header.otime).toBe(0);
    state = enqueue(state, ['0:-1'], 1);
    const change = setVal(state, root, 0, 1, 9, NOW);
    expect(change.outcomes.map((o) => o.result)).toEqual(['done']);
    expect(change.state.header.otime).toBe(NOW / 1000);
  });
});

describe('undo', () => {
  it('gives back on exit, clamped, with the owner as sempid', () => {
    let state = setOf([2, 0]);
    state = (call(state, ['0:-2:u', '1:0'], 7) as { change: { state: SetState } }).change.state;
    state = setVal(state, root, 0, 32767, 1, NOW).state; // SETVAL clears semadj[0]
    const after = exitUndo(state, proc(7), NOW).state;
    expect(values(after)).toEqual([32767, 0]);
    expect(after.undo).toEqual([]);
  });

  it('applies and clamps the adjustment to 0..SEMVMX', () => {
    let state = setOf([5]);
    state = (call(state, ['0:-5:u'], 7) as { change: { state: SetState } }).change.state;
    state = { ...state, sems: [{ semval: 32765, sempid: 1 }] };
    const after = exitUndo(state, proc(7), NOW).state;
    expect(after.sems[0]).toEqual({ semval: 32767, sempid: 7 });
  });

  it('creates the undo record even when the call fails, so exit stamps otime', () => {
    const step = call(setOf([0]), ['0:-1:un'], 7);
    expect(step.kind).toBe('error');
    expect(step.change.state.undo).toHaveLength(1);
    expect(exitUndo(step.change.state, proc(7), NOW).state.header.otime).toBe(NOW / 1000);
  });
});
