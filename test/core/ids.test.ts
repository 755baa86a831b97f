import { describe, expect, it } from 'vitest';
import { allocateId, NEW_NAMESPACE, type IdsState } from '../../src/core/ids.js';

/** Simulates a registry: a set of used indexes and the allocator state. */
function registry() {
  const used = new Set<number>();
  let ids: IdsState = NEW_NAMESPACE;
  const firstFree = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (!used.has(i)) return i;
    return undefined;
  };
  return {
    create(): number {
      const a = allocateId(ids, firstFree)!;
      used.add(a.index);
      ids = a.next;
      return a.id;
    },
    remove(id: number) {
      used.delete(id % 32768);
      ids = { ...ids, inUse: ids.inUse - 1 };
    },
  };
}

describe('allocateId', () => {
  it('hands out 0, 1, 2 and does not reuse a removed id at once', () => {
    const r = registry();
    expect([r.create(), r.create(), r.create()]).toEqual([0, 1, 2]);
    r.remove(1);
    expect(r.create()).toBe(3);
  });

  it('wraps after index 63 with the sequence number bumped, as a new namespace does', () => {
    const r = registry();
    const seen: number[] = [];
    for (let i = 0; i < 66; i++) {
      const id = r.create();
      seen.push(id);
      r.remove(id);
    }
    expect(seen.slice(62)).toEqual([62, 63, 32768, 32769]);
  });
});
