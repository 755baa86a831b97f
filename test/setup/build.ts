import { execFileSync } from 'node:child_process';

/** The end-to-end tests run the built CLI: build it once, so they never test stale output. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
