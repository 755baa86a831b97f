/**
 * svsem against the real kernel: each test runs one script on Linux (helper.c, in a private IPC
 * namespace, so ids start at 0) and on svsem (a fresh registry), and expects the same result for
 * every command. The kernel is the authority; the comments say what it returned on Linux 6.18.
 * Every semop op that could block carries IPC_NOWAIT, so nothing sleeps; a call that sleeps
 * anyway shows up as "blocked" (the helper's alarm, svsem's time limit in harness.ts). `proc P`
 * switches between processes that make the calls; `exit` ends one (its SEM_UNDO adjustments are
 * applied), and its next call starts a new one, as root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runOnKernel, runOnSvsem, scriptLines, sessionRunner, spawnRunner, startOwner, type SvsemRunner,
} from './harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/svsem.cjs');
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const HELPER_SOURCE = fileURLToPath(new URL('./helper.c', import.meta.url));

/** Why these tests cannot run here, or undefined when they can. */
function missingPrerequisite(): string | undefined {
  if (spawnSync('gcc', ['--version']).error) return 'gcc is not installed';
  const unshare = spawnSync('unshare', ['--ipc', 'true'], { encoding: 'utf8' });
  if (unshare.error) return 'unshare is not installed';
  if (unshare.status !== 0) return `'unshare --ipc true' failed: ${unshare.stderr.trim()}`;
  return undefined;
}

const skipReason = missingPrerequisite();
if (skipReason) console.warn(`test/kernel/kernel.test.ts skipped: ${skipReason}`);

let workDir = '';
let helper = '';
let registries = 0;

function freshRegistry(): string {
  return join(workDir, `registry-${++registries}.db`);
}

/** Each line as `command -> result`, so a diff shows the op next to what came back. */
function transcript(lines: string[], results: string[]): string[] {
  return lines.map((line, i) => `${line}  ->  ${results[i]}`);
}

/**
 * Runs `lines` on both sides and expects svsem to answer every command as the kernel did. svsem's
 * calls act for processes of their own, which the script's `exit` ends as the helper's end.
 */
async function expectSameAsKernel(lines: string[], runner: SvsemRunner): Promise<string[]> {
  const kernel = await runOnKernel(helper, lines);
  let svsem: string[];
  try {
    svsem = await runOnSvsem(runner, freshRegistry(), lines, startOwner);
  } finally {
    runner.close();
  }
  const i = lines.findIndex((_, n) => kernel[n] !== svsem[n]);
  const message = i < 0 ? '' : `step ${i + 1} '${lines[i]}': kernel ${kernel[i]}, svsem ${svsem[i]}`;
  expect(transcript(lines, svsem), message).toEqual(transcript(lines, kernel));
  return kernel;
}

/** `count` rounds of creating a set and removing it again. */
function createRemoveLoop(count: number): string {
  return Array.from({ length: count }, () => 'semget 0 1 0600\nrmid $').join('\n');
}

const session = () => sessionRunner(MAIN);

describe.skipIf(skipReason !== undefined)('svsem against the Linux kernel', () => {
  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'svsem-kernel-'));
    helper = join(workDir, 'helper');
    execFileSync('gcc', ['-std=gnu11', '-O1', '-Wall', '-o', helper, HELPER_SOURCE]);
    // test/setup/build.ts normally builds the CLI; build it here too if it is missing.
    if (!existsSync(CLI)) execFileSync('npm', ['run', 'build'], { cwd: ROOT });
  });

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('allocates ids cyclically and bumps the sequence when the index wraps', async () => {
    const lines = scriptLines(`
      semget 0 1 0600            # 0
      semget 0 1 0600            # 1
      semget 0 1 0600            # 2
      rmid 1
      semget 0 1 0600            # 3: index 1 is not reused at once
      info                       # highest index 3
      rmid 0
      rmid 2
      rmid 3
      seminfo                    # highest 0, no sets
      ${createRemoveLoop(70)}    # 4..63, then 32768..32777 (index 0, seq 1)
      semget 0 1 0600            # 32778
      stat $                     # seq=1
      getval $ 0                 # 0
      getval 10 0                # EINVAL: index 10 is live, but with seq 1 (a stale id)
      rmid 10                    # EINVAL
      getval 65546 0             # EINVAL: seq 2
      info                       # highest index 10
    `);
    const kernel = await expectSameAsKernel(lines, session());

    const ids = kernel.filter((_, i) => lines[i]!.startsWith('semget')).map(Number);
    const expected = [0, 1, 2, 3, ...Array.from({ length: 60 }, (_, i) => 4 + i),
      ...Array.from({ length: 11 }, (_, i) => 32768 + i)];
    expect(ids, 'the kernel here allocates ids unlike Linux 6.18, which svsem models').toEqual(expected);
  });

  it('wraps to the lowest free index, skipping sets still alive', async () => {
    const lines = scriptLines(`
      semget 0 1 0600            # 0, kept
      semget 0 1 0600            # 1, kept
      rmid 0
      ${createRemoveLoop(64)}    # 2..63, then 32768 (index 0 free again), 32770 (skips index 1)
      semget 0 1 0600            # 32771
      stat $                     # seq=1
      getval 1 0                 # 0: the live set at index 1 still answers to its id
      getval 32769 0             # EINVAL
    `);
    await expectSameAsKernel(lines, session());
  });

  it('checks semget arguments in the kernel order (separate svsem processes)', async () => {
    const lines = scriptLines(`
      semget 4660 32001 0        # EINVAL: nsems > SEMMSL is checked before the key lookup
      semget 4660 1 0            # ENOENT
      semget 4660 1 02000        # ENOENT: IPC_EXCL alone does not create
      semget 4660 32001 01600    # EINVAL
      semget 4660 0 01600        # EINVAL: a new set needs at least one semaphore
      semget 4660 2 03600        # 0
      semget 0x1234 2 03600      # EEXIST: the same key in hex
      semget 4660 32001 03600    # EINVAL before EEXIST
      semget 4660 3 03600        # EEXIST before the nsems check against the set
      semget 4660 3 0            # EINVAL: more semaphores than the set has
      semget 4660 2 0            # 0
      semget 4660 0 01777        # 0: the mode of an existing set is left alone
      stat 0
      semget 0 0 0600            # EINVAL
      semget 0 1 03600           # 1: IPC_PRIVATE always creates
      semget 0 1 0600            # 2
      semget 0x80000001 1 01640  # 3: a negative key
      stat 3                     # key=-2147483647
      semget -2147483647 0 0     # 3
      rmid 3
      semget 0x80000001 0 0      # ENOENT
    `);
    await expectSameAsKernel(lines, spawnRunner(CLI));
  });

  it('applies a semop whole or not at all, checking each op in array order', async () => {
    const lines = scriptLines(`
      semget 0 2 0600
      semop 0 0:-1:n             # EAGAIN
      semop 0 0:0:n 1:0:n        # 0: wait-for-zero on zeros
      stat 0                     # otime set
      getpid 0 1                 # set, also for a wait-for-zero op
      semget 0 2 0600            # 1
      semop 1 0:-1:n             # EAGAIN
      semop 1 0:1:n 0:-2:n       # EAGAIN: the +1 is not kept
      getall 1                   # 0 0
      stat 1                     # otime still 0
      getpid 1 0                 # 0
      setval 0 1 32767
      semop 0 1:1:n              # ERANGE
      semop 0 1:1:n 0:-1:n       # ERANGE: the overflow comes first
      semop 0 0:-1:n 1:1:n       # EAGAIN: the decrement comes first
      getall 0                   # 0 32767
      semop 0 2:1:n              # EFBIG
      semop 0 0:-1:n 65535:0:n   # EFBIG before evaluation
      semop 1 0:1:n 1:0:n 0:-1:n 2:0:n  # EFBIG
      getall 1                   # 0 0
      setval 0 1 0
      setval 0 0 1
      semop 0 0:5:n 0:-6:n 0:3:n # 0: each step stays within 0..32767
      getall 0                   # 3 0
      semop 0 0:-4:n 0:5:n       # EAGAIN: the first step would go below 0
      semop 0 0:-3:n 0:0:n 1:0:n # 0: wait-for-zero sees the earlier decrement
      getall 0                   # 0 0
      setval 0 0 32766
      semop 0 0:1:n 0:-1:n       # 0
      semop 0 0:2:n 0:-2:n       # ERANGE
      semop 0 0:-32768:n         # EAGAIN
      getall 0                   # 32766 0
      setval 0 0 1
      semop 0 0:-1 1:-1:n        # EAGAIN: only the flag of the op that blocks counts
      getall 0                   # 1 0
      semop 0 0:1:n 0:1:n 1:2:n 1:-1:n  # 0: several ops on one semaphore
      getall 0                   # 3 1
      getncnt 0 0                # 0
      getzcnt 0 1                # 0
      semop -1 0:0:n             # EINVAL
      semop 7 0:0:n              # EINVAL
    `);
    await expectSameAsKernel(lines, session());
  });

  it('bounds nsops and the SEM_UNDO adjustment', async () => {
    const ops = (count: number, op: string) => Array<string>(count).fill(op).join(' ');
    const lines = scriptLines(`
      semget 0 2 0600
      semop 0 ${ops(500, '0:1:n')}   # 0: SEMOPM ops
      semop 0 ${ops(501, '0:1:n')}   # E2BIG
      getall 0                   # 500 0
      setval 0 0 3
      semop 0 0:-3:nu            # semadj +3
      semop 0 0:32767:nu         # semadj -32764
      semop 0 0:-32767:n
      semop 0 0:5:nu             # ERANGE: semadj would be -32769
      semop 0 0:4:nu             # 0: semadj -32768
      semop 0 0:1:nu 1:-5:n      # ERANGE: the adjustment is checked first
      semop 0 1:-5:n 0:1:nu      # EAGAIN: the decrement is checked first
      getall 0                   # 4 0
      setval 0 0 4               # clears semadj
      semop 0 0:1:nu             # 0
      getall 0                   # 5 0
    `);
    await expectSameAsKernel(lines, session());
  });

  it('keeps the undo record of a SEM_UNDO call that fails; its exit stamps otime', async () => {
    const lines = scriptLines(`
      semget 0 1 0600            # 0
      semget 0 2 0600            # 1
      semget 0 1 0600            # 2
      semget 0 1 0600            # 3
      semget 0 1 0600            # 4
      setval 3 0 1
      semop 0 0:-1:nu            # EAGAIN, after find_alloc_undo()
      semop 1 2:1:u              # EFBIG, after it too
      semtimedop 2 0:-1:u        # EAGAIN: a zero timeout ran out
      semop 3 0:-1:n 0:1:nu      # 0: a record with semadj 0
      semop 4 0:-1:n             # EAGAIN: no undo, no record
      stat 0                     # otime 0: the call failed
      stat 1                     # otime 0
      stat 2                     # otime 0
      exit
      stat 0                     # otime set: the exit found a record
      stat 1                     # otime set
      stat 2                     # otime set
      stat 3                     # otime set
      stat 4                     # otime 0
      getall 3                   # 1
      getpid 3 0                 # set (by the semop, not by the exit)
    `);
    await expectSameAsKernel(lines, session());
  });

  it('validates semctl arguments and forgets removed ids', async () => {
    const lines = scriptLines(`
      semget 0 2 0600            # 0
      setval 0 0 32768           # ERANGE
      setval 0 0 -1              # ERANGE
      setval 7 0 -1              # ERANGE before the id lookup
      setval 7 0 1               # EINVAL
      setval -1 0 1              # EINVAL
      setval -1 0 32768          # EINVAL: a negative id is refused before the value is checked
      setval 0 2 1               # EINVAL: semnum
      getval 0 2                 # EINVAL
      getval 0 -1                # EINVAL
      getval -1 0                # EINVAL
      getval 0 0                 # 0
      getncnt 0 2                # EINVAL
      getzcnt 0 -1               # EINVAL
      getpid 0 5                 # EINVAL
      setval 0 1 32767
      getval 0 1                 # 32767
      getpid 0 1                 # set: SETVAL records the caller
      getpid 0 0                 # 0
      setall 0 1 32768           # ERANGE, nothing changed
      getall 0                   # 0 32767
      setall 0 1 2
      getall 0                   # 1 2
      getpid 0 0                 # set
      stat 0                     # otime 0: SETVAL and SETALL are not semops
      rmid 0
      rmid 0                     # EINVAL
      getval 0 0                 # EINVAL
      getall 0                   # EINVAL
      stat 0                     # EINVAL
      setall 0 1 1               # EINVAL
      semget 0 1 0644            # 1
      getval 0 0                 # EINVAL: the removed id stays invalid
      setval 0 0 1               # EINVAL
      stat 1                     # mode=0644 nsems=1
      semget 0 3 07777           # 2
      stat 2                     # mode=0777: only the permission bits are kept
      info
      seminfo                    # 2 sets, 4 semaphores
    `);
    await expectSameAsKernel(lines, session());
  });

  it('checks permissions for another user (--as / seteuid)', async () => {
    const lines = scriptLines(`
      semget 8192 1 01600        # 0: root's, mode 0600
      semget 8193 1 01644        # 1: root's, mode 0644
      as 1000 1000
      getval 0 0                 # EACCES
      getval 0 9                 # EACCES beats a bad semnum
      getpid 0 0                 # EACCES
      getncnt 0 0                # EACCES
      getall 0                   # EACCES
      stat 0                     # EACCES
      setval 0 0 1               # EACCES
      setval 0 9 1               # EINVAL: SETVAL checks semnum first
      setval 0 0 40000           # ERANGE
      setall 0 1                 # EACCES
      semop 0 0:1:n              # EACCES
      semop 0 0:0:n              # EACCES: wait-for-zero needs read
      semop 0 3:1:n              # EFBIG beats EACCES
      rmid 0                     # EPERM
      semget 8192 0 0600         # EACCES
      semget 8192 0 0            # 0: asks for no permission
      semget 8192 2 0600         # EINVAL before EACCES
      semget 8192 1 03600        # EEXIST before EACCES
      getval 1 0                 # 0
      stat 1
      setval 1 0 1               # EACCES
      semop 1 0:0:n              # 0: read is enough to wait for zero
      semop 1 0:0:n 0:1:n        # EACCES: any non-zero op needs alter
      rmid 1                     # EPERM
      semget 8193 0 0444         # 1
      semget 8193 0 0200         # EACCES
      semget 8194 1 01640        # 2: created by 1000:1000
      stat 2
      setval 2 0 3
      as 1001 1000
      getval 2 0                 # 3: the group may read
      setval 2 0 1               # EACCES
      rmid 2                     # EPERM
      as 1001 1001
      getval 2 0                 # EACCES
      as 1000 1000
      semget 8195 1 01060        # 3: mode 0060, its creator is not let in through the group
      getval 3 0                 # EACCES
      rmid 3                     # 0: the owner needs no mode bits to remove
      as 0 0
      getval 0 0                 # 0
      setval 2 0 7               # 0: root passes every check
      getval 2 0                 # 7
      rmid 2                     # 0
    `);
    await expectSameAsKernel(lines, session());
  });
});
