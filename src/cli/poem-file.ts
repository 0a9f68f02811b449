/**
 * Reading a `--file` of poems (score, check): a regular file of at most 64 MiB, checked before it
 * is read (never /dev/zero or a FIFO: src/util/fs.ts readRegularFile), one poem a line; blank lines
 * skipped. Each line comes with its 1-based number, for messages that point into the file.
 */
import { readRegularFile } from '../util/fs.ts';

const MAX_BYTES = 64 * 2 ** 20;

export function readPoemLines(file: string): { line: string; number: number }[] {
  const content = readRegularFile(file, MAX_BYTES, 'file of poems').toString('utf8');
  return content.split(/\r?\n/).flatMap((raw, i) => (raw.trim() ? [{ line: raw.trim(), number: i + 1 }] : []));
}
