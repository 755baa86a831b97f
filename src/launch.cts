#!/usr/bin/env node
/**
 * svsem's executable (dist/svsem.cjs): runs the bundle beside it (dist/svsem-main.cjs, built from
 * src/cli.ts) through V8's code cache, so that a command does not compile again on every start
 * what every start compiles alike.
 *
 * - The cache (dist/svsem-main.cjs.cache) is made by the build: scripts/build.mjs runs a few
 *   commands through this file with SVSEM_WRITE_CODE_CACHE set, and the code compiled by then is
 *   saved as the process exits. Node 22 can do this by itself (module.enableCompileCache); Node 20
 *   has only the vm API used here.
 * - V8 refuses a cache made by another V8 version or under other flags (a Node upgrade, --cpu-prof)
 *   and compiles as usual. V8 recognises the source only by its length, so a cache older than the
 *   bundle is not offered at all.
 * - Code run through node:vm cannot import() (only behind an experimental flag, and never from a
 *   cache), so the bundle holds no import(): the build refuses one.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';

const MAIN = join(__dirname, 'svsem-main.cjs');
const CACHE = `${MAIN}.cache`;

/** The cache for the bundle as it is now, or undefined. */
function readCache(): Buffer | undefined {
  try {
    if (statSync(CACHE).mtimeMs < statSync(MAIN).mtimeMs) return undefined;
    return readFileSync(CACHE);
  } catch {
    return undefined;
  }
}

/** Compiles the bundle as Node compiles a CommonJS module, and runs it as one. */
function launch(): void {
  const writeCache = process.env.SVSEM_WRITE_CODE_CACHE !== undefined;
  const source = readFileSync(MAIN, 'utf8');
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new Script(wrapped, {
    filename: MAIN,
    cachedData: writeCache ? undefined : readCache(),
  });
  if (writeCache) process.on('exit', () => writeFileSync(CACHE, script.createCachedData()));

  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const main = { exports: {} };
  run.call(main.exports, main.exports, require, main, MAIN, __dirname);
}

launch();
