/**
 * Runs many svsem command lines in one Node process, for test/kernel/harness.ts.
 *
 * Starting Node for every command costs tens of milliseconds, and the id allocation scripts need
 * over a hundred commands. This driver loads svsem's main(argv, io) once (dist/src/cli/main.js,
 * the module the executable is bundled from) and passes it each command line: the same parser,
 * command modules and registry code as a real invocation, with a fresh registry connection per
 * command. Only the process boundary is left out (main's return value is the exit status).
 *
 * Protocol: usage `node svsem-session.mjs MAIN_PATH`; each stdin line is a JSON array of
 * arguments; each answer is one stdout line {"status", "out", "err"}.
 */
import process from 'node:process';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const { main } = await import(pathToFileURL(process.argv[2]).href);
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const out = [];
  const err = [];
  const status = await main(JSON.parse(line), { out: (l) => out.push(l), err: (l) => err.push(l) });
  process.stdout.write(JSON.stringify({ status, out, err }) + '\n');
}
