// Running the real `shiren` command in a child process, for the CLI tests.
import { spawnSync } from 'node:child_process';

export function shiren(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['bin/shiren.js', ...args], { encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
