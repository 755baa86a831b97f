/**
 * Every svsem command's command line, as data (see src/cli/spec.ts). A command's code is loaded
 * only when it runs, so an invocation pays for the one command it uses.
 */
import type { CommandSpec, OptionSpec } from './spec.js';

const owner: OptionSpec = {
  name: 'owner', kind: 'value', value: 'PID',
  describe: 'the process the change acts for: sempid and SEM_UNDO owner ' +
    '(default: the parent, your shell)',
};

const init: OptionSpec = {
  name: 'init', kind: 'value', value: 'VALUE',
  describe: 'initial value of every semaphore of a set this call creates (svsem extension)',
};

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'semget',
    summary: 'find or create a semaphore set; prints its id',
    positionals: [
      { name: 'key', describe: 'decimal, 0x hex, or IPC_PRIVATE (0)' },
      { name: 'nsems', describe: 'number of semaphores (needed to create)', optional: true },
    ],
    options: [
      {
        name: 'create', short: 'c', kind: 'flag',
        describe: 'IPC_CREAT: create the set if the key has none',
      },
      {
        name: 'excl', short: 'x', kind: 'flag',
        describe: 'IPC_EXCL: with --create, fail if the key has a set',
      },
      {
        name: 'mode', short: 'm', kind: 'value', value: 'MODE',
        describe: 'octal permission bits of semflg (default 0600 with --create, else 0)',
      },
      init,
    ],
    examples: [
      ['svsem semget 0x5eed 1 --create --init 1', 'a mutex: find it, or create it unlocked'],
      ['svsem semget IPC_PRIVATE 3 -c -m 0640', 'a new private set of three semaphores'],
    ],
    load: () => import('../commands/semget.js'),
  },
  {
    name: 'semop',
    summary: 'perform semaphore operations atomically, sleeping if they must wait',
    positionals: [
      { name: 'semid', describe: 'the set' },
      {
        name: 'ops', variadic: true,
        describe: 'SEMNUM:DELTA[:FLAGS] (flags n = IPC_NOWAIT, u = SEM_UNDO), or 0-1, 1+2u, 0=0',
      },
    ],
    options: [
      {
        name: 'nowait', short: 'n', kind: 'flag',
        describe: 'IPC_NOWAIT on every op: fail with EAGAIN instead of sleeping',
      },
      {
        name: 'undo', short: 'u', kind: 'flag',
        describe: 'SEM_UNDO on every op: undone when the owner exits',
      },
      {
        name: 'timeout', short: 't', kind: 'value', value: 'SECONDS',
        describe: 'semtimedop: give up after SECONDS (fractions allowed; 0 tries once)',
      },
      owner,
    ],
    examples: [
      ['svsem semop $id 0:-1 --undo', 'P: take semaphore 0, given back if the shell dies'],
      ['svsem semop $id 0:+1 --undo', 'V: give it back'],
      ['svsem semop $id 0:0 1:+1', 'wait until semaphore 0 is zero, then add one to semaphore 1'],
    ],
    load: () => import('../commands/semop.js'),
  },
  {
    name: 'semctl',
    summary: 'read or change a set: getval, setval, getall, setall, stat, set, rmid, info...',
    positionals: [
      {
        name: 'words', variadic: true,
        describe: 'SEMID CMD [ARG...], or info | seminfo | semstat INDEX | semstat-any INDEX',
      },
    ],
    options: [
      { name: 'uid', kind: 'value', value: 'UID', describe: 'set: the new owner' },
      { name: 'gid', kind: 'value', value: 'GID', describe: 'set: the new group' },
      { name: 'mode', kind: 'value', value: 'MODE', describe: 'set: the new octal permissions' },
      owner,
    ],
    examples: [
      ['svsem semctl $id getval 0', 'the value of semaphore 0'],
      ['svsem semctl $id setall 1 1 0', 'set all three values at once'],
      ['svsem semctl info --json', 'the limits (IPC_INFO) as JSON'],
    ],
    load: () => import('../commands/semctl.js'),
  },
  {
    name: 'ipcs',
    summary: 'show semaphore sets as util-linux ipcs -s does, or as JSON',
    positionals: [],
    options: [
      { name: 'semaphores', short: 's', kind: 'flag', describe: 'semaphore sets (the default)' },
      {
        name: 'all', short: 'a', kind: 'flag',
        describe: 'every resource: here, the semaphore sets',
      },
      {
        name: 'shmems', short: 'm', kind: 'flag', hidden: true,
        describe: 'shared memory (not emulated)',
      },
      {
        name: 'queues', short: 'q', kind: 'flag', hidden: true,
        describe: 'message queues (not emulated)',
      },
      { name: 'id', short: 'i', kind: 'value', value: 'ID', describe: 'the details of one set' },
      { name: 'limits', short: 'l', kind: 'flag', describe: 'the limits' },
      {
        name: 'summary', short: 'u', kind: 'flag',
        describe: 'how many sets and semaphores are in use',
      },
      { name: 'time', short: 't', kind: 'flag', describe: 'last operation and last change times' },
      { name: 'creator', short: 'c', kind: 'flag', describe: 'creators and owners' },
      {
        name: 'pid', short: 'p', kind: 'flag',
        describe: 'creator and last-operator pids (none for semaphores)',
      },
      {
        name: 'bytes', short: 'b', kind: 'flag',
        describe: 'sizes in bytes (no effect on semaphores)',
      },
      { name: 'human', kind: 'flag', describe: 'readable sizes (no effect on semaphores)' },
      {
        name: 'holders', kind: 'flag',
        describe: 'who holds (undo) and who waits for what, and for how long',
      },
    ],
    examples: [
      ['svsem ipcs', 'every set, as ipcs -s lists them'],
      ['svsem ipcs -i 0 --json', 'set 0 with its values, waiters and undo holders'],
      ['svsem ipcs --holders', 'who holds what and who waits'],
    ],
    load: () => import('../commands/ipcs.js'),
  },
  {
    name: 'ipcmk',
    summary: 'make a semaphore set with a random key, as util-linux ipcmk -S does',
    positionals: [],
    options: [
      {
        name: 'semaphore', short: 'S', kind: 'value', value: 'NSEMS',
        describe: 'the number of semaphores',
      },
      {
        name: 'mode', short: 'p', kind: 'value', value: 'MODE',
        describe: 'octal permissions (default 0644)',
      },
      {
        name: 'key', short: 'k', kind: 'value', value: 'KEY',
        describe: 'this key instead of a random one (svsem extension)',
      },
      init,
    ],
    examples: [['svsem ipcmk -S 2 -p 0600', 'a set of two semaphores only you may use']],
    load: () => import('../commands/ipcmk.js'),
  },
  {
    name: 'ipcrm',
    summary: 'remove semaphore sets by id or key, as util-linux ipcrm does',
    positionals: [
      { name: 'legacy', describe: 'the old syntax: sem ID...', variadic: true, optional: true },
    ],
    options: [
      {
        name: 'semaphore-id', short: 's', kind: 'list', value: 'ID',
        describe: 'remove the set with this id',
      },
      {
        name: 'semaphore-key', short: 'S', kind: 'list', value: 'KEY',
        describe: 'remove the set with this key',
      },
      {
        name: 'all', short: 'a', kind: 'optional', value: 'sem',
        describe: 'remove every set you may (--all or --all=sem)',
      },
      { name: 'verbose', short: 'v', kind: 'flag', describe: 'say what is being removed' },
    ],
    examples: [['svsem ipcrm -s 3 -S 0x1234', 'remove set 3 and the set with key 0x1234']],
    load: () => import('../commands/ipcrm.js'),
  },
  {
    name: 'ftok',
    summary: 'print the IPC key ftok(3) derives from a path and a project id',
    positionals: [
      { name: 'path', describe: 'an existing file' },
      {
        name: 'proj', optional: true,
        describe: 'project id: a number or one character (default 1)',
      },
    ],
    options: [],
    examples: [["svsem ftok /etc/passwd A", "the key of ftok(\"/etc/passwd\", 'A')"]],
    load: () => import('../commands/ftok.js'),
  },
  {
    name: 'tour',
    summary: 'a guided walkthrough of System V semaphores, run for real on a scratch registry',
    positionals: [],
    options: [
      {
        name: 'pause', kind: 'flag',
        describe: 'wait for Enter between steps (when stdin is a terminal)',
      },
    ],
    examples: [
      ['svsem tour', 'the whole tour, as one transcript'],
      ['svsem tour --pause', 'one step at a time'],
    ],
    load: () => import('../commands/tour.js'),
  },
  {
    name: 'run',
    summary: 'run a command while holding K units of a semaphore; crash-safe',
    positionals: [
      {
        name: 'command', describe: 'the command to run, and its arguments',
        variadic: true, optional: true,
      },
    ],
    options: [
      { name: 'id', kind: 'value', value: 'SEMID', describe: 'the set, by id' },
      { name: 'key', kind: 'value', value: 'KEY', describe: 'the set, by key' },
      {
        name: 'create', kind: 'value', value: 'NSEMS',
        describe: 'with --key: create a set of NSEMS semaphores if the key has none',
      },
      {
        name: 'init', kind: 'value', value: 'VALUE',
        describe: 'with --create: the initial value of each semaphore',
      },
      { name: 'sem', kind: 'value', value: 'N', describe: 'the semaphore number (default 0)' },
      { name: 'count', kind: 'value', value: 'K', describe: 'the units to take (default 1)' },
      {
        name: 'nowait', short: 'n', kind: 'flag',
        describe: 'fail at once if the units are not free',
      },
      {
        name: 'timeout', short: 't', kind: 'value', value: 'SECONDS',
        describe: 'give up after SECONDS',
      },
      {
        name: 'conflict-exit-code', short: 'E', kind: 'value', value: 'STATUS',
        describe: 'exit status when the units cannot be taken (default 1)',
      },
    ],
    optionsFirst: true,
    examples: [
      ['svsem run --key 0x10 --create 1 --init 2 -- make -j1', 'at most two makes at a time'],
      ['svsem run --id $id -n -- ./deploy', 'deploy only if nobody else is deploying'],
    ],
    load: () => import('../commands/run.js'),
  },
  {
    name: 'shell',
    summary: 'run svsem command lines from stdin against one open registry',
    positionals: [],
    options: [
      {
        name: 'bail', kind: 'flag',
        describe: 'stop at the first line that fails and exit with its status',
      },
      {
        name: 'owner', kind: 'value', value: 'PID',
        describe: 'the acting process of every line without an --owner of its own ' +
          '(default: the parent, your shell)',
      },
    ],
    examples: [
      ["printf 'semop 0 0:-1\\nsemctl 0 getall\\n' | svsem shell", 'two commands, one process'],
      ['svsem shell --db /tmp/lab.db', 'an interactive session on a scratch registry'],
    ],
    load: () => import('../commands/shell.js'),
  },
  {
    name: 'watch',
    summary: 'a live view of the sets, or of one set\'s semaphores, waiters and holders',
    positionals: [{ name: 'semid', describe: 'show this set in detail', optional: true }],
    options: [
      {
        name: 'interval', kind: 'value', value: 'SECONDS',
        describe: 'also refresh this often when nothing signals a change (default 1)',
      },
      {
        name: 'count', kind: 'value', value: 'N',
        describe: 'stop after N views (default: until q or Ctrl-C)',
      },
    ],
    examples: [
      ['svsem watch', 'every set, refreshed as the registry changes'],
      ['svsem watch $id', 'one set: values, counts, who waits and who holds undo'],
      ['svsem watch --json --count 1', 'one snapshot as JSON, for a script'],
    ],
    load: () => import('../commands/watch.js'),
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
