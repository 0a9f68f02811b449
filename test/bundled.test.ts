// The bundled model (issue 5): the brief's demo, and what it learned — from <bos> with form free
// and default sampling, at least 90% of 200 poems come out as well-formed regulated poems, and at
// least 95% of their lines are not copied from the train split.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FORMS } from '../src/data/clean.ts';
import { buildCorpus, readSplit } from '../src/data/corpus.ts';
import { selectKernels } from '../src/engine/index.ts';
import { loadModel, resolveModelFile } from '../src/nn/checkpoint.ts';
import { Rng } from '../src/nn/rng.ts';
import { generate } from '../src/poetry/generate.ts';
import { qualityFigures, trainLineSet } from '../src/poetry/metrics.ts';
import { shiren } from './cli-helpers.ts';

test("the brief's demo: eight seven-character quatrains, printed line by line", () => {
  const r = shiren(['gen', '日', '红', '山', '夜', '湖', '海', '月', '君', '--form', 'qijue']);
  assert.equal(r.code, 0, r.stderr);
  const poems = r.stdout.trim().split(/\n\s*\n/);
  assert.equal(poems.length, 8);
  poems.forEach((poem, i) => {
    const lines = poem.split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[0]![0], '日红山夜湖海月君'[i]);
    for (const [j, line] of lines.entries()) assert.match(line, new RegExp(`^\\p{Script=Han}{7}${j % 2 ? '。' : '，'}$`, 'u'));
  });
});

test('from <bos>, free form, default sampling: ≥ 90% regulated and ≥ 95% novel lines over 200 poems', { timeout: 120_000 }, async () => {
  const model = loadModel(resolveModelFile(), await selectKernels());
  const corpus = mkdtempSync(join(tmpdir(), 'shiren-corpus-'));
  buildCorpus({ out: corpus, forms: FORMS });
  const trainLines = trainLineSet(readSplit(corpus, 'train', FORMS));
  const rng = new Rng(2026);
  const poems = Array.from({ length: 200 }, () => generate(model, { form: 'free' }, rng));
  const q = qualityFigures(poems, trainLines);
  console.log(`bundled model, 200 free poems from <bos>: regulated ${(100 * q.regulated).toFixed(1)}%, novel lines ${(100 * q.novelty).toFixed(1)}%`);
  assert.ok(q.regulated >= 0.9, `regulated ${q.regulated}`);
  assert.ok(q.novelty >= 0.95, `novelty ${q.novelty}`);
});
