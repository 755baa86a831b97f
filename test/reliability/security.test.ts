/**
 * Security: what svsem creates is private unless the registry's owner opened it up; svsem never
 * writes through a symlink it did not choose; --as belongs to root; SQL is never built from
 * values; and permission checks for a real non-root process are the kernel's.
 *
 * Switching users needs root (setpriv); the kernel comparison needs gcc and unshare. A case that
 * cannot run here is skipped with the reason.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync,
  statSync, symlinkSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runOnKernel, runOnSvsem, scriptLines, sessionRunner, type Outcome as HarnessOutcome,
  type SvsemRunner,
} from '../kernel/harness.js';
import {
  CLI, OTHER_GID, OTHER_UID, bytes, otherUserUnavailable, scratchFolder, spawnSvsem,
} from './fixtures.js';

const ROOT = join(__dirname, '..', '..');
const otherUser = otherUserUnavailable();
if (otherUser) console.warn(`security.test.ts: cases as another user skipped: ${otherUser}`);

/** Waits until `predicate` holds, checking every 50 ms for at most `ms`. */
async function until(predicate: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !predicate() && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Creates a registry (in new folders a/b) and keeps a semop sleeping on it, so that the -wal,
 * -shm and .wake files exist; calls `look` while they do, then lets the semop time out.
 */
async function whileOpen(
  db: string,
  options: { umask?: number; uid?: number; real?: string },
  look: () => void,
): Promise<void> {
  expect(spawnSvsem(['--db', db, 'semget', '0', '1', '-c'], options).status).toBe(0);
  let argv = [process.execPath, CLI, '--db', db, 'semop', '0', '0:-1', '-t', '3'];
  if (options.uid !== undefined) {
    argv = ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', ...argv];
  }
  const umask = (options.umask ?? 0o022).toString(8);
  const waiter = spawn('sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', ...argv], { stdio: 'ignore' });
  const exited = new Promise((resolve) => waiter.on('exit', resolve));
  try {
    const real = options.real ?? db;
    await until(() => ['-wal', '-shm', '.wake'].every((s) => existsSync(real + s)));
    look();
  } finally {
    waiter.kill('SIGINT');
    await exited;
  }
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('files svsem creates', () => {
  it.each([0o000, 0o022, 0o077])('are private to their owner under umask %o', async (umask) => {
    const top = scratchFolder();
    const db = join(top, 'a', 'b', 'registry.db');
    await whileOpen(db, { umask }, () => {
      for (const path of [join(top, 'a'), join(top, 'a', 'b')]) expect(modeOf(path), path).toBe(0o700);
      for (const suffix of ['', '-wal', '-shm', '.wake']) {
        expect(modeOf(db + suffix) & 0o077, `registry.db${suffix}`).toBe(0);
      }
    });
  });

  it('share the mode of a registry its owner opened up, and root gives them its owner', async (ctx) => {
    if (otherUser) ctx.skip(otherUser);
    const dir = scratchFolder(OTHER_UID);
    const db = join(dir, 'registry.db');
    expect(spawnSvsem(['--db', db, 'semget', '0', '1', '-c'], { uid: OTHER_UID }).status).toBe(0);
    chmodSync(db, 0o660);
    // root waits on the user's registry: what it creates must stay usable by the user.
    await whileOpen(db, {}, () => {
      for (const suffix of ['-wal', '-shm', '.wake']) {
        const st = statSync(db + suffix);
        expect({ file: suffix, mode: st.mode & 0o777, uid: st.uid }).toEqual({ file: suffix, mode: 0o660, uid: OTHER_UID });
      }
    });
  });

  it('beside a registry reached through a symlink go beside the file itself', async () => {
    const dir = scratchFolder();
    const real = join(dir, 'real', 'registry.db');
    mkdirSync(join(dir, 'real'));
    expect(spawnSvsem(['--db', real, 'semget', '0', '1', '-c']).status).toBe(0);
    const link = join(dir, 'link.db');
    symlinkSync(real, link);
    await whileOpen(link, { real }, () => {
      expect(readdirSync(dir).sort()).toEqual(['link.db', 'real']);
      for (const suffix of ['-wal', '-shm', '.wake']) expect(existsSync(real + suffix), suffix).toBe(true);
    });
  });
});

describe('symlinks where svsem creates files', () => {
  it('refuses a registry path that is a symlink to a missing or an empty file', () => {
    const dir = scratchFolder();
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    symlinkSync(empty, join(dir, 'to-empty.db'));
    symlinkSync(join(dir, 'missing'), join(dir, 'to-missing.db'));
    for (const name of ['to-empty.db', 'to-missing.db']) {
      const r = spawnSvsem(['--db', join(dir, name), 'semget', '0', '1', '-c']);
      expect(r.status, r.stderr).toBe(74);
      expect(r.stderr).toMatch(/symlink/);
    }
    expect(bytes(empty).length).toBe(0);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('does not create folders through a dangling symlink', () => {
    const dir = scratchFolder();
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'link'));
    const r = spawnSvsem(['--db', join(dir, 'link', 'sub', 'registry.db'), 'ipcs']);
    expect(r.status, r.stderr).toBe(74);
    expect(existsSync(join(dir, 'elsewhere'))).toBe(false);
  });

  it('never writes through a symlink put where its -wal, -shm or .wake file goes', async () => {
    const dir = scratchFolder();
    const db = join(dir, 'registry.db');
    expect(spawnSvsem(['--db', db, 'semget', '0', '1', '-c']).status).toBe(0);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    for (const suffix of ['-wal', '-shm']) {
      symlinkSync(victim, db + suffix);
      const r = spawnSvsem(['--db', db, 'semctl', '0', 'setval', '0', '1']);
      expect(r.status, `${suffix}: ${r.stderr}`).toBe(74);
      unlinkSync(db + suffix);
    }
    // The wake file: a waiter watches it and a poster that wakes the waiter rewrites it.
    symlinkSync(victim, db + '.wake');
    const waiter = spawn(process.execPath, [CLI, '--db', db, 'semop', '0', '0:-2', '-t', '5'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => waiter.on('exit', resolve));
    await until(() => spawnSvsem(['--db', db, 'semctl', '0', 'getncnt', '0']).stdout === '1\n');
    expect(spawnSvsem(['--db', db, 'semop', '0', '0:+2']).status).toBe(0);
    expect(await exited).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(db + '.wake').isSymbolicLink()).toBe(true);
  });
});

describe.skipIf(otherUser !== undefined)('--as', () => {
  it('is refused to anyone but root, on the command line and in svsem shell', () => {
    const dir = scratchFolder(OTHER_UID);
    const db = join(dir, 'registry.db');
    expect(spawnSvsem(['--db', db, 'semget', '0x1', '1', '-c', '-m', '0600'], { uid: OTHER_UID }).status).toBe(0);
    const before = bytes(db);
    for (const as of ['0', '0:0', String(OTHER_UID)]) {
      const r = spawnSvsem(['--db', db, 'semctl', '0', 'rmid', '--as', as], { uid: OTHER_UID });
      expect(r.status, r.stderr).toBe(64);
      expect(r.stderr).toMatch(/^svsem semctl: --as is allowed only to root\n/);
    }
    const shell = spawnSvsem(['--db', db, 'shell'], { uid: OTHER_UID, input: 'semctl 0 rmid --as 0\n' });
    expect(shell.status).toBe(64);
    expect(bytes(db).equals(before)).toBe(true);
    expect(spawnSvsem(['--db', db, 'semctl', '0', 'getval', '0', '--as', String(OTHER_UID)]).status).toBe(0);
  });
});

/**
 * SQL built from values: every call of prepare, exec or pragma in src/ must pass a literal, a
 * member of a const table of literals (sqlite.ts's SQL), a migration script read from db/, or,
 * for pragma only, a template whose every ${...} is of type number (a constant or a version).
 */
function stringBuiltSql(files: string[]): string[] {
  const program = ts.createProgram(files, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  const literal = (e: ts.Expression) => ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e);
  const isNumber = (e: ts.Expression) => (checker.getTypeAtLocation(e).flags & ts.TypeFlags.NumberLike) !== 0;
  const tableOfLiterals = (e: ts.Expression) => {
    if (!ts.isElementAccessExpression(e) && !ts.isPropertyAccessExpression(e)) return false;
    const decl = checker.getSymbolAtLocation(e.expression)?.valueDeclaration;
    return decl !== undefined && ts.isVariableDeclaration(decl) && decl.initializer !== undefined &&
      ts.isObjectLiteralExpression(decl.initializer) && (decl.parent.flags & ts.NodeFlags.Const) !== 0 &&
      decl.initializer.properties.every((p) => ts.isPropertyAssignment(p) && literal(p.initializer));
  };
  const migrationScript = (e: ts.Expression) => ts.isCallExpression(e) && e.expression.getText() === 'readFileSync' &&
    /^m\.file$/.test(e.arguments[0]?.getText() ?? '');
  for (const source of program.getSourceFiles().filter((s) => files.includes(s.fileName))) {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.arguments[0]) {
        const method = node.expression.name.text;
        const sql = node.arguments[0];
        const ok = literal(sql) || tableOfLiterals(sql) || (method === 'exec' && migrationScript(sql)) ||
          (method === 'pragma' && ts.isTemplateExpression(sql) && sql.templateSpans.every((s) => isNumber(s.expression)));
        const regex = checker.getTypeAtLocation(node.expression.expression).getSymbol()?.getName() === 'RegExp';
        if (['prepare', 'exec', 'pragma'].includes(method) && !regex && !ok) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          found.push(`${relative(ROOT, source.fileName)}:${line + 1}: ${node.getText().slice(0, 80)}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
}

describe('SQL', () => {
  it('is never built from values in src/', () => {
    const files = sourceFiles(join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(10);
    expect(stringBuiltSql(files)).toEqual([]);
  });

  it('is caught when it is (the scan can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svsem-sql-scan-'));
    const file = join(dir, 'bad.ts');
    writeFileSync(file, [
      'declare const db: { prepare(s: string): void; exec(s: string): void; pragma(s: string): void };',
      'export function f(key: string, n: number) {',
      '  db.prepare(`SELECT * FROM sem_set WHERE key = ${key}`);',
      "  db.exec('DELETE FROM sem_set WHERE semid = ' + key);",
      '  db.pragma(`user_version = ${key}`);',
      '  db.pragma(`user_version = ${n}`);',
      "  db.prepare('SELECT 1');",
      '}',
    ].join('\n'));
    try {
      expect(stringBuiltSql([file]).map((v) => v.replace(/^.*?:(\d+):.*/, '$1'))).toEqual(['3', '4', '5']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Why the kernel comparison cannot run here, or undefined when it can. */
function kernelUnavailable(): string | undefined {
  if (otherUser) return otherUser;
  if (spawnSync('gcc', ['--version']).error) return 'gcc is not installed';
  const unshare = spawnSync('unshare', ['--ipc', 'true'], { encoding: 'utf8' });
  if (unshare.status !== 0) return `'unshare --ipc true' failed: ${(unshare.stderr ?? '').trim()}`;
  return undefined;
}

const kernelSkip = kernelUnavailable();

/**
 * svsem as a real process of another user: `--as UID:GID` in what the harness asks becomes that
 * user through setpriv (no supplementary groups, as the kernel helper's `as`).
 */
function realUserRunner(): SvsemRunner {
  return {
    run: async (argv): Promise<HarnessOutcome> => {
      const at = argv.indexOf('--as');
      const [uid, gid] = at < 0 ? [undefined, undefined] : argv[at + 1]!.split(':').map(Number);
      const rest = at < 0 ? argv : [...argv.slice(0, at), ...argv.slice(at + 2)];
      const r = spawnSvsem(rest, { uid, gid });
      const lines = (t: string) => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
      return { status: r.status, out: lines(r.stdout), err: lines(r.stderr) };
    },
    close: () => {},
  };
}

/** Sets of root and of a user, read and changed by that user, a group member and a stranger. */
const PERMISSIONS = `
  semget 0x100 2 01600
  semget 0x101 2 01640
  semget 0x102 2 01606
  semget 0x103 2 01444
  as ${OTHER_UID} ${OTHER_GID}
  getval 0 0
  getval 2 0
  setval 2 0 5
  setval 3 0 5
  getval 3 0
  semop 2 0:-1:n
  semop 0 0:1:n
  stat 1
  stat 2
  rmid 2
  semget 0x102 2 0606
  semget 0x100 2 0600
  semget 0x100 2 0
  semget 0x104 2 01460
  getval 4 0
  setval 4 0 1
  semop 4 1:1:n
  as ${OTHER_UID + 1} ${OTHER_GID}
  getval 4 0
  setval 4 0 2
  getval 1 0
  rmid 4
  as 0 0
  stat 4
  rmid 4
`;

describe.skipIf(kernelSkip !== undefined)('permission checks of a non-root process', () => {
  let work = '';
  let helper = '';
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'svsem-perm-'));
    chmodSync(work, 0o777);
    helper = join(work, 'helper');
    execFileSync('gcc', ['-std=gnu11', '-O1', '-Wall', '-o', helper, join(ROOT, 'test', 'kernel', 'helper.c')]);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('match the kernel, as a real process and through --as alike', async () => {
    const lines = scriptLines(PERMISSIONS);
    const kernel = await runOnKernel(helper, lines);
    const db = join(work, 'shared.db');
    expect(spawnSvsem(['--db', db, 'ipcs']).status).toBe(0);
    chmodSync(db, 0o666); // a registry every user of the test may open, as the man page shows
    const real = await runOnSvsem(realUserRunner(), db, lines);
    const session = sessionRunner(join(ROOT, 'dist', 'src', 'cli', 'main.js'));
    let viaAs: string[];
    try {
      viaAs = await runOnSvsem(session, join(work, 'as.db'), lines);
    } finally {
      session.close();
    }
    const table = (results: string[]) => lines.map((l, i) => `${l}  ->  ${results[i]}`);
    expect(table(real)).toEqual(table(kernel));
    expect(table(viaAs)).toEqual(table(kernel));
  });
});
