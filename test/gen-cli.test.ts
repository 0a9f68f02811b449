/**
 * `shiren gen` and `shiren eval` end to end on a tiny untrained model saved to a temp file: output
 * layout, --json, determinism, exit code 1 with one line for every user error, and eval's figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CANDIDATES } from '../src/domain/limits.ts';
import { readSplit } from '../src/data/corpus.ts';
import { isWellFormed } from '../src/poetry/forms.ts';
import { writePoems } from '../src/domain/write.ts';
import { perplexity } from '../src/domain/score.ts';

import { evaluate } from '../src/domain/evaluate.ts';
import { FIXTURE_CORPUS as CORPUS, shiren, tinyModel } from './cli-helpers.ts';

const SEED_STARTS = ['日', '红', '山', '夜', '湖', '海', '月', '君'];
const { model, vocab, file: modelFile } = tinyModel(SEED_STARTS.join(''));

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
    // sampling writes DEFAULT_CANDIDATES candidates and says how the poem was chosen
    assert.deepEqual(Object.keys(p), ['start', 'form', 'title', 'lines', 'text', 'choice']);
    assert.equal(p.choice.candidates, DEFAULT_CANDIDATES);
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
    [['gen', '--form', 'free', '--tones'], /needs a regulated form/],
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

test('shiren eval --json: the figures of the domain function, on the same kernels', () => {
  const r = shiren(['eval', '--model', modelFile, '--corpus', CORPUS, '--count', '8', '--json', '--engine', 'reference']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  // the file holds the model's float32 weights and the reference kernels are deterministic, so
  // the CLI's figures are exactly those computed here, the poems written with int8 weights as gen's
  model.setDecodePrecision('int8');
  const expected = JSON.parse(JSON.stringify(evaluate(model, { corpus: CORPUS, count: 8 })));
  model.setDecodePrecision('f32');
  assert.match(out.engine, /^reference/);
  assert.equal(out.precision, 'int8');
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, out[k]])), expected);
  assert.equal(out.split, 'test');
  assert.equal(out.poems, readSplit(CORPUS, 'test', ['wujue', 'qijue', 'wulv', 'qilv']).length);
  // an untrained model is near uniform over the vocabulary: perplexity near V (within a factor
  // of 2 either way for weights drawn at this scale)
  assert.ok(out.perplexity > vocab.size / 2 && out.perplexity < vocab.size * 2, `${out.perplexity} vs V = ${vocab.size}`);
  assert.deepEqual(Object.keys(out.generated), ['free', 'forms', 'constrained']);
  assert.equal(out.generated.forms.wellFormed, 1);
  assert.equal(out.generated.constrained.wellFormed, 1);
  assert.equal(out.generated.constrained.toneCompliance, 1);
  assert.equal(out.generated.constrained.rhymeRate, 1);
  for (const q of Object.values(out.generated) as { poems: number; novelty: number }[]) {
    assert.equal(q.poems, 8);
    // near-uniform sampling writes a train line of 5 characters with odds of about
    // lines/V^5 ≈ 10^-11: every generated line is new
    assert.equal(q.novelty, 1);
  }
});

test('the library writes what gen writes for a seed: int8 weights by default in both, f32 when asked in both', async () => {
  const lib = await import('../src/index.ts');
  for (const precision of [undefined, 'f32'] as const) {
    const m = await lib.loadModel(modelFile, { engine: 'wasm', threads: 1, ...(precision ? { precision } : {}) });
    assert.equal(m.decodePrecision, precision ?? 'int8');
    const poems = await lib.generate(m, { start: ['山', '月'], form: 'qijue', count: 2, seed: 11 });
    const r = shiren(['gen', '山', '月', '--form', 'qijue', '--count', '2', '--seed', '11', '--json', '--engine', 'wasm', '--model', modelFile, ...(precision ? ['--precision', precision] : [])]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).poems, poems);
  }
});
