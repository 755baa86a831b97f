import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, migrate, migrations, openDatabase } from '../../src/storage/open.js';

function freshPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'svsem-migrations-')), 'registry.db');
}

/** A set as schema version 1 stores it: its row and one row per semaphore. */
function insertSet(db: Database.Database, idx: number, nsems: number): void {
  db.prepare(`INSERT INTO sem_set
    (semid, idx, seq, key, uid, gid, cuid, cgid, mode, nsems, otime, ctime)
    VALUES (?, ?, 0, 0, 0, 0, 0, 0, 384, ?, 0, 0)`).run(idx, idx, nsems);
  for (let n = 0; n < nsems; n++) {
    db.prepare('INSERT INTO semaphore (semid, semnum, semval, sempid) VALUES (?, ?, 0, 0)')
      .run(idx, n);
  }
}

const counters = (db: Database.Database) =>
  db.prepare('SELECT in_use, used_sems FROM ids').get() as { in_use: number; used_sems: number };

describe('the schema scripts', () => {
  it('are numbered without a gap up to SCHEMA_VERSION', () => {
    expect(migrations().map((m) => m.version)).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });
});

describe('db/0002-usage-counters.sql', () => {
  it('counts the sets of a version 1 registry, and its triggers keep the counts', () => {
    const path = freshPath();
    const db = new Database(path);
    migrate(db, path, 1);
    insertSet(db, 0, 3);
    insertSet(db, 1, 5);

    migrate(db, path, 2);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(counters(db)).toEqual({ in_use: 2, used_sems: 8 });

    insertSet(db, 2, 7);
    db.prepare('DELETE FROM sem_set WHERE idx = 0').run();
    expect(counters(db)).toEqual({ in_use: 2, used_sems: 12 });
    db.close();
  });

  it('is applied when svsem opens a version 1 registry', () => {
    const path = freshPath();
    const old = new Database(path);
    migrate(old, path, 1);
    insertSet(old, 0, 4);
    old.close();

    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(counters(db)).toEqual({ in_use: 1, used_sems: 4 });
    db.close();
  });
});
