import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, freshDb, svsem } from './helpers.js';

describe('output to a reader that has gone', () => {
  it('ends quietly, with the command\'s own status, when stdout is closed (EPIPE)', async () => {
    const db = freshDb();
    expect(svsem(db, 'semget', '0', '1', '-c').status).toBe(0);
    const child = spawn(process.execPath, [CLI, '--db', db, 'ipcs'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // the reader goes before svsem writes, as `| head -0` would
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const status = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});
