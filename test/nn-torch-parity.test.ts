/**
 * Parity with PyTorch on the committed fixtures of tools/make-fixtures.py (nn.Embedding →
 * nn.LSTM/nn.RNN, 2 layers → nn.Linear, or for lstm-tied nn.Linear(H, E, bias=False) then
 * F.linear with the embedding's weight, and for lstm-titlebag the title bag added to the
 * projection; masked mean cross-entropy; Adam with clip_grad_norm_).
 * The fixtures are float64 computations on float32-representable parameters, so:
 * - the float64 engine must agree to 1e-9 relative (it is the same arithmetic, reordered);
 * - the float32 engine within 1e-5 relative per element for logits and gradients, with the
 *   denominator floored at 1e-2·(largest |value| of that tensor): float32 rounding (ε ≈ 6e-8)
 *   over the sums of a forward/backward pass leaves absolute errors of ~2e-7 of the tensor's
 *   scale (measured), so an entry 1e-5 of the scale (there are such: 5.8e-7 in a tensor whose
 *   largest gradient is 1.3e-2) cannot hold 1e-5 relative; the floor compares entries below 1% of
 *   the scale absolutely (to 1e-7 of it). As a whole-tensor check, ‖a − e‖ / ‖e‖ < 1e-6
 *   (measured ≤ 2.2e-7);
 * - the 10 Adam losses within 1e-4 relative (float32), 1e-9 (float64).
 * Also: a model file written by a PyTorch script (by hand, F32 and F16) loads and scores the
 * same texts to 1e-4 relative of PyTorch's own log-likelihood.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createReferenceKernels } from '../src/engine/reference.ts';
import type { FloatArray, Kernels } from '../src/engine/kernels.ts';
import { Model } from '../src/nn/model.ts';
import { clipGradNorm, createOptimizer } from '../src/nn/optim.ts';
import { readModelFile } from '../src/nn/checkpoint.ts';
import { SPECIALS, Vocab } from '../src/data/vocab.ts';
import { fixtureSymbols, readTorchFixture, TORCH_FIXTURES, TORCH_PARITY, type TorchFixture } from './torch-fixtures.ts';
import { SEP, formSymbol } from '../src/data/sequence.ts';



function modelFromFixture<F extends FloatArray>(kernels: Kernels<F>, fx: TorchFixture): Model<F> {
  const model = Model.create(kernels, { cell: fx.cell, layers: fx.layers, embed: fx.E, hidden: fx.H, dropout: 0, vocabSize: fx.V, gruVariant: 'seed', tied: fx.tied ?? false, titleBag: fx.titleBag ?? false }, new Vocab(fixtureSymbols(fx, [SEP, formSymbol('wujue')])), null);
  assert.deepEqual(model.table.map((e) => e.name).sort(), Object.keys(fx.params).sort());
  for (const entry of model.table) {
    assert.deepEqual(entry.shape, fx.params[entry.name].shape, entry.name);
    model.params.set(fx.params[entry.name].data, entry.offset);
  }
  return model;
}

/** Max over i of |a−e| / max(|a|, |e|, floor·max|e|) (0 where both are exactly equal). */
function worstError(actual: ArrayLike<number>, expected: readonly number[], floor: number): number {
  assert.equal(actual.length, expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > 0) worst = Math.max(worst, diff / Math.max(Math.abs(actual[i]), Math.abs(expected[i]), floor * scale));
  }
  return worst;
}

/** ‖a − e‖ / ‖e‖. */
function normError(actual: ArrayLike<number>, expected: readonly number[]): number {
  let num = 0;
  let den = 0;
  expected.forEach((e, i) => {
    num += (actual[i] - e) ** 2;
    den += e * e;
  });
  return Math.sqrt(num / den);
}

for (const name of TORCH_PARITY) {
  for (const dtype of ['f64', 'f32'] as const) {
    const [tol, floor, normTol, lossTol] = dtype === 'f64' ? [1e-9, 0, 1e-12, 1e-9] : [1e-5, 1e-2, 1e-6, 1e-4];

    test(`${name} ${dtype}: logits, loss and every gradient match PyTorch`, () => {
      const fx = readTorchFixture(name);
      const model = modelFromFixture(createReferenceKernels(dtype) as Kernels<FloatArray>, fx);
      const inputs = Int32Array.from(fx.inputs);
      const targets = Int32Array.from(fx.targets);
      const logitsError = worstError(model.logits(inputs, fx.B, fx.T), fx.logits, floor);
      assert.ok(logitsError < tol, `logits: ${logitsError}`);
      const { loss, tokens } = model.lossAndGrad(inputs, targets, fx.B, fx.T, null);
      assert.equal(tokens, fx.tokens);
      assert.ok(Math.abs(loss - fx.loss_sum) / fx.loss_sum < tol, `loss ${loss} vs ${fx.loss_sum}`);
      for (const entry of model.table) {
        const grad = model.grads.subarray(entry.offset, entry.offset + entry.size);
        const error = worstError(grad, fx.grads[entry.name], floor);
        assert.ok(error < tol, `grad ${entry.name}: ${error}`);
        const whole = normError(grad, fx.grads[entry.name]);
        assert.ok(whole < normTol, `grad ${entry.name}: norm-relative error ${whole}`);
      }
    });

    test(`${name} ${dtype}: 10 Adam steps with gradient clipping follow PyTorch's losses`, () => {
      const fx = readTorchFixture(name);
      const kernels = createReferenceKernels(dtype) as Kernels<FloatArray>;
      const model = modelFromFixture(kernels, fx);
      const { lr, betas, eps, clip, steps } = fx.adam;
      const adam = createOptimizer(kernels, 'adam', model.paramCount, { lr, beta1: betas[0], beta2: betas[1], eps });
      for (const [i, step] of steps.entries()) {
        const { loss, tokens } = model.lossAndGrad(Int32Array.from(step.inputs), Int32Array.from(step.targets), fx.B, fx.T, null);
        assert.ok(Math.abs(loss / tokens - step.loss) / step.loss < lossTol, `step ${i}: loss ${loss / tokens} vs ${step.loss}`);
        const norm = clipGradNorm(kernels, model.grads, model.paramCount, clip);
        assert.ok(Math.abs(norm - step.grad_norm) / step.grad_norm < lossTol, `step ${i}: grad norm ${norm} vs ${step.grad_norm}`);
        adam.step(model.params, model.grads);
      }
    });
  }
}

test('a model file written by a PyTorch script (F32 and F16) scores texts as PyTorch does', () => {
  const expected: Record<string, { text: string; logprob: number }[]> = JSON.parse(fs.readFileSync(path.join(TORCH_FIXTURES, 'pytorch-scores.json'), 'utf8'));
  for (const [file, scores] of Object.entries(expected)) {
    for (const dtype of ['f32', 'f64'] as const) {
      const model = readModelFile(path.join(TORCH_FIXTURES, file), createReferenceKernels(dtype) as Kernels<FloatArray>);
      assert.equal(model.config.cell, 'lstm');
      for (const { text, logprob } of scores) {
        const ours = model.logprob(model.vocab.encode(text));
        const error = Math.abs(ours - logprob) / Math.abs(logprob);
        assert.ok(error < (dtype === 'f32' ? 1e-4 : 1e-9), `${file} ${dtype} "${text}": ${ours} vs ${logprob}`);
      }
    }
  }
});
