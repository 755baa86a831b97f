/** svsem's executable: one command line, and its exit status (decided in src/cli/errors.ts). */
import { main } from './cli/main.js';

main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
