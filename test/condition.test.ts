// Title conditioning (docs/design.md §3): the sequence `<bos> <form> title <sep> poem <eos>`, scoring that
// covers the poem and <eos> only, untitled poems, titles written by the model, old files, and a
// model trained on the fixture corpus that uses its titles.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSplit, readTitledSplit } from '../src/data/corpus.ts';
import { CONTROL_SYMBOLS, SEP, cleanTitle, conditionOf, encodeExample, formSymbol } from '../src/data/sequence.ts';
import { BOS, EOS, PAD, SPECIALS, Vocab } from '../src/data/vocab.ts';
import { judgedFigures, shuffleTitles } from '../src/domain/evaluate.ts';
import { judgeSample } from '../src/poetry/judges.ts';
import { distinct2, novelty, trainLineSet } from '../src/poetry/metrics.ts';
import { perplexity, scorePoems } from '../src/domain/score.ts';
import { writePoems } from '../src/domain/write.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile, saveModel } from '../src/nn/checkpoint.ts';
import { modelFromBytes } from '../src/nn/model-bytes.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';
import { makeBatch } from '../src/train/batches.ts';
import { TRAIN_DEFAULTS } from '../src/train/options.ts';
import { carryParams, train } from '../src/train/trainer.ts';

const CORPUS = 'test/fixtures/corpus';
const kernels = createReferenceKernels('f32');
const poems = readTitledSplit(CORPUS, 'train', ['wujue', 'qijue']);
const vocab = Vocab.fromTexts(poems.flatMap((p) => [p.text, p.title]), 1, CONTROL_SYMBOLS);
const model = Model.create(kernels, { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size }, vocab, 7);
const POEM = '床前明月光，疑是地上霜。举头望明月，低头思故乡。';
const known = [...POEM].every((ch) => vocab.has(ch)) ? POEM : poems[0]!.text;

test('titles in the corpus: notes and series numbering removed, line-aligned with the poems', () => {
  assert.equal(cleanTitle('秋兴八首 其一'), '秋兴');
  assert.equal(cleanTitle('荆州作二首 二'), '荆州作');
  assert.equal(cleanTitle('其二'), '');
  assert.equal(cleanTitle('春望'), '春望');
  assert.ok(poems.filter((p) => p.title).length > 0.95 * poems.length, 'nearly every poem has a title');
  assert.ok(poems.every((p) => [...p.title].length <= 24));
});

test('sequence: <bos> <form> title <sep> poem <eos>; training scores the title, evaluation only the poem', () => {
  assert.deepEqual(vocab.symbols.slice(0, SPECIALS.length + CONTROL_SYMBOLS.length), [...SPECIALS, ...CONTROL_SYMBOLS]);
  assert.equal(conditionOf(vocab), 'title');
  const poem = { text: '山水，月明。', title: '山月', form: 'free' as const };
  const ex = encodeExample(vocab, poem);
  const ids = (s: string) => [...s].map((ch) => vocab.id(ch)!);
  assert.deepEqual([...ex.tokens], [vocab.id(formSymbol('free'))!, ...ids('山月'), vocab.id(SEP)!, ...ids(poem.text)]);
  assert.equal(ex.skip, 4, 'form, two title characters and <sep> are given');
  const b = makeBatch([ex]);
  assert.equal(b.inputs[0], BOS);
  assert.deepEqual([...b.targets].slice(0, 4), [PAD, PAD, PAD, PAD]);
  assert.equal(b.targets[b.T - 1], EOS);
  assert.equal(b.tokens, [...poem.text].length + 1);
  const training = encodeExample(vocab, poem, true);
  assert.equal(training.skip, 1, 'training predicts the title and <sep>, not the form');
  const untitled = encodeExample(vocab, { ...poem, title: '' });
  assert.deepEqual([...untitled.tokens].slice(0, 2), [vocab.id(formSymbol('free'))!, vocab.id(SEP)!]);
  assert.equal(vocab.decode(ex.tokens), '山月山水，月明。', 'control symbols are not text');
});

test('scoring: logprob covers the poem and <eos> given the title, summed by hand from the steps', () => {
  const [s] = scorePoems(model, [{ text: known, title: poems[0]!.title }]);
  assert.equal(s!.tokens, [...known].length + 1);
  const prefix = [vocab.id(formSymbol('wujue'))!, ...vocab.encode(poems[0]!.title), vocab.id(SEP)!];
  const state = model.initState(1);
  let logits = model.step(state, Int32Array.of(BOS));
  for (const id of prefix) logits = model.step(state, Int32Array.of(id));
  let sum = 0;
  for (const id of [...vocab.encode(known), EOS]) {
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((a, x) => a + Math.exp(x - max), 0));
    sum += logits[id]! - lse;
    logits = model.step(state, Int32Array.of(id));
  }
  assert.ok(Math.abs(s!.logprob - sum) < 1e-3, `${s!.logprob} vs ${sum}`);
  const [untitled] = scorePoems(model, [known]);
  assert.equal(untitled!.tokens, s!.tokens);
  assert.throws(() => scorePoems(model, [{ text: known, title: '𠀋' }]), /unknown character in the title/);
});

test('writing: on a given title, untitled, or with a title the model writes; printed fields', () => {
  const [onTitle] = writePoems(model, { title: poems[1]!.title, form: 'wujue', seed: 1 });
  assert.equal(onTitle!.title, poems[1]!.title);
  const [untitled] = writePoems(model, { title: '', form: 'wujue', seed: 1 });
  assert.equal(untitled!.title, '');
  const own = writePoems(model, { form: 'qijue', count: 3, seed: 2 });
  for (const p of own) assert.ok([...p.title].length >= 2 && [...p.title].length <= 24 && /^\p{Script=Han}+$/u.test(p.title), p.title);
  assert.deepEqual(writePoems(model, { form: 'qijue', count: 3, seed: 2 }), own, 'seeded: the same titles and poems');
  assert.throws(() => writePoems(model, { title: '𠀋', form: 'wujue' }), /unknown character in the title.*𠀋/);
});

test('old unconditional files still load, write untitled poems and refuse a title', () => {
  const plainVocab = Vocab.fromTexts(poems.map((p) => p.text));
  const plain = Model.create(kernels, { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: plainVocab.size }, plainVocab, 7);
  const file = join(mkdtempSync(join(tmpdir(), 'shiren-cond-')), 'plain.safetensors');
  saveModel(file, plain);
  const loaded = readModelFile(file, kernels);
  assert.equal(conditionOf(loaded.vocab), 'none');
  assert.equal(writePoems(loaded, { form: 'wujue', seed: 1 })[0]!.title, '');
  assert.throws(() => writePoems(loaded, { title: '秋夜', form: 'wujue', seed: 1 }), /not trained on titles/);
  // and a conditioned model round-trips with its condition
  const condFile = join(mkdtempSync(join(tmpdir(), 'shiren-cond-')), 'cond.safetensors');
  saveModel(condFile, model);
  assert.equal(conditionOf(readModelFile(condFile, kernels).vocab), 'title');
});

test('a model trained on the fixture corpus scores poems better given their true titles than shuffled ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shiren-cond-train-'));
  // the fastest engine here (blas in CI): this trains for real, a few seconds
  const fast = await selectKernels();
  const forms = ['wujue', 'qijue'] as const;
  await train(fast, dir, {
    ...TRAIN_DEFAULTS, corpus: CORPUS, forms: [...forms], condition: 'title', layers: 1, embed: 32, hidden: 64,
    batch: 16, epochs: 6, lr: 1e-2, dropout: 0, seed: 1, checkpointEvery: 0,
  }, {});
  const trained = readModelFile(join(dir, 'last.safetensors'), fast);
  const train_ = readTitledSplit(CORPUS, 'train', [...forms]);
  const own = perplexity(trained, train_).perplexity;
  const shuffled = perplexity(trained, shuffleTitles(train_, 1)).perplexity;
  assert.ok(own < shuffled, `true titles ${own.toFixed(1)} vs shuffled ${shuffled.toFixed(1)}`);
});

test('eval\'s judged figures: the real poems\' distinct-2 and novel lines are the metrics of the same sample; written sets carry them too', () => {
  const heldOut = readTitledSplit(CORPUS, 'test', ['wujue', 'qijue']);
  const trainLines = trainLineSet(readSplit(CORPUS, 'train', ['wujue', 'qijue']));
  const judged = judgedFigures(model, CORPUS, heldOut, 6, 1, trainLines);
  const sample = judgeSample(heldOut.filter((p) => p.title && !vocab.unknown(p.title).length), 6, 1).map((p) => p.text);
  assert.equal(judged.poems, sample.length);
  assert.equal(judged.real.distinct2, distinct2(sample));
  assert.equal(judged.real.novelty, novelty(sample, trainLines));
  for (const f of [judged.oneSample, judged.candidates]) {
    assert.ok(f.distinct2 > 0 && f.distinct2 <= 1 && f.novelty >= 0 && f.novelty <= 1, JSON.stringify(f));
  }
});

test('a title bag added in fine-tuning starts as the model it came from; its file keeps it; it refuses an untitled vocabulary', () => {
  const tiedConfig = { ...DEFAULT_CONFIG, cell: 'gru' as const, layers: 1, embed: 8, hidden: 16, tied: true, vocabSize: vocab.size };
  const plain = Model.create(kernels, tiedConfig, vocab, 3);
  const bag = Model.create(kernels, { ...tiedConfig, titleBag: true }, vocab, 9);
  carryParams(plain, bag);
  const ex = encodeExample(vocab, { text: known, title: poems[0]!.title, form: 'wujue' });
  const inputs = Int32Array.from([BOS, ...ex.tokens]);
  assert.deepEqual([...bag.logits(inputs, 1, inputs.length)], [...plain.logits(inputs, 1, inputs.length)], 'A = 0: the same logits');
  const A = bag.tensor('title.weight');
  for (let i = 0; i < A.length; i++) A[i] = 0.01 * (i % 7);
  const dir = mkdtempSync(join(tmpdir(), 'shiren-bag-'));
  saveModel(join(dir, 'bag.safetensors'), bag);
  const loaded = readModelFile(join(dir, 'bag.safetensors'), kernels);
  assert.equal(loaded.config.titleBag, true);
  assert.deepEqual([...loaded.logits(inputs, 1, inputs.length)], [...bag.logits(inputs, 1, inputs.length)]);
  assert.notDeepEqual([...loaded.logits(inputs, 1, inputs.length)], [...plain.logits(inputs, 1, inputs.length)], 'the bag moves the logits');
  saveModel(join(dir, 'plain.safetensors'), plain);
  assert.equal(readModelFile(join(dir, 'plain.safetensors'), kernels).config.titleBag, false);
  const untitled = new Vocab([...SPECIALS, '山', '水']);
  assert.throws(() => Model.create(kernels, { ...tiedConfig, titleBag: true, vocabSize: untitled.size }, untitled, 1), /title bag needs a title-conditioned vocabulary/);
  assert.throws(() => Model.create(kernels, { ...tiedConfig, tied: false, titleBag: true }, vocab, 1), /title bag needs a tied output layer/);
});
