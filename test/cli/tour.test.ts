import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { splitWords } from '../../src/cli/words.js';
import { CLI, freshDb, processGroup, svsem } from './helpers.js';

/** A temporary directory of the test's own, handed to the tour as TMPDIR. */
function ownTmpdir(): string {
  return mkdtempSync(join(tmpdir(), 'svsem-tour-test-'));
}

function tourEnv(tmp: string): NodeJS.ProcessEnv {
  return { ...process.env, TMPDIR: tmp, SVSEM_DB: '', NO_COLOR: '' };
}

/** The scratch registry the tour says it runs on (the indented line of its introduction). */
function scratchDb(out: string): string {
  const m = /^ {2}(\/\S+\/registry\.db)$/m.exec(out);
  if (!m) throw new Error(`no registry path in:\n${out}`);
  return m[1]!;
}

/** The text of step `n` of the transcript. */
function step(out: string, n: number): string {
  const sections = out.split(/^== \d+\/\d+ {2}.* ==$/m);
  return sections[n] ?? '';
}

describe('svsem tour', () => {
  const tmp = ownTmpdir();
  let r: SpawnSyncReturns<string>;

  beforeAll(() => {
    r = spawnSync(process.execPath, [CLI, 'tour', '--pause'], {
      input: '', encoding: 'utf8', env: tourEnv(tmp), timeout: 30_000,
    });
  });

  it('runs to the end with piped stdin (no pauses) and exits 0', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('Enter: the next step');
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stdout.match(/^== \d\/8 {2}/gm)).toHaveLength(8);
  });

  it('shows each step\'s command lines, without --db', () => {
    const mutex = /^\$ svsem semget 0x5eed 1 --create --init 1\n(\d+)$/m.exec(r.stdout)?.[1];
    const pair = /^\$ svsem semget IPC_PRIVATE 2 --create --init 1\n(\d+)$/m.exec(r.stdout)?.[1];
    expect(mutex).toBeDefined();
    expect(pair).toBeDefined();
    const lines = [
      '$ svsem semget 0xbad 1 --create', `$ svsem semop ${mutex} 0:-1 --undo`,
      `$ svsem semop ${mutex} 0:-1 &`, `$ svsem semop ${pair} 0:0 &`,
      `$ svsem semop ${pair} 1:-1 0:-1 --nowait`, `$ svsem semop ${pair} 0:-1:n`,
      `$ svsem semop ${pair} 0:-1 --timeout 0.5`, `$ svsem semctl ${mutex} rmid`, '$ svsem ipcs',
    ];
    for (const line of lines) expect(r.stdout.split('\n')).toContain(line);
    expect(r.stdout).toMatch(/^\$ kill -KILL \d+$/m);
    const prompts = r.stdout.split('\n').filter((l) => l.startsWith('$ '));
    expect(prompts.filter((l) => l.includes('--db'))).toEqual([]);
  });

  it('prints what the commands really print: step 1 replayed by hand gives the same', () => {
    const db = freshDb();
    const commands = step(r.stdout, 1).split('\n').filter((l) => l.startsWith('$ svsem '));
    expect(commands.length).toBeGreaterThan(5);
    for (const command of commands) {
      const replay = svsem(db, ...splitWords(command.slice('$ svsem '.length)));
      expect(step(r.stdout, 1)).toContain(`${command}\n${replay.stdout}`);
    }
  });

  it('has a second process really sleep (ncount 1) and be woken by the V', () => {
    const text = step(r.stdout, 3);
    const pid = /^\[1\] (\d+)$/m.exec(text)?.[1];
    expect(Number(pid)).toBeGreaterThan(0);
    const [asleep, woken] = text.split(/^\$ svsem semop \d+ 0:\+1$/m);
    expect(asleep).toMatch(/^0 {10}0 {10}1 {10}0 {10}/m); // semnum value ncount zcount
    expect(woken).toMatch(new RegExp(`^\\[1\\] ${pid} exited with status 0\n`, 'm'));
  });

  it('releases the waiter through the undo of a holder killed by SIGKILL', () => {
    const text = step(r.stdout, 7);
    expect(text).toMatch(/^\[3\] \d+ was killed by SIGKILL\n\[4\] \d+ exited with status 0$/m);
  });

  it('fails the sleeper of a removed set with EIDRM, exit 43', () => {
    const text = step(r.stdout, 8);
    expect(text).toContain('svsem semop: EIDRM: the set was removed while waiting\n');
    expect(text).toMatch(/^\[5\] \d+ exited with status 43 \(EIDRM\)$/m);
  });

  it('leaves nothing behind: its registry folder is gone', () => {
    expect(existsSync(dirname(scratchDb(r.stdout)))).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
    rmdirSync(tmp);
  });
});

describe('svsem tour options', () => {
  it('refuses a registry or output option of its own (exit 64)', () => {
    expect(svsem(freshDb(), 'tour')).toMatchObject({ status: 64, stdout: '' });
    const json = svsem(undefined, 'tour', '--json');
    expect(json.stderr).toMatch(/^svsem tour: the tour takes no --json/);
  });
});

describe('svsem tour interrupted', () => {
  it('removes its registry and its processes on SIGINT, and exits 4 (EINTR)', async () => {
    const tmp = ownTmpdir();
    // Its own process group, which the processes it starts share: none may outlive it.
    const tour = spawn(process.execPath, [CLI, 'tour'], {
      detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: tourEnv(tmp),
    });
    let out = '';
    let err = '';
    tour.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => tour.on('close', resolve));
    const job = await new Promise<number>((resolve, reject) => {
      tour.stdout.on('data', (d) => {
        out += d;
        const m = /^\[1\] (\d+)$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void exited.then(() => reject(new Error(`the tour ended before a job:\n${out}${err}`)));
    });
    const folder = dirname(scratchDb(out));
    const killAll = () => processGroup(tour.pid!).forEach((pid) => process.kill(pid, 'SIGKILL'));
    const guard = setTimeout(killAll, 10_000); // a tour that hangs fails the test, not the run
    try {
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      expect(processGroup(tour.pid!)).toContain(job);

      tour.kill('SIGINT');
      expect(await exited).toBe(4);
      expect(err).toMatch(/^svsem tour: EINTR: /);
      expect(existsSync(folder)).toBe(false);
      expect(readdirSync(tmp)).toEqual([]);
      expect(processGroup(tour.pid!)).toEqual([]);
      rmdirSync(tmp);
    } finally {
      clearTimeout(guard);
      killAll();
    }
  });

  it('stops quietly with 141, leaving nothing, when its reader goes away (| head)', async () => {
    const tmp = ownTmpdir();
    const tour = spawn(process.execPath, [CLI, 'tour'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: tourEnv(tmp),
    });
    let err = '';
    tour.stderr.on('data', (d) => (err += d));
    tour.stdout.once('data', () => tour.stdout.destroy());
    expect(await new Promise((resolve) => tour.on('close', resolve))).toBe(141);
    expect(err).toBe('');
    expect(readdirSync(tmp)).toEqual([]);
    rmdirSync(tmp);
  });
});
