/**
 * Batched decoding (docs/design.md §9): poems written together in one batch equal, bit for bit, the
 * same seeds written alone — on the bundled model with every engine (the batch crosses the 8-row
 * threshold where gemm changes path; Model.step uses the row-invariant gemmNT), with mixed modes,
 * forms, starts and beams in one batch, and with continuous batching (poems joining mid-way),
 * with the f32 weights and the int8 copies (src/nn/int8.ts); the same for a tied model (its output
 * a projection, then the embedding's rows: ModelConfig.tied), whose int8 steps are also the same
 * on every wasm build, thread count and blas, bit for bit.
 * Also: gemmNT equals the reference A·Bᵀ and is row-invariant; top-k selection equals a full sort;
 * the server's job loop and generateBatch are one loop; tiny temperatures are greedy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectKernels, type EngineName } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import { DEFAULT_CONFIG, type DecodePrecision } from '../src/nn/config.ts';
import { createWasmKernels } from '../src/engine/wasm.ts';
import type { Kernels } from '../src/engine/kernels.ts';
import type { RowRead } from '../src/nn/lm.ts';
import { Rng, poemSeed } from '../src/nn/rng.ts';
import { DecodeBatch, PoemDecoder, generate, generateBatch, type GenerateOptions, type Poem } from '../src/poetry/generate.ts';
import { topIds } from '../src/poetry/sample.ts';
import { planPoems, writePoems, type WriteOptions } from '../src/domain/write.ts';
import { Model } from '../src/nn/model.ts';
import { JobBatcher } from '../src/server/batcher.ts';
import type { JobResult } from '../src/server/jobs.ts';
import { API_LIMITS } from '../src/domain/limits.ts';
import { BigramLM } from './poetry-mock.ts';

const MIXED: GenerateOptions[] = [
  { form: 'qijue' },
  { form: 'wujue', temperature: 1.2, topK: 40 },
  { form: 'qilv', topP: 0.9 },
  { start: '春风', maxChars: 30 },
  { form: 'qijue', beam: 4 },
  { form: 'wulv', greedy: true },
  { form: 'qijue', acrostic: '山高水长', repetitionPenalty: 1.3 },
  { maxChars: 24, beam: 3 },
  { form: 'qijue', rhymeGroup: '东', topK: 3000 },
  { form: 'wujue', start: '白日依山' },
];

for (const [engine, precision] of [['blas', 'f32'], ['wasm', 'f32'], ['reference', 'f32'], ['wasm', 'int8']] as [EngineName, DecodePrecision][]) {
  test(`${engine}, ${precision} weights: poems written in one batch equal the same seeds written alone, bit for bit`, async (t) => {
    const kernels = await selectKernels({ engine, threads: engine === 'reference' ? undefined : 2 });
    if (!kernels.name.startsWith(engine)) {
      // selectKernels falls back to wasm where OpenBLAS is missing: that case would test wasm twice
      t.skip(`no ${engine} engine on this machine (got ${kernels.name}): install libopenblas0-pthread, as .ci/run does`);
      return;
    }
    const model = readModelFile(resolveModelFile(), kernels);
    model.setDecodePrecision(precision);
    const n = engine === 'reference' ? 4 : MIXED.length;
    const requests = Array.from({ length: 3 * n }, (_, i) => ({ opts: MIXED[i % n]!, seed: 100 + i }));
    const batched = generateBatch(model, requests.map((r) => ({ opts: r.opts, rng: new Rng(r.seed) })));
    const alone = requests.map((r) => generate(model, r.opts, new Rng(r.seed)));
    assert.deepEqual(batched, alone);
    // a small row cap: poems join as others end (continuous batching), rows of any count
    const trickled = generateBatch(model, requests.map((r) => ({ opts: r.opts, rng: new Rng(r.seed) })), { maxRows: 7 });
    assert.deepEqual(trickled, alone);
    // writePoems: poem i of a call is seed poemSeed(seed, i) alone
    const call = writePoems(model, { form: 'qijue', count: 12, seed: 9, candidates: 1 });
    call.forEach((poem, i) => assert.deepEqual(poem, generate(model, { form: 'qijue' }, new Rng(poemSeed(9, i)))));
  });
}

test('DecodeBatch: poems added between steps are unaffected by those already running', () => {
  const model = new BigramLM();
  const opts: GenerateOptions = { form: 'qijue', topK: 8 };
  const alone = Array.from({ length: 6 }, (_, i) => generate(model, opts, new Rng(i)));
  const batch = new DecodeBatch(model);
  const got: Poem[] = [];
  let added = 0;
  while (added < 6 || batch.size) {
    if (added < 6) {
      const i = added++;
      batch.add(new PoemDecoder(model, opts, new Rng(i)), (p) => (got[i] = p));
    }
    batch.step();
  }
  assert.deepEqual(got, alone);
});

test("one loop: the server's job loop writes the poems generateBatch and writePoems write, whatever else is running", async () => {
  const model = new BigramLM();
  const batcher = new JobBatcher(model as unknown as Model, 5); // a small row cap: jobs wait and join
  const requests: WriteOptions[] = [
    { form: 'qijue', count: 3, seed: 7 },
    { start: ['山', '水'], form: 'wujue', count: 2, seed: 8, beam: 3 },
    { count: 4, seed: 9, topK: 5 },
    { acrostic: '春秋江山', seed: 10, count: 2, repetitionPenalty: 1.2 },
  ];
  const served = await Promise.all(requests.map((request, id) => new Promise<JobResult>((resolve, reject) =>
    batcher.start(id, { kind: 'generate', request }, Date.now() + 60_000, { done: resolve, failed: (f) => reject(new Error(f.message)), stopped: () => reject(new Error('stopped')) }))));
  requests.forEach((request, i) => {
    assert.deepEqual(served[i], { poems: writePoems(model, request, { limits: API_LIMITS }) });
    // one sample per poem (candidates 1): what generateBatch writes for the same streams
    if (request.beam) assert.deepEqual(served[i], { poems: generateBatch(model, planPoems(model, request)) });
  });
  const single = { form: 'qijue', count: 3, seed: 7, candidates: 1 } as const;
  assert.deepEqual(writePoems(model, single), generateBatch(model, planPoems(model, single)));
});

test("a temperature too small for 1/T in float32 writes the greedy poem, not junk (the kernels' sampler)", async () => {
  const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));
  model.setDecodePrecision('int8');
  const greedy = writePoems(model, { form: 'qijue', greedy: true, start: ['山', '月'] });
  for (const temperature of [1e-40, 1e-300, Number.MIN_VALUE]) {
    assert.deepEqual(writePoems(model, { form: 'qijue', temperature, start: ['山', '月'], seed: 3 }), greedy, `temperature ${temperature}`);
  }
});

test('gemmNT is A·Bᵀ, and row m of C depends on row m of A alone, bit for bit', async () => {
  const k = await selectKernels({ engine: 'wasm', threads: 2 });
  const ref = await selectKernels({ engine: 'reference' });
  const K = 257, N = 203;
  const rng = new Rng(3);
  const B = k.alloc(N * K);
  for (let i = 0; i < B.length; i++) B[i] = rng.normal();
  const rowOf = (m: number) => Float32Array.from({ length: K }, (_, i) => Math.sin(m * 31 + i));
  const product = (M: number) => {
    const A = k.alloc(M * K);
    for (let m = 0; m < M; m++) A.set(rowOf(m), m * K);
    const C = k.alloc(M * N);
    C.fill(0.5);
    k.gemmNT(M, N, K, 1, A, K, B, K, 1, C, N);
    return Float32Array.from(C);
  };
  const big = product(37);
  for (const M of [1, 2, 5, 9, 16]) assert.deepEqual(product(M), big.subarray(0, M * N), `M = ${M}`);
  const A = ref.alloc(3 * K), Br = ref.alloc(N * K), C = ref.alloc(3 * N);
  for (let m = 0; m < 3; m++) A.set(rowOf(m), m * K);
  Br.set(B);
  C.fill(0.5);
  ref.gemmNT(3, N, K, 1, A, K, Br, K, 1, C, N);
  for (let i = 0; i < 3 * N; i++) assert.ok(Math.abs(C[i]! - big[i]!) < 1e-3 * (1 + Math.abs(C[i]!)), `element ${i}`);
});

test('topIds: the n best in order (ties: lower id first), exactly as a full sort, for any n', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 50; trial++) {
    const V = 1 + rng.int(300);
    // few distinct values: many ties
    const scores = Float32Array.from({ length: V }, () => rng.int(trial % 2 ? 7 : 1000) - 3);
    const ids = Int32Array.from({ length: V }, (_, i) => i).filter(() => rng.next() < 0.8);
    const sorted = [...ids].sort((a, b) => scores[b]! - scores[a]! || a - b);
    for (const n of [1, 2, 3, 10, ids.length, ids.length + 5]) {
      const out = new Int32Array(V);
      const m = topIds(scores, ids, ids.length, n, out);
      assert.deepEqual([...out.subarray(0, m)], sorted.slice(0, n), `V ${V} n ${n}`);
    }
  }
});

/** An untrained tied gru with the bundled model's vocabulary (E 24, H 40: depths not multiples of 16), seeded. */
function tiedModel(kernels: Kernels<Float32Array>): Model {
  const vocab = readModelFile(resolveModelFile(), kernels).vocab;
  return Model.create(kernels, { ...DEFAULT_CONFIG, cell: 'gru', layers: 2, embed: 24, hidden: 40, vocabSize: vocab.size, tied: true }, vocab, 3);
}

test('Model.step with row reads: the columns asked for are the full step\'s bit for bit, alone or grouped, and the state advances the same', async () => {
  const kernels = await selectKernels({ engine: 'wasm', threads: 1 });
  checkRowReads(readModelFile(resolveModelFile(), kernels));
  checkRowReads(tiedModel(kernels));
});

/** Model.step's row reads against full steps, f32 and int8, on a model whose vocabulary is the bundled one's. */
function checkRowReads(model: Model): void {
  const V = model.config.vocabSize;
  // none; all; one range; several; a range that ends at V (the last columns) — rows sharing one
  // lie together or apart (gathered), and single columns at odd places
  const reads: RowRead[][] = [
    [[0, V], [], [0, V], [], [], [0, V]],
    [[], [], [], [], [], []],
    [[], null, null, null, null, null],
    [[5, 9], [5, 9], null, [4000, 4003, 7001, V], [5, 9], [1, 2, 3, 4, 7689, V]],
    [[100, 2000], [3, 777, 778, 779], [100, 2000], [100, 2000], [V - 3, V], null],
  ];
  for (const precision of ['f32', 'int8'] as DecodePrecision[]) {
    model.setDecodePrecision(precision);
    const tokens = Int32Array.of(5, 17, 300, 42, 9, 1000);
    const full = model.initState(6), cut = model.initState(6);
    for (const read of reads) {
      const want = model.step(full, tokens).slice();
      const got = model.step(cut, tokens, read);
      for (let i = 0; i < 6; i++) {
        const ranges = read[i] ?? [0, V];
        for (let r = 0; r < ranges.length; r += 2) {
          const lo = ranges[r]!, hi = ranges[r + 1]!;
          assert.deepEqual(got.subarray(i * V + lo, i * V + hi), want.subarray(i * V + lo, i * V + hi), `${precision} row ${i} [${lo}, ${hi})`);
        }
      }
      assert.deepEqual(cut, full, `${precision}: the state`);
    }
  }
  assert.throws(() => model.step(model.initState(1), Int32Array.of(5), [[7, 7]]), /bad column ranges/);
  assert.throws(() => model.step(model.initState(1), Int32Array.of(5), [[9, 12, 10, 20]]), /bad column ranges/);
  assert.throws(() => model.step(model.initState(1), Int32Array.of(5), [[0, V + 1]]), /bad column ranges/);
}

test('a tied model: poems written in one batch equal the same seeds written alone, bit for bit, f32 and int8', async () => {
  const model = tiedModel(await selectKernels({ engine: 'wasm', threads: 2 }));
  const requests = Array.from({ length: 2 * MIXED.length }, (_, i) => ({ opts: MIXED[i % MIXED.length]!, seed: 100 + i }));
  for (const precision of ['f32', 'int8'] as DecodePrecision[]) {
    model.setDecodePrecision(precision);
    const alone = requests.map((r) => generate(model, r.opts, new Rng(r.seed)));
    assert.deepEqual(generateBatch(model, requests.map((r) => ({ opts: r.opts, rng: new Rng(r.seed) }))), alone, `${precision}: in a batch`);
    assert.deepEqual(generateBatch(model, requests.map((r) => ({ opts: r.opts, rng: new Rng(r.seed) })), { maxRows: 7 }), alone, `${precision}: trickled`);
  }
});

test('int8 steps, tied and untied, are the same on every wasm build and thread count and on blas, bit for bit (the relaxed build fuses no multiply-add of σ, tanh or exp)', async (t) => {
  const builds = [
    await createWasmKernels({ threads: 1, simd: false }),
    await createWasmKernels({ threads: 2, relaxed: false }),
    await createWasmKernels({ threads: 1 }),
    await createWasmKernels({ threads: 2 }),
  ];
  const blas = await selectKernels({ engine: 'blas', threads: 2 });
  if (blas.name.startsWith('blas')) builds.push(blas as (typeof builds)[number]);
  else t.diagnostic(`no blas engine on this machine (got ${blas.name})`);
  // twelve steps of three rows: before exp4 stopped fusing, the relaxed build's gates came out one
  // ulp apart now and then, and through the int8 scales whole rows of logits moved
  const tokens = Array.from({ length: 12 }, (_, t) => Int32Array.of((7 * t + 2) % 7800, (1234 + 999 * t) % 7800, 40 + t));
  const run = (model: Model) => {
    model.setDecodePrecision('int8');
    const state = model.initState(3);
    return tokens.map((ids) => model.step(state, ids).slice());
  };
  for (const make of [tiedModel, (k: Kernels<Float32Array>) => readModelFile(resolveModelFile(), k)]) {
    const want = run(make(builds[0]!));
    for (const k of builds.slice(1)) assert.deepEqual(run(make(k)), want, k.name);
  }
  for (const k of builds) if ('close' in k && typeof k.close === 'function') k.close();
});

test('int8 weights for every cell: a step\'s logits stay within 2% of the logits\' spread from the f32 ones, and f32 comes back exactly', async () => {
  const kernels = await selectKernels({ engine: 'wasm', threads: 1 });
  const vocab = readModelFile(resolveModelFile(), kernels).vocab;
  for (const [cell, tied] of [['rnn', false], ['lstm', false], ['gru', false], ['gru', true]] as const) {
    // H = 40, E = 24: depths not multiples of 16 (the padding), two layers
    const model = Model.create(kernels, { ...DEFAULT_CONFIG, cell, layers: 2, embed: 24, hidden: 40, vocabSize: vocab.size, tied }, vocab, 3);
    const tokens = Int32Array.of(5, 77, 1234, 6000);
    const run = () => {
      const state = model.initState(4);
      let logits = new Float32Array(0);
      for (let t = 0; t < 6; t++) logits = model.step(state, tokens).slice();
      return logits;
    };
    const f32 = run();
    model.setDecodePrecision('int8');
    const int8 = run();
    model.setDecodePrecision('f32');
    const what = `${cell}${tied ? ' tied' : ''}`;
    assert.deepEqual(run(), f32, `${what}: back to f32 exactly`);
    let lo = Infinity, hi = -Infinity, worst = 0;
    for (let i = 0; i < f32.length; i++) {
      lo = Math.min(lo, f32[i]!); hi = Math.max(hi, f32[i]!);
      worst = Math.max(worst, Math.abs(int8[i]! - f32[i]!));
    }
    // measured 0.5–0.8 % on these untrained weights; a wrong product would be off by the spread itself
    assert.ok(worst <= 0.02 * (hi - lo), `${what}: int8 logits differ by ${worst} over a spread of ${hi - lo}`);
  }
});
