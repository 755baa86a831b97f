import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, freshDb, svsem } from './helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts svsem in the background; resolves its output once it exits. */
function start(db: string, ...args: string[]) {
  const child = spawn(process.execPath, [CLI, '--db', db, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (status) => resolve({ status, stdout, stderr })));
  const output = (pattern: RegExp) => until(() => pattern.test(stdout), () => stdout);
  return { child, exited, output };
}

/** Waits until `ready()` holds, checking every 20 ms; fails with `seen()` after 10 s. */
async function until(ready: () => boolean, seen: () => string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ready()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not seen in 10 s; got: ${seen()}`);
}

/** Piped output's snapshots: each begins with its headline, `YYYY-MM-DD HH:MM:SS  registry`. */
function snapshots(stdout: string): string[] {
  return stdout.split(/\n\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2})/);
}

/** A set with one unit held through undo by this test's process and one operation waiting. */
async function busySet(db: string): Promise<{ id: string; waiter: ReturnType<typeof start> }> {
  const id = svsem(db, 'semget', '0x77', '2', '-c', '--init', '1').stdout.trim();
  expect(svsem(db, 'semop', id, '0:-1', '-u', '--owner', String(process.pid)).status).toBe(0);
  const waiter = start(db, 'semop', id, '0:-1', '1:0', '-t', '30');
  await until(() => svsem(db, 'semctl', id, 'getncnt', '0').stdout === '1\n', () => 'no waiter');
  return { id, waiter };
}

describe('svsem watch, piped', () => {
  it('prints the overview with each set\'s waiters and holders, once per --count', async () => {
    const db = freshDb();
    await busySet(db);
    svsem(db, 'semget', '0', '1', '-c');
    const r = svsem(db, 'watch', '--count', '2', '--interval', '0.1');
    expect(r.status).toBe(0);
    const shots = snapshots(r.stdout);
    expect(shots).toHaveLength(2);
    for (const s of shots) {
      const lines = s.trimEnd().split('\n');
      expect(lines[0]).toContain(db);
      expect(lines[1]).toBe('key         semid  owner  perms  nsems  waiters  holders');
      expect(lines[2]).toMatch(/^0x00000077 {2}0 {6}\S+ +600 {4}2 {6}1 {8}1$/);
      expect(lines[3]).toMatch(/^0x00000000 {2}1 {6}\S+ +600 {4}1 {6}0 {8}0$/);
    }
  });

  it('shows one set: values, counts, the waiting operation and the undo holder', async () => {
    const db = freshDb();
    const { id, waiter } = await busySet(db);
    const r = svsem(db, 'watch', id, '--count', '1');
    expect(r.status).toBe(0);
    const text = r.stdout;
    expect(text).toMatch(/^Semaphore set 0 {2}key 0x00000077 {2}owner \S+ {2}perms 600 {2}nsems 2$/m);
    expect(text).toMatch(new RegExp(`^0 +0 +1 +0 +${process.pid}$`, 'm'));
    expect(text).toMatch(/^1 +1 +0 +0 +0$/m);
    expect(text).toContain('Waiting operations (1)');
    expect(text).toMatch(new RegExp(`^${process.pid} +0:-1 1:0 +0 \\(ncount\\) +\\d\\d:\\d\\d:\\d\\d +\\d+s +`, 'm'));
    expect(text).toContain('Undo holders (1)');
    expect(text).toMatch(new RegExp(`^${process.pid} +0:\\+1 +\\d\\d:\\d\\d:\\d\\d +\\d+s +.*node`, 'm'));
    waiter.child.kill('SIGTERM');
    expect((await waiter.exited).status).toBe(4);
  });

  it('prints one JSON document a line with --json', async () => {
    const db = freshDb();
    const { id } = await busySet(db);
    const overview = JSON.parse(svsem(db, 'watch', '--json', '--count', '1').stdout);
    expect(overview.sets).toEqual([{
      semid: 0, key: 0x77, keyHex: '0x00000077', uid: expect.any(Number), owner: expect.anything(),
      perms: 0o600, nsems: 2, waiters: 1, holders: 1,
    }]);
    expect(Date.parse(overview.time)).not.toBeNaN();
    const detail = JSON.parse(svsem(db, 'watch', id, '--json', '--count', '1').stdout);
    expect(detail.set.semaphores[0]).toMatchObject({ semnum: 0, value: 0, ncount: 1, zcount: 0 });
    expect(detail.set.waiters[0].ops).toEqual([
      { semnum: 0, semop: -1, nowait: false, undo: false }, { semnum: 1, semop: 0, nowait: false, undo: false },
    ]);
    expect(detail.set.holders).toEqual([{ pid: process.pid, semadj: [1, 0], since: expect.any(String) }]);
  });

  it('shows a set it may not read without its counts', () => {
    const db = freshDb();
    svsem(db, 'semget', '0x5', '1', '-c', '-m', '0600');
    const r = svsem(db, '--as', '1000', 'watch', '--count', '1');
    expect(r.stdout).toMatch(/^0x00000005 {2}0 .* \? {8}\?$/m);
    expect(r.stdout).toContain('?: no read permission on the set');
  });

  it('takes a snapshot when the registry changes, without waiting for the interval', async () => {
    const db = freshDb();
    const id = svsem(db, 'semget', '0x78', '1', '-c').stdout.trim();
    const watch = start(db, 'watch', id, '--count', '2', '--interval', '3600');
    await watch.output(/sempid/);
    expect(svsem(db, 'semctl', id, 'setval', '0', '5').status).toBe(0);
    const r = await watch.exited;
    expect(r.status).toBe(0);
    expect(snapshots(r.stdout)[1]).toMatch(/^0 +5 +0 +0 +\d+$/m);
  });

  it('says so and stops when the set it watches is removed', async () => {
    const db = freshDb();
    const id = svsem(db, 'semget', '0x79', '1', '-c').stdout.trim();
    const watch = start(db, 'watch', id, '--interval', '3600');
    await watch.output(/sempid/);
    svsem(db, 'semctl', id, 'rmid');
    const r = await watch.exited;
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Semaphore set ${id} was removed.`);
  });

  it('refuses a set that does not exist, and a bad interval or count', () => {
    const db = freshDb();
    expect(svsem(db, 'watch', '4')).toMatchObject({ status: 22, stdout: '' });
    expect(svsem(db, 'watch', '--interval', '0').status).toBe(64);
    expect(svsem(db, 'watch', '--count', '0').status).toBe(64);
  });

  it('ends on SIGTERM with status 0', async () => {
    const db = freshDb();
    const watch = start(db, 'watch', '--interval', '3600');
    await watch.output(/No semaphore sets\./);
    watch.child.kill('SIGTERM');
    expect((await watch.exited).status).toBe(0);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('svsem watch on a terminal', () => {
  it('draws on the alternate screen and gives the terminal back on q', async () => {
    const db = freshDb();
    svsem(db, 'semget', '0x7a', '1', '-c');
    // script(1) runs the command on a pseudo-terminal and relays this test's input to it.
    const command = `"${process.execPath}" "${CLI}" --db "${db}" watch; echo "[exit $?]"`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' },
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const closed = new Promise((resolve) => child.on('close', resolve));
    await until(() => out.includes('0x0000007a'), () => JSON.stringify(out));
    child.stdin!.write('q');
    await closed;
    expect(out).toContain('\x1b[?1049h');
    expect(out).toContain('\x1b[?1049l');
    expect(out).toContain('\x1b[?25h');
    expect(out).toContain('[exit 0]');
    expect(out).not.toMatch(new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m')); // NO_COLOR: no colour
  });
});
