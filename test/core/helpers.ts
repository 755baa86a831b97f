import { semget } from '../../src/core/semget.js';
import { NEW_NAMESPACE } from '../../src/core/ids.js';
import type { Credentials, ProcessRef, Sembuf, SetState } from '../../src/core/types.js';
import { asKey } from '../../src/core/types.js';

export const root: Credentials = { uid: 0, gid: 0, groups: [] };
export const proc = (pid: number): ProcessRef => ({ pid, start: 1000 + pid, boot: 'b' });

/** A fresh set of `values.length` semaphores holding `values`. */
export function setOf(values: number[], mode = 0o600): SetState {
  const step = semget({ key: asKey(0), nsems: values.length, create: true, excl: false, mode },
    root, { existing: undefined, ids: NEW_NAMESPACE, firstFree: (from) => from }, 1_000_000);
  if (step.kind !== 'created') throw new Error('not created');
  return { ...step.state, sems: values.map((semval) => ({ semval, sempid: 0 })) };
}

/** Parses 'semnum:op[:flags]' words into sembufs. */
export function ops(...words: string[]): Sembuf[] {
  return words.map((w) => {
    const [semnum, semop, flags = ''] = w.split(':');
    return { semnum: Number(semnum), semop: Number(semop), nowait: flags.includes('n'), undo: flags.includes('u') };
  });
}
