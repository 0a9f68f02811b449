// The Chromium the browser tests drive (web.test.ts, inspect-page.test.ts): one finder, one policy.
// $CHROMIUM, else the first of the usual Linux paths that exists; missing, a test fails with how to
// install it (.ci/run installs Debian's chromium), never skips silently.
import { existsSync } from 'node:fs';

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome'];

/** Flags for a headless run as root on a closed network (no sandbox, no background connections). */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-quic', '--disable-sync',
];

/** The path of the Chromium to drive; throws a one-line error saying how to get one. */
export function chromiumPath(): string {
  const found = process.env.CHROMIUM ?? CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!found || !existsSync(found)) {
    throw new Error(`Chromium is not installed (looked for ${process.env.CHROMIUM ?? CHROMIUM_PATHS.join(', ')}): the browser tests drive it (Debian: apt-get install -y chromium; or set CHROMIUM=/path/to/chrome)`);
  }
  return found;
}
