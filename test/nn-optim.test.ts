/**
 * Optimizers against hand-computed PyTorch updates (two steps each, with weight decay),
 * gradient-norm clipping, and state export/import resuming exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { clipGradNorm, createOptimizer, OptimizerStateError } from '../src/nn/optim.ts';

const k = createReferenceKernels('f64');
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-15 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('adam through the optimizer object: bias-corrected steps with weight decay', () => {
  const opt = createOptimizer(k, 'adam', 1, { lr: 0.1, weightDecay: 0.1 });
  const p = new Float64Array([1]);
  opt.step(p, new Float64Array([0.5]));
  close(p[0], 1 - (0.1 * 0.6) / (0.6 + 1e-8), 'p after step 1');
  assert.equal(opt.t, 1);
});

test('rmsprop: two steps by hand (alpha 0.99, wd 0.1), without and with momentum', () => {
  const p = new Float64Array([2]);
  const opt = createOptimizer(k, 'rmsprop', 1, { lr: 0.01, weightDecay: 0.1 });
  let sq = 0;
  let want = 2;
  for (const g0 of [0.3, -0.7]) {
    opt.step(p, new Float64Array([g0]));
    const g = g0 + 0.1 * want;
    sq = 0.99 * sq + 0.01 * g * g;
    want -= (0.01 * g) / (Math.sqrt(sq) + 1e-8);
    close(p[0], want, 'rmsprop');
  }
  const pm = new Float64Array([2]);
  const withMomentum = createOptimizer(k, 'rmsprop', 1, { lr: 0.01, momentum: 0.5 });
  let buf = 0;
  sq = 0;
  want = 2;
  for (const g of [0.3, -0.7]) {
    withMomentum.step(pm, new Float64Array([g]));
    sq = 0.99 * sq + 0.01 * g * g;
    buf = 0.5 * buf + g / (Math.sqrt(sq) + 1e-8);
    want -= 0.01 * buf;
    close(pm[0], want, 'rmsprop momentum');
  }
});

test('sgd with momentum: two steps by hand (buffer starts at the first gradient)', () => {
  const p = new Float64Array([1, -1]);
  const opt = createOptimizer(k, 'sgd', 2, { lr: 0.5, momentum: 0.9, weightDecay: 0.01 });
  opt.step(p, new Float64Array([0.2, 0.4]));
  const g1 = [0.2 + 0.01, 0.4 - 0.01];
  const p1 = [1 - 0.5 * g1[0], -1 - 0.5 * g1[1]];
  close(p[0], p1[0], 'p0 step 1');
  close(p[1], p1[1], 'p1 step 1');
  opt.step(p, new Float64Array([0.2, 0.4]));
  const buf = [0.9 * g1[0] + 0.2 + 0.01 * p1[0], 0.9 * g1[1] + 0.4 + 0.01 * p1[1]];
  close(p[0], p1[0] - 0.5 * buf[0], 'p0 step 2');
  close(p[1], p1[1] - 0.5 * buf[1], 'p1 step 2');
});

test('clipGradNorm: returns the pre-clip norm, scales only when above maxNorm (PyTorch formula)', () => {
  const g = new Float64Array([3, 4]);
  assert.equal(clipGradNorm(k, g, 2, 10), 5);
  assert.deepEqual([...g], [3, 4]);
  assert.equal(clipGradNorm(k, g, 2, 1), 5);
  close(g[0], (3 * 1) / (5 + 1e-6), 'clipped g0');
  close(g[1], (4 * 1) / (5 + 1e-6), 'clipped g1');
});

for (const kind of ['adam', 'rmsprop', 'sgd'] as const) {
  test(`${kind}: state() / loadState() resumes exactly`, () => {
    const k32 = createReferenceKernels('f32');
    const grads = [[0.1, -0.2, 0.3], [0.05, 0.5, -0.4], [-0.3, 0.2, 0.1]].map((g) => Float32Array.from(g));
    const straight = createOptimizer(k32, kind, 3, { momentum: 0.5 });
    const p = Float32Array.from([1, 2, 3]);
    grads.forEach((g) => straight.step(p, g));

    const first = createOptimizer(k32, kind, 3, { momentum: 0.5 });
    const q = Float32Array.from([1, 2, 3]);
    first.step(q, grads[0]);
    const saved = first.state();
    const resumed = createOptimizer(k32, kind, 3, { momentum: 0.5 });
    resumed.loadState(saved);
    assert.equal(resumed.t, 1);
    resumed.step(q, grads[1]);
    resumed.step(q, grads[2]);
    assert.deepEqual([...q], [...p]);
  });
}

test('loadState refuses a state of the wrong size or kind', () => {
  const opt = createOptimizer(k, 'adam', 3);
  assert.throws(() => opt.loadState({ step: 1, m: new Float32Array(2), v: new Float32Array(3) }), OptimizerStateError);
  assert.throws(() => opt.loadState({ step: 1, momentum: new Float32Array(3) }), /adam state "m" is missing/);
  assert.throws(() => createOptimizer(k, 'adamw' as never, 3), /unknown optimizer "adamw"/);
});
