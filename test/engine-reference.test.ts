/**
 * The reference kernels against direct formulas: GEMM in all four transpose modes with leading
 * dimensions, alpha and beta (beta = 0 must wipe NaN); bias, embedding, softmax cross-entropy
 * (value, gradient by central differences, pad rows, aliasing); Adam against hand-computed values.
 * The cell kernels' gradients are checked through the whole model in nn-gradcheck.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { Rng } from '../src/nn/rng.ts';

const k = createReferenceKernels('f64');

function random(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n }, () => 2 * rng.next() - 1);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('gemm matches a triple loop in every transpose mode, with leading dimensions, alpha and beta', () => {
  const rng = new Rng(1);
  const [M, N, K] = [5, 4, 3];
  const pad = 2; // every leading dimension is wider than the matrix
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const [aRows, aCols] = transA ? [K, M] : [M, K];
      const [bRows, bCols] = transB ? [N, K] : [K, N];
      const lda = aCols + pad, ldb = bCols + pad, ldc = N + pad;
      const A = random(aRows * lda, rng), Bm = random(bRows * ldb, rng), C = random(M * ldc, rng);
      const opA = (i: number, kk: number) => (transA ? A[kk * lda + i] : A[i * lda + kk]);
      const opB = (kk: number, j: number) => (transB ? Bm[j * ldb + kk] : Bm[kk * ldb + j]);
      const expected = Float64Array.from(C);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let kk = 0; kk < K; kk++) s += opA(i, kk) * opB(kk, j);
          expected[i * ldc + j] = 0.5 * s + 0.25 * C[i * ldc + j];
        }
      }
      k.gemm(transA, transB, M, N, K, 0.5, A, lda, Bm, ldb, 0.25, C, ldc);
      assertClose(C, expected, 1e-14, `gemm(${transA},${transB})`); // padding columns untouched too
    }
  }
});

test('gemm with beta = 0 ignores NaN in C', () => {
  const C = new Float64Array([NaN, NaN, NaN, NaN]);
  k.gemm(false, false, 2, 2, 1, 1, new Float64Array([1, 2]), 1, new Float64Array([3, 4]), 2, 0, C, 2);
  assert.deepEqual([...C], [3, 4, 6, 8]);
});

test('addBias, biasBackward, embedding gather and scatter-add', () => {
  const out = new Float64Array([1, 2, 3, 4, 5, 6]);
  k.addBias(out, new Float64Array([10, 20, 30]), 2, 3);
  assert.deepEqual([...out], [11, 22, 33, 14, 25, 36]);
  const db = new Float64Array([1, 1, 1]);
  k.biasBackward(db, out, 2, 3);
  assert.deepEqual([...db], [26, 48, 70]);

  const table = new Float64Array([0, 1, 10, 11, 20, 21]); // V=3, E=2
  const ids = Int32Array.from([2, 0, 2]);
  const emb = new Float64Array(6);
  k.embeddingForward(emb, table, ids, 3, 2);
  assert.deepEqual([...emb], [20, 21, 0, 1, 20, 21]);
  const dtable = new Float64Array(6).fill(1);
  k.embeddingBackward(dtable, new Float64Array([1, 2, 3, 4, 5, 6]), ids, 3, 2);
  assert.deepEqual([...dtable], [4, 5, 1, 1, 7, 9]); // row 2 gets rows 0 and 2 of dout
});

test('softmaxCrossEntropy: loss, gradient by central differences, ignored rows, aliasing', () => {
  const rng = new Rng(2);
  const [N, V] = [3, 5];
  const logits = random(N * V, rng).map((x) => 3 * x);
  const targets = Int32Array.from([4, 0, 1]); // row 1 is <pad>
  const lossOf = (l: Float64Array) => k.softmaxCrossEntropy(new Float64Array(N * V), l, targets, N, V, 0, 1);
  let expected = 0;
  for (const n of [0, 2]) {
    const row = logits.subarray(n * V, (n + 1) * V);
    expected += Math.log(row.reduce((s, x) => s + Math.exp(x), 0)) - row[targets[n]];
  }
  assert.ok(Math.abs(lossOf(logits) - expected) < 1e-13);

  const dlogits = new Float64Array(N * V);
  k.softmaxCrossEntropy(dlogits, logits, targets, N, V, 0, 0.5);
  for (let i = 0; i < N * V; i++) {
    const saved = logits[i];
    logits[i] = saved + 1e-6;
    const up = lossOf(logits);
    logits[i] = saved - 1e-6;
    const down = lossOf(logits);
    logits[i] = saved;
    assert.ok(Math.abs(dlogits[i] - (0.5 * (up - down)) / 2e-6) < 1e-9, `dlogits[${i}]`);
  }
  assert.deepEqual([...dlogits.subarray(V, 2 * V)], [0, 0, 0, 0, 0]);

  const aliased = Float64Array.from(logits);
  const loss = k.softmaxCrossEntropy(aliased, aliased, targets, N, V, 0, 0.5);
  assert.equal(loss, lossOf(logits));
  assert.deepEqual([...aliased], [...dlogits]);
});

test('softmaxCrossEntropy is stable for huge logits', () => {
  const loss = k.softmaxCrossEntropy(new Float64Array(2), new Float64Array([1000, 0]), Int32Array.from([1]), 1, 2, 0, 1);
  assert.ok(Math.abs(loss - 1000) < 1e-9);
});

test('mul, addInPlace, scale, sumSquares', () => {
  const a = new Float64Array([1, -2, 3]);
  k.mul(a, a, new Float64Array([2, 0, 0.5]), 3);
  assert.deepEqual([...a], [2, -0, 1.5]);
  k.addInPlace(a, new Float64Array([1, 1, 1]), 3);
  k.scale(a, 2, 3);
  assert.deepEqual([...a], [6, 2, 5]);
  assert.equal(k.sumSquares(a, 3), 65);
});

test('adam: two steps against values computed by hand', () => {
  // One parameter, p = 1, grads 0.5 then −0.25, lr 0.1, betas (0.9, 0.999), eps 1e-8, wd 0.1.
  const p = new Float64Array([1]), m = new Float64Array(1), v = new Float64Array(1);
  k.adam(p, new Float64Array([0.5]), m, v, 1, 0.1, 0.9, 0.999, 1e-8, 0.1, 1);
  // g = 0.5 + 0.1 = 0.6; m = 0.06; v = 0.00036; m̂ = 0.6, v̂ = 0.36; p = 1 − 0.1·0.6/(0.6 + 1e-8)
  assert.ok(Math.abs(p[0] - (1 - (0.1 * 0.6) / (0.6 + 1e-8))) < 1e-15);
  const p1 = p[0];
  k.adam(p, new Float64Array([-0.25]), m, v, 1, 0.1, 0.9, 0.999, 1e-8, 0.1, 2);
  const g = -0.25 + 0.1 * p1;
  const m2 = 0.9 * 0.06 + 0.1 * g, v2 = 0.999 * 0.00036 + 0.001 * g * g;
  const expected = p1 - (0.1 * (m2 / (1 - 0.81))) / (Math.sqrt(v2 / (1 - 0.999 ** 2)) + 1e-8);
  assert.ok(Math.abs(p[0] - expected) < 1e-15, `${p[0]} vs ${expected}`);
});

test('the f32 backend stores float32 and names itself', () => {
  const k32 = createReferenceKernels('f32');
  assert.equal(k32.name, 'reference (TypeScript, f32)');
  assert.ok(k32.alloc(3) instanceof Float32Array);
  assert.equal(createReferenceKernels('f64').name, 'reference (TypeScript, f64)');
});
