/** svsem's executable: one command line, and its exit status (decided in src/cli/errors.ts). */
import { main } from './cli/main.js';

main(process.argv.slice(2)).then((status) => {
  // All is written and the registry closed. On Linux, where Node writes to pipes, files and
  // terminals synchronously, nothing is left to wait for: exiting at once spares every command,
  // and every wake-up of a sleeping one, Node's winding down of its environment.
  if (process.platform === 'linux') process.exit(status);
  process.exitCode = status;
});
