// The `sportello` binary and the fill_feedback example for the browser tests that need the
// server or a feedback store: built once with `cargo build --release -p sportello-cli` (the
// CLI's own features, as CI's build step, so nothing else is rebuilt; SPORTELLO_PROFILE picks
// another cargo profile, e.g. test-release after `cargo test -p sportello-cli --profile test-release`).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './helpers.mjs';

let built = null;

export function sportelloTools() {
  if (!built) {
    const profile = process.env.SPORTELLO_PROFILE || 'release';
    execFileSync('cargo', ['build', '--profile', profile, '-p', 'sportello-cli', '--bin', 'sportello', '--example', 'fill_feedback'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const target = process.env.CARGO_TARGET_DIR || path.join(REPO_ROOT, 'target');
    built = {
      sportello: path.join(target, profile, 'sportello'),
      fill: path.join(target, profile, 'examples', 'fill_feedback'),
      run(bin, args) {
        return execFileSync(bin, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      },
    };
  }
  return built;
}
