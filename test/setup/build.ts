import { execFileSync } from 'node:child_process';

/** The end-to-end tests run the built executable: build it once, so they never test stale output. */
export default function setup(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
