/**
 * Runs many svsem command lines in one Node process, for test/kernel/harness.ts.
 *
 * Starting Node for every command costs about 160 ms, and the id allocation scripts need over a
 * hundred commands. This driver loads the built CLI once and passes each command line to its
 * exported main(argv, io): the same parser, command modules and registry code as a real
 * invocation, with a fresh registry connection per command. Only the process boundary is left
 * out (main's return value is the exit status the CLI would set).
 *
 * Protocol: usage `node svsem-session.mjs CLI_PATH`; each stdin line is a JSON array of
 * arguments; each answer is one stdout line {"status", "out", "err"}.
 */
import process from 'node:process';
import { createInterface } from 'node:readline';
import { setImmediate } from 'node:timers';
import { pathToFileURL } from 'node:url';

const cliPath = process.argv[2];

/**
 * Loads the CLI module. Loading it runs main() on process.argv, so give it a command line that
 * fails at once without touching any registry (no command: a usage error), hide what it prints,
 * and wait until it has set the exit status it would have exited with.
 */
async function loadMain() {
  const writeErr = process.stderr.write;
  process.argv = [process.argv[0], cliPath];
  process.stderr.write = () => true;
  try {
    const { main } = await import(pathToFileURL(cliPath).href);
    for (let i = 0; i < 1000 && process.exitCode === undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return main;
  } finally {
    process.stderr.write = writeErr;
    process.exitCode = 0;
  }
}

const main = await loadMain();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const out = [];
  const err = [];
  const status = await main(JSON.parse(line), { out: (l) => out.push(l), err: (l) => err.push(l) });
  process.stdout.write(JSON.stringify({ status, out, err }) + '\n');
}
