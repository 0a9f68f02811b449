/**
 * Facts about this machine that are costly to find and do not change between runs (the OpenBLAS
 * core to ask for, which engine computes faster), kept as small JSON files in the user's cache
 * folder: $SHIREN_CACHE_DIR, else $XDG_CACHE_HOME/shiren, else ~/.cache/shiren (Windows:
 * %LOCALAPPDATA%\shiren). A file that cannot be read or written counts as empty: the cache only
 * saves time, it never makes a command fail. Node only.
 *
 *   <dir>/<name>.json = { "<key>": <entry>, … }
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.ts';

/** The cache folder (see the top). */
export function cacheDir(): string {
  const env = process.env;
  if (env.SHIREN_CACHE_DIR) return env.SHIREN_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'shiren');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'shiren');
  return join(homedir(), '.cache', 'shiren');
}

function file(name: string): string {
  return join(cacheDir(), `${name}.json`);
}

/** The entries of cache file `name` ({} when missing or unreadable). */
export function readCache<T>(name: string): Record<string, T> {
  try {
    const data: unknown = JSON.parse(readFileSync(file(name), 'utf8'));
    return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, T>) : {};
  } catch {
    return {};
  }
}

/** Sets (or, with `undefined`, removes) one entry of cache file `name`; failures are ignored. */
export function writeCacheEntry<T>(name: string, key: string, entry: T | undefined): void {
  try {
    const entries = readCache<T>(name);
    if (entry === undefined) delete entries[key];
    else entries[key] = entry;
    mkdirSync(cacheDir(), { recursive: true });
    writeFileAtomic(file(name), JSON.stringify(entries, null, 1) + '\n');
  } catch {
    // a read-only home: the next run finds it out again
  }
}
