// The bundled model (issues 5, 9, 10): the brief's demo; what it learned — from <bos> with form
// free and default sampling, at least 90% of 200 poems are well-formed (for an unconditional model:
// well-formed regulated poems; a title-conditioned one reads `<free>` and writes free poems), and at
// least 95% of their lines are not copied from the train split; and 200 regulated poems written
// with the default rules (50 per form, fixed seeds) all pass `shiren check`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FORMS } from '../src/data/clean.ts';
import { readSplit } from '../src/data/corpus.ts';
import { conditionOf } from '../src/data/sequence.ts';
import { checkPoem } from '../src/poetry/check.ts';
import { fullCorpus } from './full-corpus.ts';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import { Rng } from '../src/nn/rng.ts';
import { generate } from '../src/poetry/generate.ts';
import { qualityFigures, trainLineSet } from '../src/poetry/metrics.ts';
import { shiren } from './cli-helpers.ts';

test("the brief's demo: eight seven-character quatrains, printed line by line (each under its title)", () => {
  const r = shiren(['gen', '日', '红', '山', '夜', '湖', '海', '月', '君', '--form', 'qijue']);
  assert.equal(r.code, 0, r.stderr);
  const poems = r.stdout.trim().split(/\n\s*\n/);
  assert.equal(poems.length, 8);
  poems.forEach((poem, i) => {
    // a title-conditioned model writes a title first: 《…》 above the poem
    const lines = poem.split('\n').filter((line) => !/^《\p{Script=Han}+》$/u.test(line));
    assert.ok(poem.split('\n').length - lines.length <= 1, poem);
    assert.equal(lines.length, 4);
    assert.equal(lines[0]![0], '日红山夜湖海月君'[i]);
    for (const [j, line] of lines.entries()) assert.match(line, new RegExp(`^\\p{Script=Han}{7}${j % 2 ? '。' : '，'}$`, 'u'));
  });
});

test('from <bos>, free form, default sampling: ≥ 90% well-formed and ≥ 95% novel lines over 200 poems', { timeout: 120_000 }, async () => {
  const model = readModelFile(resolveModelFile(), await selectKernels());
  const trainLines = trainLineSet(readSplit(fullCorpus(), 'train', FORMS));
  const rng = new Rng(2026);
  const poems = Array.from({ length: 200 }, () => generate(model, { form: 'free' }, rng));
  const q = qualityFigures(poems, trainLines);
  console.log(`bundled model, 200 free poems from <bos>: well-formed ${(100 * q.wellFormed).toFixed(1)}%, regulated ${(100 * q.regulated).toFixed(1)}%, novel lines ${(100 * q.novelty).toFixed(1)}%`);
  // a title-conditioned model (the bundled one) writes its own title first and then free verse of
  // any shape, so the share of regulated poems says nothing here; the shape rules do
  assert.equal(conditionOf(model.vocab), 'title', 'the bundled model reads titles (docs/models.md)');
  assert.ok(q.wellFormed >= 0.9, `well-formed ${q.wellFormed}`);
  assert.ok(q.novelty >= 0.95, `novelty ${q.novelty}`);
});

test('200 regulated poems written with the default rules (50 per form) all pass shiren check', { timeout: 120_000 }, async () => {
  const model = readModelFile(resolveModelFile(), await selectKernels());
  const failed: string[] = [];
  for (const form of FORMS) {
    for (let seed = 0; seed < 50; seed++) {
      const poem = generate(model, { form }, new Rng(seed));
      const check = checkPoem(poem.text, { form });
      if (!check.pass) failed.push(`${form} seed ${seed}: ${poem.text} — ${check.faults.map((f) => f.message).join('; ')}`);
    }
  }
  assert.deepEqual(failed, []);
});
