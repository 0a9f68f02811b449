/**
 * `shiren gen` and `shiren eval` end to end on a tiny untrained model saved to a temp file: output
 * layout, --json, determinism, exit code 1 with one line for every user error, and eval's figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMS } from '../src/data/clean.ts';
import { readSplit } from '../src/data/corpus.ts';
import { Vocab } from '../src/data/vocab.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { saveModel } from '../src/nn/checkpoint.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';
import { isWellFormed } from '../src/poetry/forms.ts';
import { writePoems } from '../src/domain/write.ts';
import { perplexity } from '../src/domain/score.ts';

const CORPUS = 'test/fixtures/corpus';
const SEED_STARTS = ['日', '红', '山', '夜', '湖', '海', '月', '君'];
const kernels = createReferenceKernels('f32');
const vocab = Vocab.fromTexts([...readSplit(CORPUS, 'train', FORMS), SEED_STARTS.join('')]);
const model = Model.create(kernels, { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size }, vocab, 7);
const modelFile = join(mkdtempSync(join(tmpdir(), 'shiren-gen-')), 'tiny.safetensors');
saveModel(modelFile, model);

function shiren(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/shiren.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the seed's demo: eight seven-character quatrains, line by line, reproducible with --seed", () => {
  const args = ['gen', ...SEED_STARTS, '--form', 'qijue', '--model', modelFile, '--seed', '3'];
  const r = shiren(args);
  assert.equal(r.code, 0, r.stderr);
  const poems = r.stdout.trimEnd().split('\n\n');
  assert.equal(poems.length, 8);
  poems.forEach((poem, i) => {
    const lines = poem.split('\n');
    assert.equal(lines.length, 4, poem);
    assert.ok(lines[0].startsWith(SEED_STARTS[i]), poem);
    assert.ok(isWellFormed(lines.join(''), 'qijue'), poem);
  });
  assert.equal(shiren(args).stdout, r.stdout);
});

test('gen --json', () => {
  const r = shiren(['gen', '--acrostic', '春夏秋冬', '--count', '2', '--json', '--model', modelFile, '--seed', '1', '--tones', '--rhyme']);
  assert.equal(r.code, 0, r.stderr);
  const { poems } = JSON.parse(r.stdout);
  assert.equal(poems.length, 2);
  for (const p of poems) {
    assert.deepEqual(Object.keys(p), ['start', 'form', 'title', 'lines', 'text']);
    assert.equal(p.start, '');
    assert.equal(p.form, 'qijue');
    assert.equal(p.lines.join(''), p.text);
    assert.deepEqual(p.lines.map((l: string) => l[0]), [...'春夏秋冬']);
  }
});

test('gen user errors exit 1 with one line', () => {
  const cases: [string[], RegExp][] = [
    [['gen', '日龘'], /龘/],
    [['gen', '--form', 'qijue', '--acrostic', '春夏秋'], /acrostic 春夏秋 has 3 characters but a qijue has 4 lines/],
    [['gen', '白日依山尽，黄河入海流。欲穷千里目，更上一层楼。远', '--form', 'wujue'], /does not fit a wujue/],
    [['gen', '--tones'], /needs a regulated form/],
  ];
  for (const [args, pattern] of cases) {
    const r = shiren([...args, '--model', modelFile]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^shiren: /);
    assert.match(r.stderr, pattern);
  }
});

test('writePoems: count per start, one seeded stream, validated options', () => {
  const poems = writePoems(model, { start: ['山', '月'], count: 3, form: 'wujue', seed: 5 });
  assert.deepEqual(poems.map((p) => p.start), ['山', '山', '山', '月', '月', '月']);
  assert.ok(poems.every((p) => isWellFormed(p.text, 'wujue') && p.text.startsWith(p.start)));
  assert.deepEqual(writePoems(model, { start: ['山', '月'], count: 3, form: 'wujue', seed: 5 }), poems);
  assert.throws(() => writePoems(model, { topP: 1.5 }), /topP must be in \(0, 1\]/);
  assert.throws(() => writePoems(model, { form: 'sonnet' }), /form must be one of .*, got 'sonnet'/);
  assert.throws(() => writePoems(model, { count: 0 }), /count must be an integer from 1/);
});

test('perplexity: one poem by hand equals Model.logprob', () => {
  const poem = readSplit(CORPUS, 'test', ['wujue'])[0];
  const { perplexity: ppl, tokens } = perplexity(model, [poem]);
  assert.equal(tokens, [...poem].length + 1);
  assert.ok(Math.abs(ppl - Math.exp(-model.logprob(vocab.encode(poem, true)) / tokens)) < 1e-6 * ppl);
});

test('shiren eval --json', () => {
  const r = shiren(['eval', '--model', modelFile, '--corpus', CORPUS, '--count', '8', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.split, 'test');
  assert.ok(out.perplexity > 1 && out.perplexity < vocab.size * 2, String(out.perplexity));
  assert.ok(out.tokens > 0);
  assert.deepEqual(Object.keys(out.generated), ['free', 'forms', 'constrained']);
  assert.equal(out.generated.forms.wellFormed, 1);
  assert.equal(out.generated.constrained.wellFormed, 1);
  assert.equal(out.generated.constrained.toneCompliance, 1);
  assert.equal(out.generated.constrained.rhymeRate, 1);
  for (const q of Object.values(out.generated) as { poems: number; novelty: number }[]) {
    assert.equal(q.poems, 8);
    assert.ok(q.novelty >= 0 && q.novelty <= 1);
  }
});
