// Builds svsem: the library and its types with tsc (dist/src), and the executable as one
// CommonJS file (dist/svsem.cjs) with esbuild. One file loads faster than the ESM module graph
// tsc emits: Node reads, resolves and links a single module instead of some forty. better-sqlite3,
// yargs and cli-table3 stay outside the bundle and are required only by the code paths that use
// them (yargs by --help and completion alone).
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
  external: ['better-sqlite3', 'yargs', 'cli-table3'],
  // import.meta.url has no meaning in CommonJS; give the bundle its own file's URL.
  define: { 'import.meta.url': '__svsem_url' },
  banner: { js: "const __svsem_url = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
