/**
 * Logits only for the rows a poem reads (docs/design.md §9; Model.step's row reads, generate.ts
 * logitRanges): the cut decoder writes the poems the uncut one writes, bit for bit, on every engine
 * (reference, wasm; blas where OpenBLAS is installed), with the f32 weights and the int8 copies,
 * alone and in a batch, on the bundled model and on it with its vocabulary in prosody order
 * (tools/order-vocab.ts), where the cut is large; and what a step computes is counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectKernels, type EngineName } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import type { DecodePrecision } from '../src/nn/config.ts';
import type { LanguageModel, RowRead } from '../src/nn/lm.ts';
import type { Model } from '../src/nn/model.ts';
import { Rng } from '../src/nn/rng.ts';
import { generate, generateBatch, logitRanges, type GenerateOptions } from '../src/poetry/generate.ts';
import { writePoems } from '../src/domain/write.ts';
import { orderVocab, scatterVocab } from '../tools/order-vocab.ts';

const MIXED: GenerateOptions[] = [
  { form: 'qijue' },
  { form: 'wujue', temperature: 1.2, topK: 40 },
  { form: 'qilv', topP: 0.9, title: '秋夜' },
  { start: '春风', maxChars: 30 },
  { form: 'qijue', beam: 3 },
  { form: 'wulv', greedy: true, title: '山居' },
  { form: 'qijue', acrostic: '山高水长', repetitionPenalty: 1.3 },
  { form: 'qijue', rhymeGroup: '东', allowRepeats: true, repetitionPenalty: 1.2 },
  { form: 'ci', cipai: '浣溪沙' },
  { form: 'wujue', start: '白日依山' },
];

/** The model with every step computing all logits (it passes no row reads on). */
function uncut(model: Model): LanguageModel {
  const sampler = model.sampler;
  return {
    vocab: model.vocab,
    sampler,
    initState: (S) => model.initState(S),
    selectState: (s, rows) => model.selectState(s, rows),
    step: (s, tokens) => model.step(s, tokens),
  };
}

for (const engine of ['reference', 'wasm', 'blas'] as EngineName[]) {
  test(`${engine}: the cut decoder writes the uncut one's poems, f32 and int8, alone and in a batch, in both vocabulary orders`, async (t) => {
    const kernels = await selectKernels({ engine, threads: engine === 'reference' ? undefined : 2 });
    if (!kernels.name.startsWith(engine)) {
      t.skip(`no ${engine} engine on this machine (got ${kernels.name}): install libopenblas0-pthread, as .ci/run does`);
      return;
    }
    const bundled = readModelFile(resolveModelFile(), kernels);
    const n = engine === 'reference' ? 3 : MIXED.length;
    const requests = Array.from({ length: engine === 'reference' ? n : 2 * n }, (_, i) => ({ opts: MIXED[i % n]!, seed: 300 + i }));
    for (const model of [bundled, orderVocab(bundled)]) {
      for (const precision of ['f32', 'int8'] as DecodePrecision[]) {
        model.setDecodePrecision(precision);
        const full = uncut(model);
        const what = `${engine} ${precision} ${model === bundled ? 'frequency order' : 'prosody order'}`;
        const want = requests.map((r) => generate(full, r.opts, new Rng(r.seed)));
        assert.deepEqual(requests.map((r) => generate(model, r.opts, new Rng(r.seed))), want, `${what}: alone`);
        assert.deepEqual(generateBatch(model, requests.map((r) => ({ opts: r.opts, rng: new Rng(r.seed) }))), want, `${what}: in a batch`);
        if (engine !== 'reference') {
          // rows of a batch reading different ranges, joining as others end
          assert.deepEqual(generateBatch(model, requests.map((r) => ({ opts: r.opts, rng: new Rng(r.seed) })), { maxRows: 5 }), want, `${what}: trickled`);
          // candidates measure each token over the full row, beside cut rows in the same steps
          const call = { form: 'qijue', count: 3, seed: 11, candidates: 3 } as const;
          assert.deepEqual(writePoems(model, call), writePoems(full, call), `${what}: candidates`);
        }
      }
    }
  });
}

test('with the vocabulary in prosody order, a 七绝 step computes three quarters of the logits it does in a scattered order (counted)', async () => {
  const kernels = await selectKernels({ engine: 'wasm', threads: 1 });
  const bundled = readModelFile(resolveModelFile(), kernels);
  const V = bundled.config.vocabSize;
  /** logits computed per step, and per step whose row is read, writing 20 七绝 on a given title */
  const count = (model: Model) => {
    let cols = 0, steps = 0, read = 0;
    const step = model.step.bind(model);
    model.step = (s, tokens, reads?: readonly RowRead[]) => {
      steps++;
      const r = reads ? reads[0]! : null;
      if (r === null || r.length) read++;
      for (let i = 0; r && i < r.length; i += 2) cols += r[i + 1]! - r[i]!;
      if (r === null) cols += V;
      return step(s, tokens, reads);
    };
    for (let i = 0; i < 20; i++) writePoems(model, { form: 'qijue', title: '秋江送别', seed: i, candidates: 1 });
    return { perStep: cols / steps, perRead: cols / read, readShare: read / steps };
  };
  // the bundled model ships in prosody order: scatter its characters as a frequency order does
  const scattered = scatterVocab(bundled);
  const before = count(scattered);
  const after = count(orderVocab(scattered));
  // forced tokens (the title prefix, marks, <eos>) compute nothing: 28 of 39 steps read logits
  assert.ok(Math.abs(before.readShare - 28 / 39) < 0.01, `share of steps read: ${before.readShare}`);
  // measured: 0.75 (free positions all Han; 平 and 仄 ones a block of 51% / 65%; rhymes a few %)
  assert.ok(after.perStep < 0.8 * V * after.readShare, `prosody order: ${after.perStep} logits per step`);
  assert.ok(after.perRead < 0.85 * before.perRead, `${after.perRead} against ${before.perRead} logits per read step`);
});

test('logitRanges: the runs of the ids, small gaps closed, at most 8 ranges, every id covered', () => {
  const ranges = (ids: number[]) => logitRanges(Int32Array.from(ids), ids.length);
  assert.deepEqual(ranges([]), []);
  assert.deepEqual(ranges([7]), [7, 8]);
  assert.deepEqual(ranges([3, 4, 5, 9, 10]), [3, 11]); // a gap of 3: closed
  assert.deepEqual(ranges([3, 4, 5, 500, 501, 2000]), [3, 6, 500, 502, 2000, 2001]);
  assert.deepEqual(ranges([0, 100, 101, 102, 103, 104, 105, 106, 107, 108, 300]), [0, 1, 100, 109, 300, 301]);
  // more than 8 runs far apart: the smallest gaps closed first
  assert.deepEqual(ranges([0, 1000, 2000, 3000, 3950, 5000, 6000, 7000, 8000, 8990]), [0, 1, 1000, 1001, 2000, 2001, 3000, 3951, 5000, 5001, 6000, 6001, 7000, 7001, 8000, 8991]);
  const rng = new Rng(8);
  for (let trial = 0; trial < 200; trial++) {
    const V = 1 + rng.int(8000);
    const keep = rng.next();
    const block = rng.int(V);
    const ids = Array.from({ length: V }, (_, i) => i).filter((i) => (trial % 2 ? rng.next() < keep : i >= block && i < block + 900 && rng.next() < 0.99));
    const r = ranges(ids);
    assert.ok(r.length <= 16 && r.length % 2 === 0, `trial ${trial}: ${r.length / 2} ranges`);
    for (let i = 0; i < r.length; i += 2) assert.ok(r[i]! < r[i + 1]! && (i === 0 || r[i]! > r[i - 1]!), `trial ${trial}: ranges ${r.join(',')}`);
    for (const id of ids) assert.ok(r.some((lo, i) => i % 2 === 0 && id >= lo && id < r[i + 1]!), `trial ${trial}: id ${id} outside`);
    if (ids.length) assert.ok(r[0] === ids[0] && r.at(-1) === ids.at(-1)! + 1, `trial ${trial}: the ranges start and end at the ids`);
  }
});
