/**
 * Reading a `--file` of poems (score, check): a regular file of at most 64 MiB, checked before it
 * is read (never /dev/zero or a FIFO: src/util/fs.ts readRegularFile), one poem a line; blank lines
 * skipped; at most MAX_FILE_POEMS poems of at most MAX_POEM_CHARS characters each (a longer file or
 * line is one line naming it, before any work). Each line comes with its 1-based number, for
 * messages that point into the file.
 */
import { poemTooLong } from '../data/sequence.ts';
import { readRegularFile } from '../util/fs.ts';
import { printable } from '../util/text.ts';

const MAX_BYTES = 64 * 2 ** 20;

/**
 * Poems one --file may hold: scoring 100,000 with the bundled model takes a few minutes (a bar
 * shows them on a terminal); more is a file to split.
 */
export const MAX_FILE_POEMS = 100_000;

export function readPoemLines(file: string): { line: string; number: number }[] {
  const content = readRegularFile(file, MAX_BYTES, 'file of poems').toString('utf8');
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/).flatMap((raw, i) => (raw.trim() ? [{ line: raw.trim(), number: i + 1 }] : []));
  if (lines.length > MAX_FILE_POEMS) throw new Error(`${printable(file, 200)}: ${lines.length} poems, more than the ${MAX_FILE_POEMS} one file may hold; split it`);
  for (const { line, number } of lines) {
    const long = line.startsWith('{') ? null : poemTooLong(line); // score's JSON lines: checked as read
    if (long) throw new Error(`${printable(file, 200)}:${number}: ${long}`);
  }
  return lines;
}
