/**
 * The SQLite backend of RegistryStore (better-sqlite3).
 *
 * - One connection per process; every transaction is BEGIN IMMEDIATE, so the write lock is taken
 *   before anything is read and a read-modify-write never races another svsem process. WAL mode
 *   lets readers of other connections go on meanwhile; the busy timeout bounds the wait for the
 *   lock, after which the command fails (exit 75) rather than hang.
 * - synchronous=NORMAL in WAL mode: a committed change survives any process crash; a power loss
 *   may lose the last transactions but never corrupts the file.
 * - Statements are prepared once per connection, always with parameters.
 * - Field mapping: every column of every table maps to one field of the core's records (see
 *   db/0001-initial.sql). Derived and stored: the usage counters in_use and used_sems
 *   (db/0002-usage-counters.sql), kept by triggers, so that semget need not count every set.
 *   GETNCNT/GETZCNT are counted from the queue, never stored.
 */
import Database from 'better-sqlite3';
import type { FirstFreeIndex, IdsState } from '../core/ids.js';
import type { SetChange } from '../core/setwork.js';
import { asKey, asSemId } from '../core/types.js';
import type {
  BlockedOn,
  PendingOp,
  ProcessRef,
  SemId,
  SemKey,
  SemSetHeader,
  Sembuf,
  SetState,
  UndoRecord,
} from '../core/types.js';
import { storageFailure } from './errors.js';
import { BUSY_TIMEOUT_MS, openDatabase, type OpenOptions } from './open.js';
import type { RegistryReader, RegistryStore, RegistryTxn, WaitState } from './port.js';
import { signalWaiters } from './wake-signal.js';
import { notifyWaiters } from './wake.js';

type Row = Record<string, number | string | null>;

const num = (row: Row, col: string): number => row[col] as number;
const str = (row: Row, col: string): string => row[col] as string;

function headerOf(row: Row): SemSetHeader {
  return {
    id: asSemId(num(row, 'semid')),
    index: num(row, 'idx'),
    perm: {
      key: asKey(num(row, 'key')),
      uid: num(row, 'uid'),
      gid: num(row, 'gid'),
      cuid: num(row, 'cuid'),
      cgid: num(row, 'cgid'),
      mode: num(row, 'mode'),
      seq: num(row, 'seq'),
    },
    nsems: num(row, 'nsems'),
    otime: num(row, 'otime'),
    ctime: num(row, 'ctime'),
  };
}

function procOf(row: Row, prefix: 'waiter' | 'owner'): ProcessRef {
  return {
    pid: num(row, `${prefix}_pid`),
    start: num(row, `${prefix}_start`),
    boot: str(row, `${prefix}_boot`),
  };
}

/** sops are stored as JSON [semnum, semop, flags] triples, flags a string of 'n' and 'u'. */
function encodeSops(sops: readonly Sembuf[]): string {
  const flags = (s: Sembuf) => (s.nowait ? 'n' : '') + (s.undo ? 'u' : '');
  return JSON.stringify(sops.map((s) => [s.semnum, s.semop, flags(s)]));
}

function decodeSops(text: string): Sembuf[] {
  return (JSON.parse(text) as [number, number, string][]).map(([semnum, semop, flags]) => ({
    semnum,
    semop,
    nowait: flags.includes('n'),
    undo: flags.includes('u'),
  }));
}

function pendingOf(row: Row): PendingOp {
  return {
    seq: num(row, 'seq'),
    sops: decodeSops(str(row, 'sops')),
    waiter: procOf(row, 'waiter'),
    owner: procOf(row, 'owner'),
    blocked: {
      semnum: num(row, 'blocked_semnum'),
      kind: str(row, 'blocked_kind') as BlockedOn['kind'],
    },
    since: num(row, 'since'),
    cmdline: str(row, 'cmdline'),
  };
}

/** Every statement svsem runs, by name; each is prepared on first use (see Statements). */
const SQL = {
  ids: 'SELECT last_idx, seq, in_use, used_sems FROM ids',
  highestIndex: 'SELECT coalesce(max(idx), -1) AS hi FROM sem_set',
  setIds: 'UPDATE ids SET last_idx = :lastIdx, seq = :seq',
  firstFree: `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sem_set WHERE idx = :from) THEN :from
    ELSE (SELECT min(a.idx) + 1 FROM sem_set a WHERE a.idx >= :from AND a.idx + 1 < :to
          AND NOT EXISTS (SELECT 1 FROM sem_set b WHERE b.idx = a.idx + 1)) END AS idx`,
  byKey: 'SELECT * FROM sem_set WHERE key = :key AND key <> 0',
  byIndex: 'SELECT * FROM sem_set WHERE idx = :idx',
  list: 'SELECT * FROM sem_set ORDER BY idx',
  active: `SELECT semid FROM sem_set WHERE semid IN (
      SELECT semid FROM pending_op WHERE outcome IS NULL UNION SELECT semid FROM undo_record)
    ORDER BY idx`,
  sems: 'SELECT semval, sempid FROM semaphore WHERE semid = :semid ORDER BY semnum',
  pending: 'SELECT * FROM pending_op WHERE semid = :semid AND outcome IS NULL ORDER BY seq',
  undo: 'SELECT * FROM undo_record WHERE semid = :semid ORDER BY id',
  undoAdj: `SELECT a.record_id, a.semnum, a.semadj FROM undo_adj a
    JOIN undo_record r ON r.id = a.record_id WHERE r.semid = :semid`,
  insertSet: `INSERT INTO sem_set
      (semid, idx, seq, key, uid, gid, cuid, cgid, mode, nsems, otime, ctime)
    VALUES (:semid, :idx, :seq, :key, :uid, :gid, :cuid, :cgid, :mode, :nsems, :otime, :ctime)`,
  insertSem: `INSERT INTO semaphore (semid, semnum, semval, sempid)
    VALUES (:semid, :semnum, :semval, :sempid)`,
  updateSet: `UPDATE sem_set
    SET uid = :uid, gid = :gid, mode = :mode, otime = :otime, ctime = :ctime
    WHERE semid = :semid`,
  updateSem: `UPDATE semaphore SET semval = :semval, sempid = :sempid
    WHERE semid = :semid AND semnum = :semnum`,
  deleteSet: 'DELETE FROM sem_set WHERE semid = :semid',
  insertPending: `INSERT INTO pending_op (semid, sops, waiter_pid, waiter_start, waiter_boot,
      owner_pid, owner_start, owner_boot, blocked_semnum, blocked_kind, since, cmdline)
    VALUES (:semid, :sops, :waiterPid, :waiterStart, :waiterBoot,
      :ownerPid, :ownerStart, :ownerBoot, :semnum, :kind, :since, :cmdline)`,
  reblock: 'UPDATE pending_op SET blocked_semnum = :semnum, blocked_kind = :kind WHERE seq = :seq',
  resolve: 'UPDATE pending_op SET outcome = :outcome WHERE seq = :seq',
  waitState: 'SELECT outcome FROM pending_op WHERE seq = :seq',
  deletePending: 'DELETE FROM pending_op WHERE seq = :seq',
  upsertUndo: `INSERT INTO undo_record (semid, owner_pid, owner_start, owner_boot, since)
    VALUES (:semid, :pid, :start, :boot, :since)
    ON CONFLICT (semid, owner_boot, owner_pid, owner_start) DO UPDATE SET since = since
    RETURNING id`,
  clearAdj: 'DELETE FROM undo_adj WHERE record_id = :id',
  insertAdj: 'INSERT INTO undo_adj (record_id, semnum, semadj) VALUES (:id, :semnum, :semadj)',
  deleteUndo: `DELETE FROM undo_record WHERE semid = :semid AND owner_pid = :pid
    AND owner_start = :start AND owner_boot = :boot`,
  processes: `SELECT waiter_pid AS pid, waiter_start AS start, waiter_boot AS boot FROM pending_op
    UNION SELECT owner_pid, owner_start, owner_boot FROM pending_op WHERE outcome IS NULL
    UNION SELECT owner_pid, owner_start, owner_boot FROM undo_record`,
  setsReferring: `SELECT semid FROM pending_op WHERE outcome IS NULL
      AND ((waiter_pid = :pid AND waiter_start = :start AND waiter_boot = :boot)
        OR (owner_pid = :pid AND owner_start = :start AND owner_boot = :boot))
    UNION SELECT semid FROM undo_record
      WHERE owner_pid = :pid AND owner_start = :start AND owner_boot = :boot`,
  deleteResolvedOf: `DELETE FROM pending_op WHERE outcome IS NOT NULL
    AND waiter_pid = :pid AND waiter_start = :start AND waiter_boot = :boot`,
};

type StatementName = keyof typeof SQL;

/**
 * The connection's statements, each prepared the first time it is used and kept for the
 * connection's life: a one-shot command prepares only the few it runs, a shell all it needs once.
 */
class Statements {
  private readonly cache = new Map<StatementName, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(name: StatementName): Database.Statement {
    let stmt = this.cache.get(name);
    if (stmt === undefined) {
      stmt = this.db.prepare(SQL[name]);
      this.cache.set(name, stmt);
    }
    return stmt;
  }
}

function undoKey(owner: ProcessRef): string {
  return `${owner.boot}/${owner.pid}/${owner.start}`;
}

class SqliteTxn implements RegistryTxn {
  /** The waiters of the sleeping operations this transaction resolved (see SqliteStore). */
  released: ProcessRef[] = [];

  constructor(private readonly s: Statements) {}

  /** Writes the outcomes of sleeping operations, which were `pending` before this step. */
  private writeOutcomes(outcomes: SetChange['outcomes'], pending: readonly PendingOp[]): void {
    for (const o of outcomes) {
      this.s.get('resolve').run({ seq: o.seq, outcome: o.result });
      const op = pending.find((p) => p.seq === o.seq);
      if (op !== undefined) this.released.push(op.waiter);
    }
  }

  ids(): IdsState {
    const ids = this.s.get('ids').get() as Row;
    return {
      lastIdx: num(ids, 'last_idx'), seq: num(ids, 'seq'),
      inUse: num(ids, 'in_use'), usedSems: num(ids, 'used_sems'),
    };
  }

  readonly firstFreeIndex: FirstFreeIndex = (from, to) => {
    const idx = (this.s.get('firstFree').get({ from, to }) as Row).idx;
    return typeof idx === 'number' && idx < to ? idx : undefined;
  };

  highestIndex(): number {
    return num(this.s.get('highestIndex').get() as Row, 'hi');
  }

  findByKey(key: SemKey): SemSetHeader | undefined {
    const row = this.s.get('byKey').get({ key }) as Row | undefined;
    return row && headerOf(row);
  }

  loadSet(id: SemId): SetState | undefined {
    if (!Number.isSafeInteger(id) || id < 0) return undefined;
    const state = this.loadSetByIndex(id % 32768);
    return state?.header.id === id ? state : undefined;
  }

  loadSetByIndex(index: number): SetState | undefined {
    const row = this.s.get('byIndex').get({ idx: index }) as Row | undefined;
    if (row === undefined) return undefined;
    const header = headerOf(row);
    const semid = header.id;
    const sems = (this.s.get('sems').all({ semid }) as Row[])
      .map((r) => ({ semval: num(r, 'semval'), sempid: num(r, 'sempid') }));
    const pending = (this.s.get('pending').all({ semid }) as Row[]).map(pendingOf);
    return { header, sems, pending, undo: this.loadUndo(semid) };
  }

  private loadUndo(semid: SemId): UndoRecord[] {
    const records = this.s.get('undo').all({ semid }) as Row[];
    if (records.length === 0) return [];
    const adjs = new Map<number, Map<number, number>>();
    for (const r of this.s.get('undoAdj').all({ semid }) as Row[]) {
      const id = num(r, 'record_id');
      if (!adjs.has(id)) adjs.set(id, new Map());
      adjs.get(id)!.set(num(r, 'semnum'), num(r, 'semadj'));
    }
    return records.map((r) => ({
      owner: procOf(r, 'owner'),
      semadj: adjs.get(num(r, 'id')) ?? new Map(),
      since: num(r, 'since'),
    }));
  }

  activeSets(): SemId[] {
    return (this.s.get('active').all() as Row[]).map((r) => asSemId(num(r, 'semid')));
  }

  listSets(): SemSetHeader[] {
    return (this.s.get('list').all() as Row[]).map(headerOf);
  }

  insertSet(state: SetState, ids: IdsState): void {
    const h = state.header;
    this.s.get('insertSet').run({
      semid: h.id, idx: h.index, seq: h.perm.seq, key: h.perm.key, uid: h.perm.uid,
      gid: h.perm.gid, cuid: h.perm.cuid, cgid: h.perm.cgid, mode: h.perm.mode, nsems: h.nsems,
      otime: h.otime, ctime: h.ctime,
    });
    const insertSem = this.s.get('insertSem');
    state.sems.forEach((sem, semnum) => insertSem.run({ semid: h.id, semnum, ...sem }));
    this.s.get('setIds').run({ lastIdx: ids.lastIdx, seq: ids.seq });
  }

  saveSet(before: SetState, change: SetChange): void {
    const after = change.state;
    const semid = after.header.id;
    if (after.header !== before.header) {
      const { perm, otime, ctime } = after.header;
      const row = { semid, uid: perm.uid, gid: perm.gid, mode: perm.mode, otime, ctime };
      this.s.get('updateSet').run(row);
    }
    after.sems.forEach((sem, semnum) => {
      if (sem !== before.sems[semnum]) this.s.get('updateSem').run({ semid, semnum, ...sem });
    });
    this.savePending(before, change);
    this.saveUndo(before, after);
  }

  private savePending(before: SetState, change: SetChange): void {
    const resolved = new Set(change.outcomes.map((o) => o.seq));
    this.writeOutcomes(change.outcomes, before.pending);
    const kept = new Map(change.state.pending.map((op) => [op.seq, op]));
    for (const op of before.pending) {
      const now = kept.get(op.seq);
      if (now === undefined) {
        if (!resolved.has(op.seq)) this.s.get('deletePending').run({ seq: op.seq });
      } else if (now.blocked.semnum !== op.blocked.semnum || now.blocked.kind !== op.blocked.kind) {
        this.s.get('reblock').run({ seq: op.seq, ...now.blocked });
      }
    }
  }

  private saveUndo(before: SetState, after: SetState): void {
    const semid = after.header.id;
    const old = new Map(before.undo.map((u) => [undoKey(u.owner), u]));
    for (const record of after.undo) {
      const prev = old.get(undoKey(record.owner));
      old.delete(undoKey(record.owner));
      if (prev !== undefined && sameAdjustments(prev.semadj, record.semadj)) continue;
      const upsert = { semid, ...record.owner, since: record.since };
      const { id } = this.s.get('upsertUndo').get(upsert) as { id: number };
      this.s.get('clearAdj').run({ id });
      const insertAdj = this.s.get('insertAdj');
      for (const [semnum, semadj] of record.semadj) insertAdj.run({ id, semnum, semadj });
    }
    for (const gone of old.values()) this.s.get('deleteUndo').run({ semid, ...gone.owner });
  }

  removeSet(before: SetState, change: SetChange): void {
    this.writeOutcomes(change.outcomes, before.pending);
    this.s.get('deleteSet').run({ semid: before.header.id });
  }

  insertPending(semid: SemId, op: Omit<PendingOp, 'seq'>): number {
    const info = this.s.get('insertPending').run({
      semid, sops: encodeSops(op.sops),
      waiterPid: op.waiter.pid, waiterStart: op.waiter.start, waiterBoot: op.waiter.boot,
      ownerPid: op.owner.pid, ownerStart: op.owner.start, ownerBoot: op.owner.boot,
      semnum: op.blocked.semnum, kind: op.blocked.kind, since: op.since, cmdline: op.cmdline,
    });
    return Number(info.lastInsertRowid);
  }

  waitState(seq: number): WaitState {
    const row = this.s.get('waitState').get({ seq }) as Row | undefined;
    if (row === undefined) return 'gone';
    return (row.outcome as WaitState | null) ?? 'waiting';
  }

  deletePending(seq: number): void {
    this.s.get('deletePending').run({ seq });
  }

  processes(): ProcessRef[] {
    return (this.s.get('processes').all() as Row[])
      .map((r) => ({ pid: num(r, 'pid'), start: num(r, 'start'), boot: str(r, 'boot') }));
  }

  setsReferring(proc: ProcessRef): SemId[] {
    const rows = this.s.get('setsReferring').all({ ...proc }) as Row[];
    return rows.map((r) => asSemId(num(r, 'semid')));
  }

  deleteResolvedOf(proc: ProcessRef): void {
    this.s.get('deleteResolvedOf').run({ ...proc });
  }
}

function sameAdjustments(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * Waiters are woken only by a transaction that wrote an outcome (completed, failed or removed a
 * sleeping operation): nothing else changes what a waiter is waiting for, so an uncontended
 * semop pays for no wake-up. The released waiters get SIGURG (src/storage/wake-signal.ts), and
 * the wake file is rewritten for the waiters that signals do not reach (src/storage/wake.ts).
 * A dead owner found by a waiter's own poll is settled by that waiter, whose transaction then
 * wakes the others it released.
 */
export class SqliteStore implements RegistryStore {
  private readonly txn: SqliteTxn;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
    private readonly busyTimeoutMs: number,
  ) {
    this.txn = new SqliteTxn(new Statements(db));
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  static open(path: string, options: OpenOptions = {}): SqliteStore {
    const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    return new SqliteStore(openDatabase(path, options), path, busyTimeoutMs);
  }

  /** A failure of the file (locked, full, read-only, corrupt) as a RegistryError; others as is. */
  private failure(err: unknown): unknown {
    return storageFailure(this.location, err, this.busyTimeoutMs) ?? err;
  }

  transactionSync<T>(work: (txn: RegistryTxn) => T): T {
    try {
      this.begin.run();
    } catch (err) {
      throw this.failure(err);
    }
    this.txn.released = [];
    try {
      const result = work(this.txn);
      this.commit.run();
      if (this.txn.released.length > 0) {
        signalWaiters(this.txn.released);
        notifyWaiters(this.location);
      }
      return result;
    } catch (err) {
      // SQLite may already have rolled back on its own (SQLITE_FULL, SQLITE_IOERR).
      if (this.db.inTransaction) this.rollback.run();
      throw this.failure(err);
    }
  }

  readSync<T>(work: (txn: RegistryReader) => T): T {
    try {
      return work(this.txn);
    } catch (err) {
      throw this.failure(err);
    }
  }

  transaction<T>(work: (txn: RegistryTxn) => T): Promise<T> {
    try {
      return Promise.resolve(this.transactionSync(work));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  close(): void {
    this.db.close();
  }
}
