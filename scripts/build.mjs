// Builds svsem: the library and its types with tsc (dist/src), and the executable as one
// CommonJS file (dist/svsem.cjs) with esbuild. One file loads faster than the ESM module graph
// tsc emits: Node reads, resolves and links a single module instead of some forty. better-sqlite3's
// JavaScript is in it too (its native addon is loaded from node_modules): required from outside,
// its ten small files cost a start-up more to find, read and compile than the rest of svsem. yargs
// and cli-table3 stay outside and are required only by the code paths that use them (yargs by
// --help and completion alone), and so does `bindings`, which better-sqlite3 needs only when
// svsem cannot find the addon itself.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);

execFileSync(process.execPath, [new URL('node_modules/typescript/bin/tsc', root).pathname, '-p', 'tsconfig.build.json'], {
  cwd: root, stdio: 'inherit',
});

const outfile = new URL('dist/svsem.cjs', root).pathname;
await build({
  entryPoints: [new URL('src/cli.ts', root).pathname],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['yargs', 'cli-table3', 'bindings'],
  // import.meta.url has no meaning in CommonJS; give the bundle its own file's URL.
  define: { 'import.meta.url': '__svsem_url' },
  banner: { js: "const __svsem_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
