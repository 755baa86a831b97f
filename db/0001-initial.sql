-- svsem registry, schema version 1: one file is one IPC namespace.
-- Every table is STRICT; the CHECK constraints repeat the core's invariants so that a bug (or a
-- hand edit) cannot store a state the kernel could never be in.

-- The id allocator of the namespace (struct ipc_ids): the last index handed out and the current
-- sequence number. One row.
CREATE TABLE ids (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
  last_idx INTEGER NOT NULL CHECK (last_idx BETWEEN -1 AND 32767),
  seq INTEGER NOT NULL CHECK (seq BETWEEN 0 AND 65534)
) STRICT;
INSERT INTO ids (singleton, last_idx, seq) VALUES (0, -1, 0);

-- One row per semaphore set (struct sem_array / semid_ds). semid = seq * 32768 + idx.
CREATE TABLE sem_set (
  semid INTEGER PRIMARY KEY CHECK (semid = seq * 32768 + idx),
  idx INTEGER NOT NULL UNIQUE CHECK (idx BETWEEN 0 AND 32767),
  seq INTEGER NOT NULL CHECK (seq BETWEEN 0 AND 65534),
  key INTEGER NOT NULL CHECK (key BETWEEN -2147483648 AND 2147483647),
  uid INTEGER NOT NULL,
  gid INTEGER NOT NULL,
  cuid INTEGER NOT NULL,
  cgid INTEGER NOT NULL,
  mode INTEGER NOT NULL CHECK (mode BETWEEN 0 AND 511),
  nsems INTEGER NOT NULL CHECK (nsems BETWEEN 1 AND 32000),
  otime INTEGER NOT NULL,
  ctime INTEGER NOT NULL
) STRICT;
CREATE INDEX sem_set_by_key ON sem_set (key) WHERE key <> 0;

-- One row per semaphore (struct sem without its queues).
CREATE TABLE semaphore (
  semid INTEGER NOT NULL REFERENCES sem_set (semid) ON DELETE CASCADE,
  semnum INTEGER NOT NULL CHECK (semnum BETWEEN 0 AND 31999),
  semval INTEGER NOT NULL CHECK (semval BETWEEN 0 AND 32767),
  sempid INTEGER NOT NULL,
  PRIMARY KEY (semid, semnum)
) STRICT, WITHOUT ROWID;

-- Sleeping semop calls (struct sem_queue). seq is the arrival order across the registry.
-- outcome is NULL while the operation sleeps; whoever resolves it (completes it, fails it on
-- re-evaluation, or removes the set) writes the outcome for the waiter to read and delete.
-- semid has no foreign key on purpose: the row outlives an IPC_RMID to carry EIDRM.
-- A process is named by (pid, start time in clock ticks since boot, boot id).
CREATE TABLE pending_op (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  semid INTEGER NOT NULL,
  sops TEXT NOT NULL,
  waiter_pid INTEGER NOT NULL,
  waiter_start INTEGER NOT NULL,
  waiter_boot TEXT NOT NULL,
  owner_pid INTEGER NOT NULL,
  owner_start INTEGER NOT NULL,
  owner_boot TEXT NOT NULL,
  blocked_semnum INTEGER NOT NULL,
  blocked_kind TEXT NOT NULL CHECK (blocked_kind IN ('ncnt', 'zcnt')),
  since INTEGER NOT NULL,
  cmdline TEXT NOT NULL,
  outcome TEXT CHECK (outcome IN ('done', 'EAGAIN', 'ERANGE', 'EIDRM'))
) STRICT;
CREATE INDEX pending_op_by_set ON pending_op (semid, seq) WHERE outcome IS NULL;

-- SEM_UNDO records (struct sem_undo): one per owner and set, kept even when every adjustment is
-- zero, because an owner's exit stamps otime whenever it has a record.
CREATE TABLE undo_record (
  id INTEGER PRIMARY KEY,
  semid INTEGER NOT NULL REFERENCES sem_set (semid) ON DELETE CASCADE,
  owner_pid INTEGER NOT NULL,
  owner_start INTEGER NOT NULL,
  owner_boot TEXT NOT NULL,
  since INTEGER NOT NULL,
  UNIQUE (semid, owner_boot, owner_pid, owner_start)
) STRICT;

-- The non-zero adjustments of a record (semadj).
CREATE TABLE undo_adj (
  record_id INTEGER NOT NULL REFERENCES undo_record (id) ON DELETE CASCADE,
  semnum INTEGER NOT NULL,
  semadj INTEGER NOT NULL CHECK (semadj BETWEEN -32768 AND 32767 AND semadj <> 0),
  PRIMARY KEY (record_id, semnum)
) STRICT, WITHOUT ROWID;
