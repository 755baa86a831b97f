import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freshDb, svsem } from './helpers.js';

describe('a registry locked by another process', () => {
  it('fails the command with exit 75 once the busy timeout has passed, naming the file', () => {
    const db = freshDb();
    expect(svsem(db, 'semget', '0', '1', '-c').status).toBe(0);
    const holder = new Database(db);
    holder.prepare('BEGIN IMMEDIATE').run(); // the write lock, held across the command
    try {
      const r = svsem(db, 'semop', '0', '0:+1');
      expect(r.stderr).toBe(`svsem semop: ${db}: registry stayed locked by another process\n`);
      expect(r.status).toBe(75);
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
    expect(svsem(db, 'semctl', '0', 'getval', '0').stdout).toBe('0\n'); // nothing was written
  });
});
