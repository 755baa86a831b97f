import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, freshDb, svsem } from './helpers.js';

/** Runs `svsem shell` with `script` on stdin. */
function shell(db: string, script: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, '--db', db, 'shell', ...args], {
    input: script, encoding: 'utf8', timeout: 15_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('svsem shell', () => {
  it('prints each result as the single command would, and goes on after a failure', () => {
    const db = freshDb();
    const r = shell(db, [
      'semget 0x10 2 -c --init 1   # a comment',
      'semop 0 0:-1',
      "semctl '0' getall",
      'semop 0 1:-2 -n',
      'semctl 0 getall --json',
      '',
    ].join('\n'));
    expect(r.stdout).toBe('0\n0 1\n{"semid":0,"values":[0,1]}\n');
    expect(r.stderr).toBe('svsem semop: EAGAIN: semaphore 1 cannot be decreased by 2 now and IPC_NOWAIT is set\n');
    expect(r.status).toBe(0);
  });

  it('stops at the first failure with --bail and exits with its status', () => {
    const db = freshDb();
    const r = shell(db, 'semget 0 1 -c\nsemctl 0 getval 3\nsemctl 0 getval 0\n', '--bail');
    expect(r.stdout).toBe('0\n');
    expect(r.status).toBe(22);
  });

  it('exits with the status of the last line, or the one exit gives', () => {
    const db = freshDb();
    expect(shell(db, 'semctl 9 getall\n').status).toBe(22);
    expect(shell(db, 'semctl 9 getall\nsemctl info\n').status).toBe(0);
    expect(shell(db, 'exit 3\nsemget 0 1 -c\n')).toMatchObject({ status: 3, stdout: '' });
  });

  it('applies a line\'s own --as and refuses a line\'s own registry', () => {
    const db = freshDb();
    const r = shell(db, 'semget 0 1 -c -m 0600\nsemctl 0 getval 0 --as 1000\nsemctl 0 getval 0 --db other.db\n');
    expect(r.stderr.split('\n')[0]).toMatch(/^svsem semctl: EACCES: /);
    expect(r.stderr.split('\n')[1]).toMatch(/^svsem semctl: --db is the shell's/);
  });

  it('blocks on a semop until another process makes it possible', async () => {
    const db = freshDb();
    svsem(db, 'semget', '0', '1', '-c');
    const child = spawn(process.execPath, [CLI, '--db', db, 'shell'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.end('semctl 0 getval 0\nsemop 0 0:-1\nsemctl 0 getpid 0\n');
    for (let i = 0; i < 100 && svsem(db, 'semctl', '0', 'getncnt', '0').stdout !== '1\n'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toBe('0\n'); // printed before the shell went to sleep
    expect(svsem(db, 'semop', '0', '0:1').status).toBe(0);
    const status = await new Promise((r) => child.on('exit', r));
    expect(status).toBe(0);
    expect(out).toBe(`0\n${process.pid}\n`);
  });
});

describe('svsem shell and its acting process', () => {
  it('refuses undo for a parent that exited while the shell read its input (ESRCH)', () => {
    const db = freshDb();
    const id = svsem(db, 'semget', '0', '1', '-c', '--init', '2').stdout.trim();
    const svsemCmd = `"${process.execPath}" "${CLI}" --db "${db}"`;
    // The shell starts while its parent sh sleeps; sh exits at 0.4 s; the lines arrive at 1 s.
    const script = `{ sleep 1; echo "semop ${id} 0:-1 -u"; echo "semop ${id} 0:-1"; } | ${svsemCmd} shell & sleep 0.4`;
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 15_000 });
    expect(r.stderr).toMatch(/^svsem semop: ESRCH: process \d+, which the operation acts for/);
    // The undo-less operation only records a pid, so it goes ahead as the kernel's would.
    expect(svsem(db, 'semctl', id, 'getval', '0').stdout).toBe('1\n');
    expect(svsem(db, 'ipcs', '--holders').stdout).toMatch(/^Holders .*:\n {2}none\n/);
  });

  it('takes --owner for every line that names none', () => {
    const db = freshDb();
    const id = svsem(db, 'semget', '0', '1', '-c', '--init', '1').stdout.trim();
    const sleeper = spawn('sleep', ['30']);
    try {
      const r = shell(db, `semop ${id} 0:-1 -u\nsemctl ${id} getpid 0\n`, '--owner', String(sleeper.pid));
      expect(r).toMatchObject({ status: 0, stdout: `${sleeper.pid}\n` });
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
