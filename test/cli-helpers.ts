/**
 * Shared by the tests that run the real `shiren` command or need a model file (not a test file:
 * node --test runs only *.test.ts):
 * - `shiren(args)` spawns bin/shiren.js, which runs the compiled dist/; importing this module first
 *   recompiles dist/ when a file of src/ is newer (as `npm test`'s pretest does), so a single test
 *   file run by hand also tests the current code.
 * - `tinyModel()` is the tiny untrained model of the CLI, server and page tests (1 layer, E=8,
 *   H=16, seed 7) over the fixture corpus's characters, saved to a fresh temp folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMS } from '../src/data/clean.ts';
import { readSplit } from '../src/data/corpus.ts';
import { Vocab } from '../src/data/vocab.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { saveModel } from '../src/nn/checkpoint.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';

export const FIXTURE_CORPUS = 'test/fixtures/corpus';

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Compiles src/ into dist/ when dist/ is missing or older than a source. Straight tsc, without
 * build:ts's emptying of dist/: test files run in parallel processes, and another one may be
 * running the command at that moment.
 */
export function ensureCompiled(): void {
  const entry = 'dist/cli/main.js';
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestSource('src')) return;
  const tsc = join('node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${r.stdout}${r.stderr}`);
}
ensureCompiled();

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `shiren …args` in a child process (stdin: `input`), waiting at most `timeout` ms. */
export function shiren(args: string[], input?: string, timeout = 120_000): Run {
  const r = spawnSync(process.execPath, ['bin/shiren.js', ...args], { encoding: 'utf8', input, timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface TinyModel {
  model: Model;
  vocab: Vocab;
  /** The saved model file (`<dir>/tiny.safetensors`). */
  file: string;
  /** The temp folder holding it; callers remove it when they need to. */
  dir: string;
}

/** The tiny untrained model over the fixture corpus's characters (plus `extraText`'s), saved. */
export function tinyModel(extraText = ''): TinyModel {
  const vocab = Vocab.fromTexts([...readSplit(FIXTURE_CORPUS, 'train', FORMS), ...(extraText ? [extraText] : [])]);
  const model = Model.create(createReferenceKernels('f32'), { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size }, vocab, 7);
  const dir = mkdtempSync(join(tmpdir(), 'shiren-test-'));
  const file = join(dir, 'tiny.safetensors');
  saveModel(file, model);
  return { model, vocab, file, dir };
}
