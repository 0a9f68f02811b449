// The full Tang corpus for the tests that need it (it needs the chinese-poetry dev dependency):
// built once per test run however many test files ask — each file runs in its own process, so the
// build goes to a temp folder named by the source's size and renamed into place; a second file
// finds it there.
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_FORMS } from '../src/data/clean.ts';
import { addSongCi } from '../src/poetry/songci.ts';
import { buildCorpus, findTangSource } from '../src/data/corpus.ts';

/** The folder of the full corpus (all forms: free, the Song 词 and the 对联 included), building it on first use. */
export function fullCorpus(): string {
  const source = findTangSource();
  const dir = join(tmpdir(), `shiren-test-corpus-${statSync(source).mtimeMs.toFixed(0)}-${process.ppid}`);
  if (existsSync(join(dir, 'stats.json'))) return dir;
  const building = mkdtempSync(join(tmpdir(), 'shiren-corpus-'));
  buildCorpus({ out: building, forms: ALL_FORMS, readCi: addSongCi });
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another test file got there first
  }
  return dir;
}
