/**
 * Float64 central-difference gradient checks of the whole model: every parameter of every cell
 * type (2 layers, tiny sizes), which covers embedding, the recurrent stacks, linear and the masked
 * mean cross-entropy; plus the same check with dropout on (fixed masks via a re-seeded Rng); and
 * all of it again for the tied output layer (config.tied: proj.weight, then the embedding's rows
 * as output weights, so embedding.weight's gradient is the sum of its output and input shares).
 *
 * Criterion: |a − n| / max(|a|, |n|, FLOOR) < 1e-6 for analytic a and numeric n. The central
 * difference with step h = 1e-5 has truncation error ~h²·|f'''| ≈ 1e-10 and rounding error
 * ~ε·|L|/h ≈ 2e-16·2/1e-5 ≈ 4e-11 (L ≈ ln V ≈ 2); FLOOR = 1e-4 turns that ~1e-10 absolute noise
 * into ≤ 1e-6 relative, so gradients smaller than 1e-4 are compared absolutely to 1e-10, which is
 * still far tighter than any real bug (a wrong term is typically off by 1e-3 or more).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { Model } from '../src/nn/model.ts';
import { Rng } from '../src/nn/rng.ts';
import { SPECIALS, Vocab } from '../src/data/vocab.ts';
import type { CellType } from '../src/nn/config.ts';
import { CONTROL_SYMBOLS, SEP, formSymbol } from '../src/data/sequence.ts';

const H_STEP = 1e-5;
const FLOOR = 1e-4;
const TOLERANCE = 1e-6;

const vocab = new Vocab([...SPECIALS, '山', '水', '月']); // V = 7
const B = 2;
const T = 4;
// Row 1 ends early: its last two targets are <pad> (0) and must be ignored.
const inputs = Int32Array.from([2, 4, 5, 6, 2, 6, 3, 0]);
const targets = Int32Array.from([4, 5, 6, 3, 6, 3, 0, 0]);

/** The worst relative error of `analytic` against central differences of `meanLoss` over every parameter of `model`. */
function worstGradError(model: Model<Float64Array>, meanLoss: () => number, analytic: Float64Array): { error: number; name: string; index: number; a: number; n: number } {
  let worst = { error: 0, name: '', index: 0, a: 0, n: 0 };
  for (const entry of model.table) {
    for (let i = 0; i < entry.size; i++) {
      const p = entry.offset + i;
      const saved = model.params[p]!;
      model.params[p] = saved + H_STEP;
      const up = meanLoss();
      model.params[p] = saved - H_STEP;
      const down = meanLoss();
      model.params[p] = saved;
      const numeric = (up - down) / (2 * H_STEP);
      const a = analytic[p]!;
      const error = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), FLOOR);
      if (error > worst.error) worst = { error, name: entry.name, index: i, a, n: numeric };
    }
  }
  return worst;
}

function gradcheck(cell: CellType, dropout: number, tied: boolean): void {
  const kernels = createReferenceKernels('f64');
  const model = Model.create(kernels, { cell, layers: 2, embed: 3, hidden: 4, dropout, vocabSize: vocab.size, gruVariant: 'seed', tied, titleBag: false }, vocab, 7);
  assert.deepEqual(model.table.filter((e) => e.name.endsWith('.weight') && !e.name.startsWith('rnn.')).map((e) => e.name), tied ? ['embedding.weight', 'proj.weight'] : ['embedding.weight', 'fc.weight']);
  // Re-seeding before every evaluation makes the dropout masks identical across them.
  const meanLoss = () => {
    const r = model.lossAndGrad(inputs, targets, B, T, new Rng(99));
    return r.loss / r.tokens;
  };
  meanLoss();
  const analytic = Float64Array.from(model.grads);
  const worst = worstGradError(model, meanLoss, analytic);
  const what = `${cell}${tied ? ' tied' : ''}`;
  assert.ok(worst.error < TOLERANCE, `${what}: worst relative error ${worst.error.toExponential(2)} at ${worst.name}[${worst.index}] (analytic ${worst.a}, numeric ${worst.n})`);
  // The check must have had something to check: gradients reach every tensor.
  for (const entry of model.table) {
    const norm = analytic.subarray(entry.offset, entry.offset + entry.size).reduce((s, g) => s + g * g, 0);
    assert.ok(norm > 0, `${what}: ${entry.name} got no gradient`);
  }
}

for (const tied of [false, true]) {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const what = `${cell}${tied ? ', output tied to the embedding' : ''}`;
    test(`${what}: analytic gradients of every parameter match central differences (f64)`, () => gradcheck(cell, 0, tied));
    test(`${what}: gradients with dropout match central differences under fixed masks`, () => gradcheck(cell, 0.3, tied));
  }
}

// The title bag (config.titleBag, src/nn/title-bag.ts): p = P h + A m, m the mean embedding of the
// title read so far. Row 0 has a two-character title, row 1 none (its m stays 0); A is drawn
// (it starts at zero, which would leave the embedding's title share untested).
test('gru with a title bag: analytic gradients of every parameter match central differences (f64), with and without dropout', () => {
  const tv = new Vocab([...SPECIALS, ...CONTROL_SYMBOLS, '山', '水', '月']);
  const id = (s: string) => tv.id(s)!;
  const form = id(formSymbol('wujue'));
  const Tt = 6;
  const ins = Int32Array.from([2, form, id('山'), id('水'), id(SEP), id('月'), /* row 1 */ 2, form, id(SEP), id('月'), id('水'), 0]);
  const tgs = Int32Array.from([form, id('山'), id('水'), id(SEP), id('月'), 3, /* row 1 */ form, id(SEP), id('月'), id('水'), 3, 0]);
  for (const dropout of [0, 0.3]) {
    const kernels = createReferenceKernels('f64');
    const model = Model.create(kernels, { cell: 'gru', layers: 2, embed: 3, hidden: 4, dropout, vocabSize: tv.size, gruVariant: 'seed', tied: true, titleBag: true }, tv, 7);
    const A = model.tensor('title.weight');
    assert.ok(A.every((a) => a === 0), 'the title bag starts closed');
    const rng = new Rng(5);
    for (let i = 0; i < A.length; i++) A[i] = rng.next() - 0.5;
    const meanLoss = () => {
      const r = model.lossAndGrad(ins, tgs, 2, Tt, new Rng(99));
      return r.loss / r.tokens;
    };
    meanLoss();
    const analytic = Float64Array.from(model.grads);
    const worst = worstGradError(model, meanLoss, analytic);
    assert.ok(worst.error < TOLERANCE, `title bag, dropout ${dropout}: worst relative error ${worst.error.toExponential(2)} at ${worst.name}[${worst.index}]`);
    const norm = (name: string) => { const e = model.table.find((t) => t.name === name)!; return analytic.subarray(e.offset, e.offset + e.size).reduce((s, g) => s + g * g, 0); };
    assert.ok(norm('title.weight') > 0, 'title.weight got a gradient');
  }
});
