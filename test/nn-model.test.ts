/**
 * Model behaviour beyond gradients: the GRU against a direct scalar transcription of the seed's
 * equations; incremental `step` equal to the full forward pass for every cell; `selectState`;
 * loss bookkeeping (sum and count over non-pad targets, logprob); parameter table and init;
 * workspace growth; clear errors for bad ids; which product kernel each path runs (matmul.ts).
 */
import { test } from 'node:test';
import { CONTROL_SYMBOLS, SEP, formSymbol } from '../src/data/sequence.ts';
import assert from 'node:assert/strict';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { Model } from '../src/nn/model.ts';
import { matmulNT } from '../src/nn/matmul.ts';
import { int8Activations, quantizeMatrix } from '../src/nn/int8.ts';
import type { Kernels } from '../src/engine/kernels.ts';
import { mix32, Rng, shuffle, UNTITLED_MIX } from '../src/nn/rng.ts';
import { SPECIALS, Vocab } from '../src/data/vocab.ts';
import type { CellType, ModelConfig } from '../src/nn/config.ts';
import { initParams, paramCount, paramTable, paramView } from '../src/nn/params.ts';

const vocab = new Vocab([...SPECIALS, '山', '水', '月', '花', '风']); // V = 9
const config = (cell: CellType): ModelConfig => ({ cell, layers: 2, embed: 3, hidden: 5, dropout: 0, vocabSize: vocab.size, gruVariant: 'seed', tied: false, titleBag: false });
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The seed's GRU, written out scalar by scalar from the named tensors; returns logits [T][V]. */
function scalarGruLogits(model: Model<Float64Array>, ids: number[]): number[][] {
  const { layers, hidden: H, embed: E, vocabSize: V } = model.config;
  const W = (name: string) => model.tensor(name);
  let xs = ids.map((id) => [...W('embedding.weight').subarray(id * E, (id + 1) * E)]);
  for (let l = 0; l < layers; l++) {
    const [wih, whh, bih, bhh] = [W(`rnn.weight_ih_l${l}`), W(`rnn.weight_hh_l${l}`), W(`rnn.bias_ih_l${l}`), W(`rnn.bias_hh_l${l}`)];
    const I = xs[0].length;
    const dotX = (row: number, x: number[]) => x.reduce((s, xi, i) => s + wih[row * I + i] * xi, 0);
    const dotH = (row: number, h: number[]) => h.reduce((s, hi, i) => s + whh[row * H + i] * hi, 0);
    let h = new Array<number>(H).fill(0);
    const outs: number[][] = [];
    for (const x of xs) {
      const r = h.map((_, j) => sigmoid(dotX(j, x) + bih[j] + dotH(j, h) + bhh[j]));
      const z = h.map((_, j) => sigmoid(dotX(H + j, x) + bih[H + j] + dotH(H + j, h) + bhh[H + j]));
      const rh = h.map((hj, j) => r[j] * hj);
      const n = h.map((_, j) => Math.tanh(dotX(2 * H + j, x) + bih[2 * H + j] + dotH(2 * H + j, rh) + bhh[2 * H + j]));
      h = h.map((hj, j) => (1 - z[j]) * hj + z[j] * n[j]);
      outs.push(h);
    }
    xs = outs;
  }
  const [fw, fb] = [W('fc.weight'), W('fc.bias')];
  return xs.map((h) => Array.from({ length: V }, (_, v) => h.reduce((s, hi, i) => s + fw[v * H + i] * hi, fb[v])));
}

test('gru: the model equals a scalar transcription of the seed equations', () => {
  const model = Model.create(createReferenceKernels('f64'), config('gru'), vocab, 3);
  const ids = [2, 4, 7, 5, 8, 6];
  const expected = scalarGruLogits(model, ids);
  const logits = model.logits(Int32Array.from(ids), 1, ids.length);
  for (let t = 0; t < ids.length; t++) {
    for (let v = 0; v < vocab.size; v++) {
      assert.ok(Math.abs(logits[t * vocab.size + v] - expected[t][v]) < 1e-12, `t=${t} v=${v}`);
    }
  }
});

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  test(`${cell}: incremental step() equals the full forward pass; selectState copies rows`, () => {
    const model = Model.create(createReferenceKernels('f64'), config(cell), vocab, 5);
    const V = vocab.size;
    const seqs = [[2, 4, 5, 6, 7], [2, 8, 8, 4, 3]];
    const full = model.logits(Int32Array.from(seqs.flat()), 2, 5);
    let state = model.initState(2);
    for (let t = 0; t < 5; t++) {
      const logits = model.step(state, Int32Array.from(seqs.map((s) => s[t])));
      assert.ok(logits instanceof Float32Array);
      for (let b = 0; b < 2; b++) {
        for (let v = 0; v < V; v++) {
          const want = full[(b * 5 + t) * V + v];
          assert.ok(Math.abs(logits[b * V + v] - want) < 1e-6 * Math.max(1, Math.abs(want)), `b=${b} t=${t}`);
        }
      }
      if (t === 2) state = model.selectState(state, Int32Array.from([0, 1])); // identity copy mid-way
    }
    // Fan sequence 1 out to three copies: each continues exactly like the original.
    const fanned = model.selectState(state, Int32Array.from([1, 1, 1]));
    const a = Float64Array.from(model.step(state, Int32Array.from([4, 4])).subarray(V, 2 * V));
    const b = model.step(fanned, Int32Array.from([4, 4, 4]));
    for (let s = 0; s < 3; s++) assert.deepEqual([...b.subarray(s * V, (s + 1) * V)], [...a].map(Math.fround));
  });
}

test('lossAndGrad returns the sum over non-pad targets and their count; loss() agrees; logprob', () => {
  const model = Model.create(createReferenceKernels('f64'), config('lstm'), vocab, 1);
  const inputs = Int32Array.from([2, 4, 5, 2, 6, 0]);
  const targets = Int32Array.from([4, 5, 3, 6, 3, 0]);
  const r = model.lossAndGrad(inputs, targets, 2, 3, null);
  assert.equal(r.tokens, 5);
  const logits = model.logits(inputs, 2, 3);
  const V = vocab.size;
  let expected = 0;
  targets.forEach((target, i) => {
    if (target === 0) return;
    const row = logits.subarray(i * V, (i + 1) * V);
    expected -= row[target] - Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
  });
  assert.ok(Math.abs(r.loss - expected) < 1e-12);
  assert.deepEqual(model.loss(inputs, targets, 2, 3), r);
  // logprob of "山水" = log p(山|<bos>) + log p(水|山) + log p(<eos>|水) = −(loss of row 0).
  const row0 = model.loss(inputs.subarray(0, 3), targets.subarray(0, 3), 1, 3);
  assert.ok(Math.abs(model.logprob([4, 5]) + row0.loss) < 1e-12);
});

test('dropout changes the training loss but not loss(); no dropout Rng means no dropout', () => {
  const model = Model.create(createReferenceKernels('f64'), { ...config('gru'), dropout: 0.5 }, vocab, 1);
  const inputs = Int32Array.from([2, 4, 5, 6]);
  const targets = Int32Array.from([4, 5, 6, 3]);
  const clean = model.loss(inputs, targets, 1, 4).loss;
  assert.equal(model.lossAndGrad(inputs, targets, 1, 4, null).loss, clean);
  assert.notEqual(model.lossAndGrad(inputs, targets, 1, 4, new Rng(1)).loss, clean);
  assert.equal(model.loss(inputs, targets, 1, 4).loss, clean);
});

test('buffers grow for a larger batch and results do not depend on history', () => {
  const model = Model.create(createReferenceKernels('f64'), config('rnn'), vocab, 2);
  const one = model.loss(Int32Array.from([2, 4]), Int32Array.from([4, 3]), 1, 2);
  model.loss(Int32Array.from({ length: 24 }, (_, i) => 2 + (i % 7)), Int32Array.from({ length: 24 }, (_, i) => 3 + (i % 6)), 4, 6);
  assert.deepEqual(model.loss(Int32Array.from([2, 4]), Int32Array.from([4, 3]), 1, 2), one);
});

test('parameter table: PyTorch names, shapes, contiguous offsets, PyTorch-like init ranges', () => {
  const model = Model.create(createReferenceKernels('f64'), { ...config('lstm'), hidden: 16 }, vocab, 9);
  assert.deepEqual(model.table.map((e) => `${e.name} [${e.shape}]`), [
    'embedding.weight [9,3]',
    'rnn.weight_ih_l0 [64,3]', 'rnn.weight_hh_l0 [64,16]', 'rnn.bias_ih_l0 [64]', 'rnn.bias_hh_l0 [64]',
    'rnn.weight_ih_l1 [64,16]', 'rnn.weight_hh_l1 [64,16]', 'rnn.bias_ih_l1 [64]', 'rnn.bias_hh_l1 [64]',
    'fc.weight [9,16]', 'fc.bias [9]',
  ]);
  let offset = 0;
  for (const e of model.table) {
    assert.equal(e.offset, offset);
    offset += e.size;
  }
  assert.equal(model.paramCount, offset);
  const maxAbs = (name: string) => Math.max(...model.tensor(name).map(Math.abs));
  assert.ok(maxAbs('rnn.weight_hh_l1') <= 0.25 && maxAbs('rnn.weight_hh_l1') > 0.2); // U(±1/√16)
  assert.ok(maxAbs('embedding.weight') > 1); // N(0,1) over 27 draws
  // Same seed, same parameters.
  const again = Model.create(createReferenceKernels('f64'), { ...config('lstm'), hidden: 16 }, vocab, 9);
  assert.deepEqual([...again.params], [...model.params]);
});

test('out-of-range token ids are refused with a clear message', () => {
  const model = Model.create(createReferenceKernels('f64'), config('rnn'), vocab, 2);
  assert.throws(() => model.loss(Int32Array.from([2, 99]), Int32Array.from([4, 3]), 1, 2), /token id 99 out of range \[0, 9\)/);
});

test('Rng: reproducible, serialisable, uniform-looking', () => {
  const a = new Rng(42);
  const first = [a.next(), a.next()];
  const state = a.getState();
  const next = [a.next(), a.int(10), a.normal()];
  const b = new Rng(42);
  assert.deepEqual([b.next(), b.next()], first);
  const c = new Rng(7);
  c.setState(state);
  assert.deepEqual([c.next(), c.int(10), c.normal()], next);
  let mean = 0;
  for (let i = 0; i < 10000; i++) mean += a.next() / 10000;
  assert.ok(Math.abs(mean - 0.5) < 0.02);
  assert.throws(() => c.setState([0, 0, 0, 0]), /invalid RNG state/);
});

test('mix32: murmur3 fmix32 by default, the trainer\'s constant set on request; Rng seeds through it; shuffle permutes', () => {
  // murmur3's published fmix32 values; the UNTITLED_MIX ones as the trainer computed them before
  // mix32 existed (data order of every trained model depends on them)
  assert.deepEqual([0, 1, 2, 0xffffffff].map((x) => mix32(x)), [0, 0x514e28b7, 0x30f4c306, 0x81f16f39]);
  assert.equal(mix32(-1), mix32(0xffffffff), 'reads the low 32 bits');
  assert.deepEqual([1, 0x12345678].map((x) => mix32(x, UNTITLED_MIX)), [0xed345605, 0xa9356e05]);
  // Rng's first words for seed 1, pinned from before splitmix32 called mix32
  const r = new Rng(1);
  assert.deepEqual([r.nextUint32(), r.nextUint32()], [2442144158, 3238099751]);
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = shuffle([...items], new Rng(3));
  assert.notDeepEqual(shuffled, items);
  assert.deepEqual([...shuffled].sort((a, b) => a - b), items);
  assert.deepEqual(shuffle([...items], new Rng(3)), shuffled, 'same Rng seed, same order');
});

test('inputGradient: the gradient reaching each input vector, batch-major', () => {
  const model = Model.create(createReferenceKernels('f64'), config('lstm'), vocab, 8);
  const E = model.config.embed;
  // every input id appears once, so its embedding-row gradient is exactly its input's gradient
  const inputs = Int32Array.from([2, 4, 5, 6, 7, 8]);
  const targets = Int32Array.from([4, 5, 6, 3, 8, 0]);
  model.lossAndGrad(inputs, targets, 2, 3, null);
  const dx = model.inputGradient(2, 3);
  const dTable = model.tensor('embedding.weight', 'grads');
  inputs.forEach((id, i) => {
    for (let e = 0; e < E; e++) assert.equal(dx[i * E + e], dTable[id * E + e]);
  });
});

test('matmulNT runs the kernel its matrix names: training gemm, the f32 step gemmNT, the int8 step the int8 product', () => {
  const base = createReferenceKernels('f32');
  const calls: string[] = [];
  const k = Object.create(base) as Kernels<Float32Array>;
  for (const name of ['gemm', 'gemmNT', 'quantizeRows', 'gemmNTInt8'] as const) {
    (k as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => { calls.push(name); return (base[name] as (...a: unknown[]) => unknown)(...args); };
  }
  const count = () => { const n: Record<string, number> = {}; for (const c of calls.splice(0)) n[c] = (n[c] ?? 0) + 1; return n; };
  const model = Model.create(k, config('gru'), vocab, 3);
  const ids = Int32Array.of(4, 5, 6, 7);
  model.lossAndGrad(ids, ids, 2, 2, null);
  assert.deepEqual(Object.keys(count()), ['gemm']);
  // per step: each of 2 layers an input projection and the gru's two recurrent products, then fc
  const state = model.initState(2);
  model.step(state, Int32Array.of(4, 5));
  assert.deepEqual(count(), { gemmNT: 7 });
  model.setDecodePrecision('int8');
  model.step(state, Int32Array.of(4, 5));
  assert.deepEqual(count(), { quantizeRows: 7, gemmNTInt8: 7 });
  model.setDecodePrecision('f32');
  model.step(state, Int32Array.of(4, 5));
  assert.deepEqual(count(), { gemmNT: 7 });

  // a row block of an int8 matrix is that block of the whole product; rows past its end are refused
  const W = Float32Array.from({ length: 4 * 3 }, (_, i) => Math.sin(i + 1));
  const A = Float32Array.of(0.5, -1, 2);
  const q = quantizeMatrix(base, W, 4, 3, int8Activations(base));
  const whole = new Float32Array(4), block = new Float32Array(2);
  matmulNT(base, whole, 4, A, q, 1, 4, 3, 0);
  matmulNT(base, block, 2, A, q, 1, 2, 3, 0, 2);
  assert.deepEqual([...block], [...whole.subarray(2)]);
  assert.throws(() => matmulNT(base, block, 2, A, q, 1, 2, 3, 0, 3), /does not fit a 4×3 matrix/);
  assert.throws(() => matmulNT(base, block, 2, A, { kind: 'f32', rows: 4, cols: 3, data: W }, 1, 2, 3, 0, 3), /does not fit a 4×3 matrix/);
});

test('initialisation: a tied model draws its embedding N(0, 1/E) (its rows are output weights too), an untied one N(0, 1)', () => {
  for (const tied of [false, true]) {
    const config: ModelConfig = { cell: 'gru', layers: 1, embed: 64, hidden: 32, dropout: 0, vocabSize: 500, gruVariant: 'seed', tied, titleBag: false };
    const table = paramTable(config);
    const params = new Float32Array(paramCount(table));
    initParams(params, table, config, new Rng(7));
    const emb = paramView(params, table, 'embedding.weight');
    const sd = Math.sqrt(emb.reduce((s, x) => s + x * x, 0) / emb.length);
    const want = tied ? 1 / Math.sqrt(64) : 1;
    assert.ok(Math.abs(sd / want - 1) < 0.05, `tied ${tied}: embedding sd ${sd}, want ${want}`);
    // the rest as PyTorch draws them: U(±1/√H)
    const other = paramView(params, table, tied ? 'proj.weight' : 'fc.weight');
    assert.ok(other.every((x) => Math.abs(x) <= 1 / Math.sqrt(32)));
  }
});

test('title bag: incremental step() equals the full forward pass, with reads (int8 and f32), fan-out and a joining row', () => {
  const tv = new Vocab([...SPECIALS, ...CONTROL_SYMBOLS, '山', '水', '月', '风', '，', '。']);
  const id = (s: string) => tv.id(s)!;
  const form = id(formSymbol('wujue'));
  const model = Model.create(createReferenceKernels('f64'), { cell: 'gru', layers: 2, embed: 3, hidden: 4, dropout: 0, vocabSize: tv.size, gruVariant: 'seed', tied: true, titleBag: true }, tv, 5);
  const A = model.tensor('title.weight');
  for (let i = 0; i < A.length; i++) A[i] = Math.sin(i + 1);
  const V = tv.size, T = 7;
  // a titled row, an untitled one, and a row whose "title" characters come after <sep> (not a title)
  const seqs = [[2, form, id('山'), id('水'), id(SEP), id('月'), id('风')], [2, form, id(SEP), id('月'), id('水'), id('，'), id('山')], [2, form, id(SEP), id('山'), id('山'), id('山'), id('。')]];
  const full = model.logits(Int32Array.from(seqs.flat()), 3, T);
  for (const precision of ['f32', 'int8'] as const) {
    model.setDecodePrecision(precision);
    let state = model.initState(3);
    for (let t = 0; t < T; t++) {
      // row 1 reads only some columns: the same logits where it reads
      const joined = state.size - 3; // the joining row reads <bos> and is not compared
      const reads = [null, [4, 9], null, ...Array(joined).fill(null)];
      const logits = model.step(state, Int32Array.from([...seqs.map((s) => s[t]!), ...Array(joined).fill(2)]), reads);
      for (let b = 0; b < 3; b++) {
        for (let v = 0; v < V; v++) {
          if (b === 1 && !(v >= 4 && v < 9)) continue;
          const want = full[(b * T + t) * V + v]!;
          const tol = precision === 'f32' ? 1e-6 : 0.05;
          assert.ok(Math.abs(logits[b * V + v]! - want) < tol * Math.max(1, Math.abs(want)), `${precision} b=${b} t=${t} v=${v}: ${logits[b * V + v]} vs ${want}`);
        }
      }
      if (t === 3) state = model.selectState(state, Int32Array.from([0, 1, 2, -1])); // a row joins: a fresh, open bag
    }
  }
  model.setDecodePrecision('f32');
  // the bag changes the titled row's logits (A is not zero), and fan-out copies it
  const state = model.initState(1);
  for (const t of seqs[0]!.slice(0, 5)) model.step(state, Int32Array.of(t));
  const fanned = model.selectState(state, Int32Array.from([0, 0]));
  const one = Float64Array.from(model.step(state, Int32Array.of(id('月'))));
  const two = model.step(fanned, Int32Array.from([id('月'), id('月')]));
  for (let s = 0; s < 2; s++) assert.deepEqual([...two.subarray(s * V, (s + 1) * V)], [...one].map(Math.fround));
});
