#!/usr/bin/env node
/**
 * svsem's entry point: declares the commands and global options, runs one command, and is the only
 * place that sets the exit status (src/cli/errors.ts decides it).
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { report, UsageError } from './cli/errors.js';
import { stdio, type Output } from './cli/context.js';
import * as ftok from './commands/ftok.js';
import * as ipcmk from './commands/ipcmk.js';
import * as ipcs from './commands/ipcs.js';
import * as ipcrm from './commands/ipcrm.js';
import * as semctl from './commands/semctl.js';
import * as semget from './commands/semget.js';
import * as run from './commands/run.js';
import * as semop from './commands/semop.js';

interface CommandFile {
  command: string;
  describe: string;
  builder(y: Argv): Argv;
  run(args: never, io: Output): Promise<void>;
}

const COMMANDS: CommandFile[] = [semget, semop, semctl, ipcs, ipcmk, ipcrm, ftok, run];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

function asModule(c: CommandFile, io: Output): CommandModule {
  return {
    command: c.command,
    describe: c.describe,
    builder: (y) => c.builder(y),
    handler: (args) => c.run(args as never, io),
  };
}

export async function main(argv: string[], io: Output = stdio): Promise<number> {
  const name = argv.find((a) => !a.startsWith('-')) ?? '';
  const parser = yargs(argv)
    .scriptName('svsem')
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
    .option('db', { type: 'string', global: true, describe: 'registry file (default: $SVSEM_DB or ~/.local/state/svsem/registry.db)' })
    .option('json', { type: 'boolean', global: true, describe: 'print data as JSON' })
    .option('as', { type: 'string', global: true, describe: 'run as UID[:GID] (root only)' })
    .version(version())
    .help()
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'a command is needed')
    .recommendCommands()
    .wrap(Math.min(100, process.stdout.columns || 80))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  for (const c of COMMANDS) parser.command(asModule(c, io));
  try {
    await parser.parseAsync();
    return 0;
  } catch (err) {
    return report(COMMANDS.some((c) => c.command.split(' ')[0] === name) ? name : '', err, io.err);
  }
}

main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
