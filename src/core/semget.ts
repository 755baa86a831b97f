/**
 * semget(2), as Linux ipc/util.c ipcget() and ipc/sem.c newary() define it.
 *
 * Visible behaviour, in the order the checks are made (the first failing one wins):
 * 1. nsems < 0 or > SEMMSL: EINVAL, even for an existing key or a missing one without IPC_CREAT.
 * 2. IPC_PRIVATE always creates a new set.
 * 3. Key not found: ENOENT without IPC_CREAT, else create.
 * 4. Key found: EEXIST with IPC_CREAT|IPC_EXCL; EINVAL if nsems exceeds the set's size; EACCES if
 *    the mode bits in semflg (all three triplets ORed) ask for more than the caller's class has.
 *    The mode of an existing set never changes.
 * 5. Create: nsems 0 is EINVAL; SEMMNS, then SEMMNI, exhausted is ENOSPC. The new set has
 *    mode = semflg & 0777, owner and creator = the caller, every value 0, otime 0, ctime now.
 *
 * svsem's `init` extension sets every value of a set this call creates, in the same step, which
 * closes the race between semget and SETVAL; it changes nothing on an existing set.
 */
import { SemError } from './errno.js';
import type { Notes } from './explain.js';
import { allocateId, type FirstFreeIndex, type IdsState } from './ids.js';
import { ipcperms } from './ipcperm.js';
import { SEMMNI, SEMMNS, SEMMSL, SEMVMX } from './limits.js';
import { toSeconds } from './setwork.js';
import type { Credentials, SemKey, SemSetHeader, SetState } from './types.js';
import { IPC_PRIVATE } from './types.js';

export interface SemgetRequest {
  readonly key: SemKey;
  readonly nsems: number;
  readonly create: boolean;
  readonly excl: boolean;
  /** The permission bits of semflg; only the low nine are kept on a new set. */
  readonly mode: number;
  /** svsem extension: initial value of every semaphore of a newly created set. */
  readonly init?: number;
}

/** What semget needs to know from the registry. */
export interface SemgetLookup {
  /** The set with this key, if any (never looked up for IPC_PRIVATE). */
  readonly existing: SemSetHeader | undefined;
  readonly ids: IdsState;
  readonly firstFree: FirstFreeIndex;
}

export type SemgetStep =
  | { readonly kind: 'found'; readonly id: SemSetHeader['id'] }
  | { readonly kind: 'created'; readonly state: SetState; readonly ids: IdsState };

/** Checks that need no registry: nsems bounds and the svsem init value. */
export function checkSemgetArgs(req: SemgetRequest): void {
  if (req.nsems < 0 || req.nsems > SEMMSL) {
    throw new SemError('EINVAL', `nsems ${req.nsems} is outside 0..SEMMSL (${SEMMSL})`);
  }
  if (req.init !== undefined && (req.init < 0 || req.init > SEMVMX)) {
    throw new SemError('ERANGE', `initial value ${req.init} is outside 0..SEMVMX (${SEMVMX})`);
  }
}

export function semget(
  req: SemgetRequest,
  cred: Credentials,
  lookup: SemgetLookup,
  nowMs: number,
  notes: Notes = undefined,
): SemgetStep {
  checkSemgetArgs(req);
  const existing = req.key === IPC_PRIVATE ? undefined : lookup.existing;

  if (existing === undefined) {
    if (req.key !== IPC_PRIVATE && !req.create) {
      throw new SemError('ENOENT', `no set has key ${formatKey(req.key)} and IPC_CREAT is not set`);
    }
    const step = createSet(req, cred, lookup, nowMs);
    const { id, index, perm } = step.state.header;
    notes?.push({
      kind: 'created', key: req.key, semid: id, index, seq: perm.seq, nsems: req.nsems,
      mode: perm.mode, init: req.init,
    });
    return step;
  }
  if (req.create && req.excl) {
    throw new SemError('EEXIST', `a set with key ${formatKey(req.key)} exists (id ${existing.id})`);
  }
  if (req.nsems > existing.nsems) {
    throw new SemError('EINVAL',
      `set ${existing.id} has ${existing.nsems} semaphores, fewer than the ${req.nsems} asked for`);
  }
  if (!ipcperms(existing.perm, cred, req.mode)) {
    throw new SemError('EACCES',
      `mode ${req.mode.toString(8).padStart(4, '0')} asks for access to set ${existing.id} ` +
      'that the caller does not have');
  }
  const initIgnored = req.init !== undefined;
  notes?.push({ kind: 'found', key: req.key, semid: existing.id, initIgnored });
  return { kind: 'found', id: existing.id };
}

function createSet(
  req: SemgetRequest,
  cred: Credentials,
  lookup: SemgetLookup,
  nowMs: number,
): Extract<SemgetStep, { kind: 'created' }> {
  if (req.nsems === 0) throw new SemError('EINVAL', 'a new set needs at least one semaphore');
  if (lookup.ids.usedSems + req.nsems > SEMMNS) {
    throw new SemError('ENOSPC', `the registry would exceed SEMMNS (${SEMMNS}) semaphores`);
  }
  if (lookup.ids.inUse >= SEMMNI) {
    throw new SemError('ENOSPC', `the registry already holds SEMMNI (${SEMMNI}) sets`);
  }
  const allocated = allocateId(lookup.ids, lookup.firstFree);
  if (allocated === undefined) {
    throw new SemError('ENOSPC', 'no free index is left in the registry');
  }

  const header: SemSetHeader = {
    id: allocated.id,
    index: allocated.index,
    perm: {
      key: req.key,
      uid: cred.uid,
      gid: cred.gid,
      cuid: cred.uid,
      cgid: cred.gid,
      mode: req.mode & 0o777,
      seq: allocated.seq,
    },
    nsems: req.nsems,
    otime: 0,
    ctime: toSeconds(nowMs),
  };
  const semval = req.init ?? 0;
  const sems = Array.from({ length: req.nsems }, () => ({ semval, sempid: 0 }));
  const ids = { ...allocated.next, usedSems: lookup.ids.usedSems + req.nsems };
  return { kind: 'created', state: { header, sems, pending: [], undo: [] }, ids };
}

/** A key as the kernel's tools print it: 0x%08x of its 32-bit pattern. */
export function formatKey(key: number): string {
  return '0x' + (key >>> 0).toString(16).padStart(8, '0');
}
