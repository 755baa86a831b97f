/**
 * The registry: svsem's typed API, on which the commands are built. Each call runs one
 * transaction on the store: it first settles what dead processes left behind (reap), then loads
 * what the call needs, applies the core's pure step, and writes the result.
 *
 * A blocking semop queues a pending operation and returns a Promise that settles when another
 * process resolves it (or on timeout, abort, or removal of the set). The waiter never retries:
 * whoever made the operation possible performed it, and the waiter only reads the outcome.
 */
import { SemError } from './core/errno.js';
import { discardProcess, exitUndo } from './core/exit.js';
import type { Note, Notes } from './core/explain.js';
import { S_IRUGO, ipcperms } from './core/ipcperm.js';
import type { IpcSetRequest, SemInfo, SemReader } from './core/semctl.js';
import * as semctl from './core/semctl.js';
import { semget, type SemgetRequest } from './core/semget.js';
import { checkSemopArgs, semop as semopStep } from './core/semop.js';
import type {
  Credentials,
  ProcessRef,
  SemId,
  SemKey,
  SemSetHeader,
  Sembuf,
  SetState,
} from './core/types.js';
import { isAlive, selfRef } from './process.js';
import { RegistryError } from './storage/errors.js';
import type { RegistryReader, RegistryStore, RegistryTxn } from './storage/port.js';
import { SqliteStore } from './storage/sqlite.js';
import { onWakeSignal, signalsReachUs } from './storage/wake-signal.js';
import { makeWakeFile, watchWakes } from './storage/wake.js';

export interface RegistryOptions {
  /** The registry file; see defaultRegistryPath(). */
  readonly path: string;
  /** How long to wait for another process's write lock before failing (5 s by default). */
  readonly busyTimeoutMs?: number;
  /** Who calls; by default the real uid, gid and groups of this process. */
  readonly credentials?: Credentials;
}

export interface SemopOptions {
  /** The process the call acts for (sempid, SEM_UNDO owner); default: this process. */
  readonly owner?: ProcessRef;
  /** semtimedop: give up after this many milliseconds with EAGAIN; 0 tries once. */
  readonly timeoutMs?: number;
  /** Withdraws a sleeping operation and rejects with EINTR. */
  readonly signal?: AbortSignal;
  /** Shown to people inspecting waiters; a function is called only if the operation sleeps. */
  readonly cmdline?: string | (() => string);
  /** Called once the operation sleeps (before the Promise settles). */
  readonly onBlock?: () => void;
}

/** A set as an overview lists it; the counts are absent when the caller may not read the set. */
export interface SetSummary {
  readonly header: SemSetHeader;
  readonly waiters?: number;
  readonly holders?: number;
}

/** How often a sleeping operation re-reads its state if no wake-up arrives. */
export const POLL_INTERVAL_MS = 100;

export function processCredentials(): Credentials {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return { uid, gid, groups: process.getgroups?.() ?? [] };
}

function noSuchSet(id: number): SemError {
  return new SemError('EINVAL', `no semaphore set has id ${id}`);
}

/** How a Registry over a store behaves; every field has a default. */
export interface RegistrySettings {
  /** Who calls; by default the real uid, gid and groups of this process. */
  readonly credentials?: Credentials;
  /** Milliseconds since the epoch; Date.now unless a test pins time. */
  readonly clock?: () => number;
  /** Receives what each step did (--explain), once its transaction has ended. */
  readonly explain?: (note: Note) => void;
}

export class Registry {
  readonly credentials: Credentials;
  private readonly clock: () => number;
  private readonly explain: ((note: Note) => void) | undefined;

  constructor(readonly store: RegistryStore, private readonly settings: RegistrySettings = {}) {
    this.credentials = settings.credentials ?? processCredentials();
    this.clock = settings.clock ?? Date.now;
    this.explain = settings.explain;
  }

  static open(options: RegistryOptions): Registry {
    const store = SqliteStore.open(options.path, { busyTimeoutMs: options.busyTimeoutMs });
    return new Registry(store, { credentials: options.credentials });
  }

  close(): void {
    this.store.close();
  }

  /** The same registry with some settings changed (svsem shell's per-line --as, --explain). */
  with(settings: RegistrySettings): Registry {
    return new Registry(this.store, { ...this.settings, ...settings });
  }

  /**
   * One transaction that first settles what dead processes left behind. `notes` collects what
   * the step did when someone asked (explain); they are handed over once the transaction ended,
   * committed or not, so that an error's reasons come before the error.
   */
  private run<T>(work: (txn: RegistryTxn, nowMs: number, notes: Notes) => T): Promise<T> {
    const notes: Notes = this.explain ? [] : undefined;
    const result = this.store.transaction((txn) => {
      const nowMs = this.clock();
      reap(txn, nowMs, notes);
      return work(txn, nowMs, notes);
    });
    return notes === undefined ? result : result.finally(() => notes.forEach(this.explain!));
  }

  private load(txn: RegistryTxn, id: number): SetState {
    if (!Number.isSafeInteger(id) || id < 0) throw noSuchSet(id);
    return txn.loadSet(id as SemId) ?? (() => { throw noSuchSet(id); })();
  }

  semget(req: SemgetRequest): Promise<SemId> {
    return this.run((txn, nowMs, notes) => {
      const existing = req.key === 0 ? undefined : txn.findByKey(req.key);
      const step = semget(req, this.credentials,
        { existing, ids: txn.ids(), firstFree: txn.firstFreeIndex }, nowMs, notes);
      if (step.kind === 'found') return step.id;
      txn.insertSet(step.state, step.ids);
      return step.state.header.id;
    });
  }

  stat(id: number): Promise<SemSetHeader> {
    return this.run((txn) => semctl.ipcStat(this.load(txn, id), this.credentials));
  }

  get(id: number, cmd: SemReader, semnum: number): Promise<number> {
    return this.run((txn) => semctl.getSem(this.load(txn, id), this.credentials, cmd, semnum));
  }

  getAll(id: number): Promise<number[]> {
    return this.run((txn) => semctl.getAll(this.load(txn, id), this.credentials));
  }

  setVal(id: number, semnum: number, value: number, actor: ProcessRef): Promise<void> {
    semctl.checkSetvalArg(id, value);
    return this.run((txn, nowMs, notes) => {
      const state = this.load(txn, id);
      const change = semctl.setVal(state, this.credentials, semnum, value, actor.pid, nowMs, notes);
      txn.saveSet(state, change);
    });
  }

  setAll(id: number, values: readonly number[], actor: ProcessRef): Promise<void> {
    return this.run((txn, nowMs, notes) => {
      const state = this.load(txn, id);
      txn.saveSet(state, semctl.setAll(state, this.credentials, values, actor.pid, nowMs, notes));
    });
  }

  ipcSet(id: number, req: IpcSetRequest): Promise<void> {
    return this.run((txn, nowMs) => {
      const state = this.load(txn, id);
      txn.saveSet(state, semctl.ipcSet(state, this.credentials, req, nowMs));
    });
  }

  rmid(id: number): Promise<void> {
    return this.run((txn, _nowMs, notes) => {
      const state = this.load(txn, id);
      txn.removeSet(state, semctl.rmid(state, this.credentials, notes));
    });
  }

  /** IPC_INFO / SEM_INFO. */
  info(cmd: 'info' | 'seminfo'): Promise<{ info: SemInfo; highestIndex: number }> {
    return this.run((txn) => {
      const { inUse, usedSems } = txn.ids();
      return semctl.semInfo(cmd, { inUse, usedSems, highestIndex: txn.highestIndex() });
    });
  }

  /** SEM_STAT / SEM_STAT_ANY: the set at an index (masked to 15 bits, as the kernel does). */
  semStat(index: number, any: boolean): Promise<SemSetHeader> {
    return this.run((txn) => {
      if (!Number.isSafeInteger(index) || index < 0) throw noSuchSet(index);
      const state = txn.loadSetByIndex(index % 32768);
      if (state === undefined) throw new SemError('EINVAL', `no semaphore set has index ${index}`);
      return semctl.semStat(state, this.credentials, any);
    });
  }

  /** Every set's header, in index order (what ipcs lists). */
  list(): Promise<SemSetHeader[]> {
    return this.run((txn) => txn.listSets());
  }

  /**
   * Every set that has sleeping operations or undo records and that the caller may read, whole,
   * for the views of who holds and who waits (values and pids need read permission, as GETALL).
   */
  activity(): Promise<SetState[]> {
    return this.run((txn) => txn.activeSets()
      .map((id) => txn.loadSet(id)!)
      .filter((state) => ipcperms(state.header.perm, this.credentials, S_IRUGO)));
  }

  /**
   * Every set's header, in index order, with the number of its sleeping operations and undo
   * holders where the caller may read the set (what `svsem watch` lists). Only sets with either
   * are loaded whole, so the cost follows the activity, not the registry's size.
   */
  overview(): Promise<SetSummary[]> {
    return this.run((txn) => {
      const active = new Map(txn.activeSets().map((id) => [id, txn.loadSet(id)!]));
      return txn.listSets().map((header) => {
        if (!ipcperms(header.perm, this.credentials, S_IRUGO)) return { header };
        const state = active.get(header.id);
        return { header, waiters: state?.pending.length ?? 0, holders: state?.undo.length ?? 0 };
      });
    });
  }

  /** One set with its semaphores, queue and undo records, for views. Needs read permission. */
  inspect(id: number): Promise<SetState> {
    return this.run((txn) => {
      const state = this.load(txn, id);
      semctl.ipcStat(state, this.credentials);
      return state;
    });
  }

  /**
   * Does now what the kernel's exit_sem() does when `proc` exits: applies its undo adjustments and
   * withdraws its sleeping operations. `svsem run` calls it for itself when its command ends.
   */
  exit(proc: ProcessRef): Promise<void> {
    return this.run((txn, nowMs, notes) => settleProcess(txn, proc, nowMs, notes));
  }

  findByKey(key: SemKey): Promise<SemSetHeader | undefined> {
    return this.run((txn) => (key === 0 ? undefined : txn.findByKey(key)));
  }

  /**
   * semop / semtimedop. Resolves when the operation has been performed (by this call or, after
   * sleeping, by whoever made it possible); rejects with a SemError otherwise.
   */
  async semop(id: number, sops: readonly Sembuf[], options: SemopOptions = {}): Promise<void> {
    checkSemopArgs(sops);
    const waiter = selfRef();
    const owner = options.owner ?? waiter;
    const timeoutMs = options.timeoutMs;
    const undo = sops.some((sop) => sop.undo);
    const seq = await this.run((txn, nowMs, notes): number | SemError | undefined => {
      const state = this.load(txn, id);
      // A call acts only for a live process, as a system call can only be made by one. It
      // matters where the call leaves something behind for its owner: undo adjustments (which a
      // dead owner's exit would never undo, or undo at once and clamped), or a sleeping operation.
      const ownerGone = () => owner !== waiter && !isAlive(owner);
      if (undo && ownerGone()) throw ownerExited(owner);
      const call = { sops, owner, waiter };
      const step = semopStep(state, call, this.credentials, nowMs, notes);
      if (step.kind === 'block' && ownerGone()) throw ownerExited(owner);
      // Committed even when the call fails: a SEM_UNDO call leaves its owner's undo record
      // whatever happens next (find_alloc_undo() comes first), and the owner's exit stamps otime.
      txn.saveSet(state, step.change);
      if (step.kind === 'error') return step.error;
      if (step.kind === 'done') return undefined;
      if (timeoutMs === 0 || options.signal?.aborted) {
        return options.signal?.aborted ? interrupted() : timedOut(timeoutMs ?? 0);
      }
      return txn.insertPending(state.header.id, {
        sops, owner, waiter, blocked: step.blocked, since: nowMs,
        cmdline: describe(options.cmdline),
      });
    });
    if (seq instanceof SemError) throw seq;
    if (seq === undefined) return;
    options.onBlock?.();
    await this.sleep(seq, owner, timeoutMs, options.signal);
  }

  /** Waits for the outcome of pending operation `seq`. */
  private sleep(
    seq: number,
    owner: ProcessRef,
    timeoutMs: number | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(deadline);
        stopWatching();
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      // Why the waiter stopped waiting (timeout, signal), once it has; the first reason stays.
      let giveUp: SemError | undefined;
      // A notification says only that some outcome was written, so it is answered with a look
      // at this operation's outcome alone; whether a process it may wait on died is the polls'
      // question (each look reads /proc for every process the registry names).
      const check = (reason?: SemError, lookAtProcesses = false) => {
        if (done) return;
        giveUp ??= reason;
        try {
          // A look without the write lock first: most wake-ups and polls find nothing to do,
          // and many waiters taking the lock in turn only to learn that would delay the one
          // who was released.
          const look = (r: RegistryReader) => needsSettling(r, seq, lookAtProcesses);
          if (giveUp === undefined && !this.store.readSync(look)) return;
          const notes: Notes = this.explain ? [] : undefined;
          const outcome = this.store.transactionSync((txn) => {
            reap(txn, this.clock(), notes);
            return settleWait(txn, seq, owner, giveUp);
          });
          if (outcome !== 'waiting') {
            notes?.push(outcome === giveUp ? { kind: 'withdrawn', reason: giveUp.errno }
              : { kind: 'woken', result: outcome === 'done' ? 'done' : outcome.errno });
          }
          notes?.forEach(this.explain!);
          if (outcome !== 'waiting') finish(outcome === 'done' ? undefined : outcome);
        } catch (err) {
          // Locked past the busy timeout: the operation is still queued, or already performed
          // for this waiter, so failing now could report a failure for an operation that took
          // effect. The next poll looks again (and gives up then, if that was what this look
          // was for: giveUp is kept).
          if (!(err instanceof RegistryError && err.temporary)) finish(err);
        }
      };
      // Polls run on their own clock, so that a stream of notifications cannot put them off.
      const poll = () => {
        check(undefined, true);
        if (!done) timer = setTimeout(poll, POLL_INTERVAL_MS);
      };
      const onAbort = () => check(interrupted());
      const stopWatching = listenForWakes(this.store.location, () => check());
      signal?.addEventListener('abort', onAbort);
      if (timeoutMs !== undefined) {
        deadline = setTimeout(() => check(timedOut(timeoutMs)), timeoutMs);
      }
      if (signal?.aborted) check(interrupted());
      else poll();
    });
  }
}

/**
 * Calls `onWake` whenever a transaction may have released a sleeping operation of this process:
 * on SIGURG, and, if other users may write the registry (and could not signal this process), on
 * a change of its wake file too. Returns a function that stops listening.
 */
function listenForWakes(location: string, onWake: () => void): () => void {
  const stopSignal = onWakeSignal(onWake);
  if (signalsReachUs(location)) {
    makeWakeFile(location); // not watched: the inotify watch would slow this process's exit
    return stopSignal;
  }
  const stopWatching = watchWakes(location, onWake);
  return () => {
    stopSignal();
    stopWatching();
  };
}

function describe(cmdline: SemopOptions['cmdline']): string {
  return typeof cmdline === 'function' ? cmdline() : cmdline ?? '';
}

function ownerExited(owner: ProcessRef): SemError {
  return new SemError('ESRCH',
    `process ${owner.pid}, which the operation acts for (--owner, else svsem's parent), ` +
    'has exited');
}

function interrupted(): SemError {
  return new SemError('EINTR', 'interrupted while waiting; the operation was withdrawn');
}

function timedOut(ms: number): SemError {
  return new SemError('EAGAIN', `timed out after ${ms / 1000} s; the operation was withdrawn`);
}

/**
 * Reads a sleeping operation's state. A resolved one is deleted and its outcome returned; one
 * still waiting is withdrawn if the waiter gives up (timeout, signal), else left to wait.
 */
function settleWait(
  txn: RegistryTxn,
  seq: number,
  owner: ProcessRef,
  giveUp?: SemError,
): 'waiting' | 'done' | SemError {
  const state = txn.waitState(seq);
  if (state === 'waiting') {
    if (giveUp === undefined) return 'waiting';
    txn.deletePending(seq);
    return giveUp;
  }
  txn.deletePending(seq);
  switch (state) {
    case 'done':
      return 'done';
    case 'EIDRM':
      return new SemError('EIDRM', 'the set was removed while waiting');
    case 'gone':
      // Only a reaper deletes another's sleeping operation: the process it acted for is gone.
      return ownerExited(owner);
    case 'EAGAIN':
      return new SemError('EAGAIN', 'woken to an IPC_NOWAIT operation that could not proceed');
    case 'ERANGE':
      return new SemError('ERANGE', 'woken to an operation that would exceed SEMVMX or SEMAEM');
  }
}

/**
 * Whether a sleeping operation has an outcome to read, or (when asked) whether a process it may
 * wait on died.
 */
function needsSettling(reader: RegistryReader, seq: number, lookAtProcesses: boolean): boolean {
  if (reader.waitState(seq) !== 'waiting') return true;
  return lookAtProcesses && reader.processes().some((p) => !isAlive(p));
}

/**
 * Settles what dead processes left: a dead waiter's operations are withdrawn unapplied and its
 * unread outcomes deleted; a dead owner's undo adjustments are applied as its exit would have.
 */
export function reap(txn: RegistryTxn, nowMs: number, notes: Notes = undefined): void {
  for (const proc of txn.processes()) {
    if (!isAlive(proc)) settleProcess(txn, proc, nowMs, notes, true);
  }
}

/** exit_sem() for `proc` on every set it refers to, and its unread outcomes dropped. */
function settleProcess(
  txn: RegistryTxn,
  proc: ProcessRef,
  nowMs: number,
  notes: Notes,
  dead = false,
): void {
  for (const semid of txn.setsReferring(proc)) {
    const state = txn.loadSet(semid);
    if (state === undefined) continue;
    if (dead) notes?.push({ kind: 'dead', pid: proc.pid, semid });
    txn.saveSet(state, exitUndo(discardProcess(state, proc), proc, nowMs, notes));
  }
  txn.deleteResolvedOf(proc);
}
