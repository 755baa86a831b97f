// Builds svsem: the library and its types with tsc (dist/src), and the executable with esbuild as
// one CommonJS bundle (dist/svsem-main.cjs) run by a small launcher (dist/svsem.cjs, the bin)
// through a V8 code cache made here (src/launch.cts says how).
//
// One file loads faster than the ESM module graph tsc emits: Node reads, resolves and links a
// single module instead of some forty. better-sqlite3's JavaScript is in it too (its native addon
// is loaded from node_modules): required from outside, its ten small files cost a start-up more to
// find, read and compile than the rest of svsem. yargs and cli-table3 stay outside and are required
// only by the code paths that use them (yargs by --help and completion alone), and so does
// `bindings`, which better-sqlite3 needs only when svsem cannot find the addon itself.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const path = (relative) => fileURLToPath(new URL(relative, root));

/** What the code cache is made from: the commands a script runs most, in one svsem shell. */
const TRAINING = ['semget 0 1 -c', 'semop 0 0:+1', 'semctl 0 getval 0', 'semctl 0 getall', 'ipcs'];

const tsc = path('node_modules/typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

const common = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: [path('src/cli.ts')],
  outfile: path('dist/svsem-main.cjs'),
  external: ['yargs', 'cli-table3', 'bindings'],
  // import.meta.url has no meaning in CommonJS; give the bundle its own file's URL.
  define: { 'import.meta.url': '__svsem_url' },
  banner: { js: "const __svsem_url = require('node:url').pathToFileURL(__filename).href;" },
});
refuseImportAtRunTime(path('dist/svsem-main.cjs'));
await build({ ...common, entryPoints: [path('src/launch.cts')], outfile: path('dist/svsem.cjs') });
chmodSync(path('dist/svsem.cjs'), 0o755);
writeCodeCache();

/**
 * The launcher runs the bundle through node:vm, where import() works only behind an experimental
 * flag and never from a code cache: a module outside the bundle must be imported statically by a
 * module of the bundle (that one may be import()ed: esbuild makes that a require).
 */
function refuseImportAtRunTime(bundle) {
  const line = readFileSync(bundle, 'utf8').split('\n').findIndex((l) => /\bimport\(/.test(l));
  if (line >= 0) {
    throw new Error(`${bundle}:${line + 1}: import() of a module outside the bundle; import it ` +
      'statically from a module of svsem (see src/format/table.ts)');
  }
}

/**
 * The code cache: the code compiled by a svsem shell running TRAINING, saved by the launcher as
 * the shell exits. It runs on a scratch registry, with no NODE_OPTIONS (V8 refuses a cache made
 * under other flags). svsem works without it, only starts slower, so a failure here is a warning.
 */
function writeCodeCache() {
  rmSync(path('dist/svsem-main.cjs.cache'), { force: true });
  const scratch = mkdtempSync(join(tmpdir(), 'svsem-build-'));
  try {
    const env = {
      ...process.env, NODE_OPTIONS: '', SVSEM_DB: join(scratch, 'registry.db'),
      SVSEM_WRITE_CODE_CACHE: '1',
    };
    execFileSync(process.execPath, [path('dist/svsem.cjs'), 'shell', '--bail'], {
      env, input: TRAINING.join('\n') + '\n', stdio: ['pipe', 'ignore', 'pipe'],
    });
  } catch (err) {
    rmSync(path('dist/svsem-main.cjs.cache'), { force: true });
    process.stderr.write(`build: no code cache, svsem will start slower: ${err.stderr ?? err}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
