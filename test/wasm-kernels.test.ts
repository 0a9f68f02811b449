/**
 * Every WASM kernel against its reference twin (src/engine/reference.ts, f32) on random inputs
 * with odd sizes (not multiples of the 4×8 tile, nor of the packing blocks), for the scalar, SIMD
 * and relaxed-SIMD builds and 1 and 2 threads; plus determinism and thread-count invariance.
 * Builds build/ first when it is missing or stale. Tolerance: |wasm − ref| ≤ atol + rtol·|ref|.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { createWasmKernels, type WasmKernels, type WasmVariant } from '../src/engine/wasm.ts';
import type { Kernels } from '../src/engine/kernels.ts';
import { ensureWasmBuild, mulberry32 } from './wasm-helpers.ts';

await ensureWasmBuild();

const ref = createReferenceKernels('f32');

/** Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere, naming the worst index. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) { worst = i; worstExcess = excess; } // also catches NaN
  }
  assert.equal(worst, -1, `${what}: index ${worst}: got ${actual[worst]}, expected ${expected[worst]}`);
}

/** Random inputs in [lo, hi), filled into a kernels buffer and a plain twin for the reference. */
class Inputs {
  private readonly rand: () => number;
  constructor(private readonly k: Kernels<Float32Array>, seed: number) {
    this.rand = mulberry32(seed);
  }
  floats(n: number, lo = -1, hi = 1): [Float32Array, Float32Array] {
    const a = this.k.alloc(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.rand();
    return [a, Float32Array.from(a)];
  }
  ints(n: number, max: number): [Int32Array, Int32Array] {
    const a = this.k.allocInt(n);
    for (let i = 0; i < n; i++) a[i] = Math.floor(this.rand() * max);
    return [a, Int32Array.from(a)];
  }
}

const VARIANTS: WasmVariant[] = ['scalar', 'simd', 'relaxed'];

for (const variant of VARIANTS) {
  for (const threads of [1, 2]) {
    describe(`wasm ${variant}, ${threads} thread(s)`, () => {
      let k: WasmKernels;
      let inp: Inputs;
      before(async () => {
        k = await createWasmKernels({ threads, simd: variant !== 'scalar', relaxed: variant === 'relaxed' });
        inp = new Inputs(k, 1234);
      });
      after(() => k.close());

      test('picks the requested build and names it', () => {
        assert.equal(k.variant, variant);
        assert.equal(k.threads, threads);
        assert.match(k.name, new RegExp(`^wasm-${variant === 'scalar' ? 'scalar' : 'simd'}.*\\(${threads} threads?\\)$`));
      });

      test('gemm: all transpose cases, odd sizes, leading dimensions, alpha, beta', () => {
        // sizes cross the 4×8 and 6×8 tiles, KC = 256, MC = 120 and SMALL_M = 8; the last is split into parts on 2 threads
        const shapes = [[1, 1, 1], [5, 3, 7], [37, 29, 41], [6, 19, 300], [131, 45, 17], [33, 1029, 40]];
        for (const [M, N, K] of shapes) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              for (const [alpha, beta] of [[1, 0], [0.7, 1], [-1.3, 0.5]]) {
                const lda = (transA ? M : K) + 3, ldb = (transB ? K : N) + 2, ldc = N + 5;
                const [A, A0] = inp.floats((transA ? K : M) * lda);
                const [B, B0] = inp.floats((transB ? N : K) * ldb);
                const [C, C0] = inp.floats(M * ldc);
                if (beta === 0) { C.fill(NaN); C0.fill(NaN); } // beta = 0 ignores the old C
                k.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
                ref.gemm(transA, transB, M, N, K, alpha, A0, lda, B0, ldb, beta, C0, ldc);
                // padding columns of C stay NaN/old on both sides: compare only the M×N window
                const got: number[] = [], want: number[] = [];
                for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) { got.push(C[i * ldc + j]); want.push(C0[i * ldc + j]); }
                assertClose(got, want, 2e-5 * Math.sqrt(K), 1e-5, `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${M}x${N}x${K} α=${alpha} β=${beta}`);
                for (let i = 0; i < M; i++) {
                  for (let j = N; j < ldc && i * ldc + j < C.length; j++) assert.ok(Object.is(C[i * ldc + j], C0[i * ldc + j]), 'gemm wrote outside C');
                }
              }
            }
          }
        }
      });

      test('gemm on sub-buffers (subarray views)', () => {
        const [buf, buf0] = inp.floats(3 * 50 + 7);
        const A = buf.subarray(3, 53), B = buf.subarray(53, 103), C = buf.subarray(103, 128);
        k.gemm(false, true, 5, 5, 10, 1, A, 10, B, 10, 0, C, 5);
        ref.gemm(false, true, 5, 5, 10, 1, buf0.subarray(3, 53), 10, buf0.subarray(53, 103), 10, 0, buf0.subarray(103, 128), 5);
        assertClose(buf, buf0, 1e-5, 1e-5, 'gemm on subarrays');
      });

      test('int8 products: quantizeRows, quantizeWeights and gemmNTInt8 equal the reference bit for bit, row by row', () => {
        // odd M (the 2-row tile's tail), N not a multiple of 4, K not a multiple of 16; N < M splits rows
        for (const [M, N, K] of [[1, 7, 5], [5, 37, 33], [9, 1030, 256], [64, 13, 300]]) {
          const Kp = Math.ceil(K / 16) * 16;
          const lda = K + 3, ldc = N + 2;
          const [A, A0] = inp.floats(M * lda, -3, 3);
          A[lda] = A0[lda] = 0; // not a zero row, but an exact zero
          if (M > 2) for (let kk = 0; kk < K; kk++) A[2 * lda + kk] = A0[2 * lda + kk] = 0; // a zero row: scale 0
          if (M > 3) A[3 * lda + 1] = A0[3 * lda + 1] = NaN; // a non-finite row: NaN out
          const aq = k.allocUint8(M * Kp), ascale = k.alloc(M);
          const aq0 = new Uint8Array(M * Kp), ascale0 = new Float32Array(M);
          aq.fill(7); aq0.fill(200); // padding is written, not assumed
          k.quantizeRows(aq, ascale, A, lda, M, K, Kp);
          ref.quantizeRows(aq0, ascale0, A0, lda, M, K, Kp);
          assert.deepEqual(Array.from(aq), Array.from(aq0), `quantizeRows ${M}x${K}`);
          assert.deepEqual(Array.from(ascale), Array.from(ascale0), `quantizeRows scales ${M}x${K}`);
          assert.ok(aq.every((x) => x >= 1 && x <= 127), 'activations stay in [1, 127] (the relaxed dot product needs 7 bits)');
          const [W, W0] = inp.floats(N * K, -0.2, 0.2);
          for (let kk = 0; kk < K; kk++) W[kk] = W0[kk] = 0; // a zero row of weights: scale 0
          const wq = k.allocInt8(N * Kp), wscale = k.alloc(N), wsum = k.allocInt(N);
          const wq0 = new Int8Array(N * Kp), wscale0 = new Float32Array(N), wsum0 = new Int32Array(N);
          wq.fill(5);
          k.quantizeWeights(wq, wscale, wsum, W, N, K, Kp);
          ref.quantizeWeights(wq0, wscale0, wsum0, W0, N, K, Kp);
          assert.deepEqual(Array.from(wq), Array.from(wq0), `quantizeWeights ${N}x${K}`);
          assert.deepEqual(Array.from(wscale), Array.from(wscale0), `quantizeWeights scales ${N}x${K}`);
          assert.deepEqual(Array.from(wsum), Array.from(wsum0), `quantizeWeights sums ${N}x${K}`);
          assert.ok(wq.every((x) => x >= -127 && x <= 127) && wscale[0] === 0);
          for (const beta of [0, 1] as const) {
            const [C, C0] = inp.floats(M * ldc);
            if (beta === 0) { C.fill(NaN); C0.fill(NaN); }
            k.gemmNTInt8(M, N, Kp, aq, ascale, wq, wscale, wsum, beta, C, ldc);
            ref.gemmNTInt8(M, N, Kp, aq0, ascale0, wq0, wscale0, wsum0, beta, C0, ldc);
            for (let i = 0; i < C.length; i++) assert.ok(Object.is(C[i], C0[i]), `gemmNTInt8 ${M}x${N}x${K} β=${beta} at ${i}: ${C[i]} vs ${C0[i]}`);
            // close to the f32 product A·Wᵀ: 7-bit activations, 8-bit weights
            if (beta === 0) {
              for (let m = 0; m < M; m++) {
                if (m === 3 && M > 3) { assert.ok(Number.isNaN(C[m * ldc]), 'a non-finite row gives NaN'); continue; }
                for (let n = 0; n < N; n++) {
                  let dot = 0, mag = 0;
                  for (let kk = 0; kk < K; kk++) { dot += A0[m * lda + kk] * W0[n * K + kk]; mag += Math.abs(A0[m * lda + kk] * W0[n * K + kk]); }
                  assert.ok(Math.abs(C[m * ldc + n] - dot) <= 0.03 * mag + 1e-30, `gemmNTInt8 ≈ A·Wᵀ at ${m},${n}: ${C[m * ldc + n]} vs ${dot}`);
                }
              }
            }
            // row-invariant: the last row alone gives the same row
            if (M > 1) {
              const m = M - 1, one = k.alloc(N);
              k.gemmNTInt8(1, N, Kp, aq.subarray(m * Kp), ascale.subarray(m), wq, wscale, wsum, 0, one, N);
              const C1 = k.alloc(M * ldc);
              k.gemmNTInt8(M, N, Kp, aq, ascale, wq, wscale, wsum, 0, C1, ldc);
              for (let n = 0; n < N; n++) assert.ok(Object.is(one[n], C1[m * ldc + n]), `row ${m} alone differs at ${n}`);
            }
          }
        }
      });

      test('gemmNT and gemmNTInt8 are column-invariant: columns [lo, hi) alone equal the full product\'s, bit for bit', () => {
        // what Model.step relies on to compute only the logits a poem may read: ranges that start
        // and end off the 4-column blocks, single columns, the last (tail) columns, split on 2 threads
        const N = 1031, K = 37, Kp = 48;
        for (const M of [1, 2, 5]) {
          const [A] = inp.floats(M * K), [B] = inp.floats(N * K);
          const full = k.alloc(M * N);
          k.gemmNT(M, N, K, 1, A, K, B, K, 0, full, N);
          const aq = k.allocUint8(M * Kp), ascale = k.alloc(M);
          const wq = k.allocInt8(N * Kp), wscale = k.alloc(N), wsum = k.allocInt(N);
          k.quantizeRows(aq, ascale, A, K, M, K, Kp);
          k.quantizeWeights(wq, wscale, wsum, B, N, K, Kp);
          const fullInt8 = k.alloc(M * N);
          k.gemmNTInt8(M, N, Kp, aq, ascale, wq, wscale, wsum, 0, fullInt8, N);
          for (const [lo, hi] of [[0, 1], [1, 2], [3, 10], [5, 9], [6, 1000], [1027, N], [1029, N], [1030, N], [513, 514]]) {
            const C = k.alloc(M * N).fill(NaN);
            k.gemmNT(M, hi - lo, K, 1, A, K, B.subarray(lo * K), K, 0, C.subarray(lo), N);
            const Ci = k.alloc(M * N).fill(NaN);
            k.gemmNTInt8(M, hi - lo, Kp, aq, ascale, wq.subarray(lo * Kp), wscale.subarray(lo), wsum.subarray(lo), 0, Ci.subarray(lo), N);
            for (let m = 0; m < M; m++) {
              for (let j = 0; j < N; j++) {
                const inside = j >= lo && j < hi;
                assert.ok(inside ? Object.is(C[m * N + j], full[m * N + j]) : Number.isNaN(C[m * N + j]), `gemmNT ${M} rows, columns [${lo}, ${hi}): at ${m},${j}`);
                assert.ok(inside ? Object.is(Ci[m * N + j], fullInt8[m * N + j]) : Number.isNaN(Ci[m * N + j]), `gemmNTInt8 ${M} rows, columns [${lo}, ${hi}): at ${m},${j}`);
              }
            }
          }
        }
      });

      test('sampleList: the draw follows the weights exp((s − max)·invT) over the listed ids, as the reference', () => {
        const V = 3001;
        const [scores] = inp.floats(V, -12, 6);
        const rand = mulberry32(99);
        for (const n of [1, 2, 3, 4, 5, 7, 64, 1999]) {
          const ids = k.allocInt(n), w = k.alloc(n), w0 = new Float64Array(n);
          for (let i = 0; i < n; i++) ids[i] = Math.floor(rand() * V);
          for (const invT of [1.25, 0.5]) {
            for (let t = 0; t < 40; t++) {
              const u = rand();
              const got = k.sampleList(scores, ids, n, invT, u, w);
              const want = ref.sampleList(Float32Array.from(scores) as Float32Array, Int32Array.from(ids), n, invT, u, w0 as unknown as Float32Array);
              assert.ok(got >= 0 && got < n, `index ${got} of ${n}`);
              // the same index, or a neighbour where u falls within rounding of a boundary
              if (got !== want) {
                let total = 0, below = 0;
                for (let i = 0; i < n; i++) { total += w0[i]; if (i < Math.min(got, want) + 1) below += w0[i]; }
                assert.ok(Math.abs(below - u * total) < 1e-5 * total, `n ${n} invT ${invT} u ${u}: ${got} vs ${want}`);
              }
              // deterministic
              assert.equal(k.sampleList(scores, ids, n, invT, u, w), got);
            }
            for (let i = 0; i < n && n > 1; i++) assertClose([w[i]], [w0[i]], 1e-7, 2e-6, `sampleList weight ${i} of ${n}`);
          }
        }
      });

      test('logSumExpList: log Σ exp over the listed ids, as the reference', () => {
        const V = 3001;
        const [scores] = inp.floats(V, -30, 12);
        const rand = mulberry32(7);
        for (const n of [1, 2, 3, 4, 5, 7, 64, 1999, 3001]) {
          const ids = k.allocInt(n), w = k.alloc(n);
          for (let i = 0; i < n; i++) ids[i] = n === V ? i : Math.floor(rand() * V);
          const got = k.logSumExpList(scores, ids, n, w);
          const want = ref.logSumExpList(Float32Array.from(scores) as Float32Array, Int32Array.from(ids), n, new Float32Array(n));
          assert.ok(Math.abs(got - want) < 1e-5 * Math.max(1, Math.abs(want)), `n ${n}: ${got} vs ${want}`);
          assert.equal(k.logSumExpList(scores, ids, n, w), got, 'deterministic');
        }
      });

      test('guidedSample: the draw from t + γ(t − u) and both rows\' log Σ exp, as the reference; γ 0 draws as sampleList from t', () => {
        const V = 3001;
        const [t] = inp.floats(V, -12, 6), [u] = inp.floats(V, -14, 5);
        const rand = mulberry32(5);
        for (const n of [1, 2, 3, 5, 64, 1999]) {
          const ids = k.allocInt(n), w = k.alloc(3 * n), out = k.alloc(2), w1 = k.alloc(n);
          for (let i = 0; i < n; i++) ids[i] = Math.floor(rand() * V);
          const w0 = new Float64Array(3 * n), out0 = new Float64Array(2);
          for (const gamma of [0, 1, 1.5]) {
            for (let trial = 0; trial < 20; trial++) {
              const r = rand();
              const got = k.guidedSample(t, u, ids, n, gamma, 1.25, r, w, out);
              const want = ref.guidedSample(Float32Array.from(t) as Float32Array, Float32Array.from(u) as Float32Array, Int32Array.from(ids), n, gamma, 1.25, r, w0 as unknown as Float32Array, out0 as unknown as Float32Array);
              assert.ok(got >= 0 && got < n, `index ${got} of ${n}`);
              if (got !== want) {
                // a neighbour where r falls within rounding of a boundary
                const g = w0.subarray(2 * n, 3 * n);
                let total = 0, below = 0;
                for (let i = 0; i < n; i++) { total += g[i]!; if (i < Math.min(got, want) + 1) below += g[i]!; }
                assert.ok(Math.abs(below - r * total) < 1e-5 * total, `n ${n} γ ${gamma} r ${r}: ${got} vs ${want}`);
              }
              assertClose([out[0]!, out[1]!], [out0[0]!, out0[1]!], 1e-5, 1e-5, `guidedSample log Σ exp, n ${n}`);
              assert.equal(k.guidedSample(t, u, ids, n, gamma, 1.25, r, w, out), got, 'deterministic');
              if (gamma === 0 && n > 1) assert.equal(got, k.sampleList(t, ids, n, 1.25, r, w1), 'γ 0 is sampleList on t');
            }
          }
        }
      });

      test('addBias and biasBackward (accumulates)', () => {
        for (const [R, C] of [[7, 13], [41, 2003]]) {
          const [out, out0] = inp.floats(R * C);
          const [bias] = inp.floats(C);
          k.addBias(out, bias, R, C);
          ref.addBias(out0, Float32Array.from(bias), R, C);
          assertClose(out, out0, 1e-6, 1e-6, `addBias ${R}x${C}`);
          const [db, db0] = inp.floats(C);
          k.biasBackward(db, out, R, C);
          ref.biasBackward(db0, out0, R, C);
          assertClose(db, db0, 1e-5, 1e-5, `biasBackward ${R}x${C}`);
        }
      });

      test('embedding gather and scatter-add with repeated ids', () => {
        const V = 11, E = 13, N = 29;
        const [table, table0] = inp.floats(V * E);
        const [ids, ids0] = inp.ints(N, V);
        ids[3] = ids[4] = ids0[3] = ids0[4] = 2;
        const out = k.alloc(N * E), out0 = new Float32Array(N * E);
        k.embeddingForward(out, table, ids, N, E);
        ref.embeddingForward(out0, table0, ids0, N, E);
        assertClose(out, out0, 0, 0, 'embeddingForward');
        const [dout, dout0] = inp.floats(N * E);
        k.embeddingBackward(table, dout, ids, N, E);
        ref.embeddingBackward(table0, dout0, ids0, N, E);
        assertClose(table, table0, 1e-6, 1e-6, 'embeddingBackward');
      });

      test('mul, addInPlace, scale, sumSquares (several parts, odd length)', () => {
        const n = 200_003;
        const [a, a0] = inp.floats(n), [b, b0] = inp.floats(n);
        const out = k.alloc(n), out0 = new Float32Array(n);
        k.mul(out, a, b, n); ref.mul(out0, a0, b0, n);
        assertClose(out, out0, 0, 0, 'mul');
        k.mul(a, a, b, n); ref.mul(a0, a0, b0, n); // out aliases a
        assertClose(a, a0, 0, 0, 'mul in place');
        k.addInPlace(out, b, n); ref.addInPlace(out0, b0, n);
        assertClose(out, out0, 0, 0, 'addInPlace');
        k.scale(out, -0.37, n); ref.scale(out0, -0.37, n);
        assertClose(out, out0, 0, 2.5e-7, 'scale'); // the wasm side rounds s to f32 first
        // same input on both sides: only the f64 summation order differs
        const same = Float32Array.from(out);
        assertClose([k.sumSquares(out, n)], [ref.sumSquares(same, n)], 0, 1e-12, 'sumSquares');
        assertClose([k.sumSquares(out, 5)], [ref.sumSquares(same, 5)], 0, 1e-12, 'sumSquares short');
      });

      test('softmaxCrossEntropy: loss and gradient, ignored rows, aliasing', () => {
        for (const [N, V] of [[7, 1001], [70, 2003]]) {
          const [logits, logits0] = inp.floats(N * V, -8, 8);
          const [targets, targets0] = inp.ints(N, V);
          targets[1] = targets0[1] = 0; // ignored row
          targets[2] = targets0[2] = V - 1;
          const d = k.alloc(N * V), d0 = new Float32Array(N * V);
          d.fill(NaN); d0.fill(NaN);
          const loss = k.softmaxCrossEntropy(d, logits, targets, N, V, 0, 1 / (N - 1));
          const loss0 = ref.softmaxCrossEntropy(d0, logits0, targets0, N, V, 0, 1 / (N - 1));
          assertClose([loss], [loss0], 0, 1e-5, `softmaxCrossEntropy loss ${N}x${V}`);
          assertClose(d, d0, 1e-8, 1e-5, `softmaxCrossEntropy dlogits ${N}x${V}`);
          const lossAliased = k.softmaxCrossEntropy(logits, logits, targets, N, V, 0, 1 / (N - 1));
          assert.equal(lossAliased, loss, 'aliased loss');
          assertClose(logits, d, 0, 0, 'aliased dlogits');
        }
      });

      test('softmaxCrossEntropy saturates without NaN on extreme logits', () => {
        const V = 9;
        const logits = k.alloc(V), targets = k.allocInt(1), d = k.alloc(V);
        logits.set([1e4, -1e4, 0, 80, -80, 100, 3e38, -3e38, 5]);
        targets[0] = 6;
        const loss = k.softmaxCrossEntropy(d, logits, targets, 1, V, -1, 1);
        assert.ok(Number.isFinite(loss) && Math.abs(loss) < 1e-6, `loss ${loss}`);
        assert.ok(d.every(Number.isFinite), `dlogits ${d}`);
      });

      /** Cell tests: inputs in [−4, 4] reach the saturating parts of σ and tanh. */
      const cellSizes = [[3, 13], [2, 16]];

      test('rnn cell forward and backward', () => {
        for (const [B, H] of cellSizes) {
          const [pre, pre0] = inp.floats(B * H, -4, 4);
          const h = k.alloc(B * H), h0 = new Float32Array(B * H);
          k.rnnCellForward(h, pre, B, H); ref.rnnCellForward(h0, pre0, B, H);
          assertClose(h, h0, 2e-7, 2e-6, 'rnnCellForward');
          const [dh, dh0] = inp.floats(B * H);
          const dpre = k.alloc(B * H), dpre0 = new Float32Array(B * H);
          k.rnnCellBackward(dpre, dh, h, B, H);
          ref.rnnCellBackward(dpre0, dh0, h0, B, H);
          assertClose(dpre, dpre0, 5e-7, 1e-6, 'rnnCellBackward'); // 1 − h² cancels near |h| = 1
        }
      });

      test('lstm cell forward and backward', () => {
        for (const [B, H] of cellSizes) {
          const [gates, gates0] = inp.floats(B * 4 * H, -4, 4);
          const [cPrev, cPrev0] = inp.floats(B * H, -2, 2);
          const h = k.alloc(B * H), c = k.alloc(B * H), h0 = new Float32Array(B * H), c0 = new Float32Array(B * H);
          k.lstmCellForward(h, c, gates, cPrev, B, H);
          ref.lstmCellForward(h0, c0, gates0, cPrev0, B, H);
          assertClose(gates, gates0, 2e-7, 2e-6, 'lstm gates');
          assertClose(c, c0, 1e-6, 2e-6, 'lstm c');
          assertClose(h, h0, 1e-6, 2e-6, 'lstm h');
          const [dh, dh0] = inp.floats(B * H), [dc, dc0] = inp.floats(B * H);
          const dg = k.alloc(B * 4 * H), dg0 = new Float32Array(B * 4 * H);
          // dcPrev aliases dc on both sides
          k.lstmCellBackward(dg, dc, dh, dc, gates, c, cPrev, B, H);
          ref.lstmCellBackward(dg0, dc0, dh0, dc0, gates0, c0, cPrev0, B, H);
          assertClose(dg, dg0, 1e-6, 1e-5, 'lstm dgates');
          assertClose(dc, dc0, 1e-6, 1e-5, 'lstm dcPrev');
        }
      });

      test('gru cell forward and backward (seed form, preN with its own leading dimension)', () => {
        for (const [B, H] of cellSizes) {
          const [pre, pre0] = inp.floats(B * 3 * H, -4, 4);
          const [hPrev, hPrev0] = inp.floats(B * H);
          const gates = k.alloc(B * 3 * H), gates0 = new Float32Array(B * 3 * H);
          const rh = k.alloc(B * H), rh0 = new Float32Array(B * H);
          k.gruGatesForward(gates, rh, pre, hPrev, B, H);
          ref.gruGatesForward(gates0, rh0, pre0, hPrev0, B, H);
          assertClose(gates, gates0, 2e-7, 2e-6, 'gru r,z');
          assertClose(rh, rh0, 2e-7, 2e-6, 'gru r⊙h');
          const ldPre = 3 * H; // preN is the n block of pre
          const h = k.alloc(B * H), h0 = new Float32Array(B * H);
          k.gruOutputForward(h, gates, pre.subarray(2 * H), ldPre, hPrev, B, H);
          ref.gruOutputForward(h0, gates0, pre0.subarray(2 * H), ldPre, hPrev0, B, H);
          assertClose(gates, gates0, 2e-7, 2e-6, 'gru n');
          assertClose(h, h0, 1e-6, 2e-6, 'gru h');
          const [dh, dh0] = inp.floats(B * H), [drh, drh0] = inp.floats(B * H);
          const dpre = k.alloc(B * 3 * H), dpre0 = new Float32Array(B * 3 * H);
          const dhPrev = k.alloc(B * H), dhPrev0 = new Float32Array(B * H);
          k.gruOutputBackward(dpre, dhPrev, dh, gates, hPrev, B, H);
          ref.gruOutputBackward(dpre0, dhPrev0, dh0, gates0, hPrev0, B, H);
          k.gruGatesBackward(dpre, dhPrev, drh, gates, hPrev, B, H);
          ref.gruGatesBackward(dpre0, dhPrev0, drh0, gates0, hPrev0, B, H);
          assertClose(dpre, dpre0, 1e-6, 1e-5, 'gru dpre');
          assertClose(dhPrev, dhPrev0, 1e-6, 1e-5, 'gru dhPrev');
        }
      });

      test('adam (weight decay, bias correction, several parts)', () => {
        const n = 70_001;
        const [p, p0] = inp.floats(n), [g, g0] = inp.floats(n);
        const [m, m0] = inp.floats(n, -0.1, 0.1), [v, v0] = inp.floats(n, 0, 0.01);
        for (const t of [1, 7]) {
          k.adam(p, g, m, v, n, 2e-3, 0.9, 0.999, 1e-8, 0.01, t);
          ref.adam(p0, g0, m0, v0, n, 2e-3, 0.9, 0.999, 1e-8, 0.01, t);
        }
        assertClose(m, m0, 1e-7, 1e-5, 'adam m');
        assertClose(v, v0, 1e-9, 1e-5, 'adam v');
        assertClose(p, p0, 1e-6, 1e-5, 'adam param');
        assertClose(g, g0, 0, 0, 'adam leaves grad alone');
      });

      test('deterministic: repeated calls give identical bits', () => {
        const [M, N, K] = [64, 1000, 70];
        const [A] = inp.floats(M * K), [B] = inp.floats(N * K);
        const C1 = k.alloc(M * N), C2 = k.alloc(M * N);
        k.gemm(false, true, M, N, K, 1, A, K, B, K, 0, C1, N);
        k.gemm(false, true, M, N, K, 1, A, K, B, K, 0, C2, N);
        assert.deepEqual(C1, C2);
        const [x] = inp.floats(300_001);
        assert.equal(k.sumSquares(x, x.length), k.sumSquares(x, x.length));
      });

      test('alloc returns zeroed views that survive memory growth', () => {
        const a = k.alloc(10);
        a.fill(3);
        const big = k.alloc(20 << 20); // 80 MB: grows the memory
        assert.ok(big.every((x) => x === 0) && big.length === 20 << 20);
        assert.deepEqual(Array.from(a), new Array(10).fill(3));
        assert.ok(k.allocInt(5).every((x) => x === 0));
      });
    });
  }
}

test('results do not depend on the thread count', async () => {
  const kernels = [await createWasmKernels({ threads: 1, relaxed: false }), await createWasmKernels({ threads: 2, relaxed: false })];
  try {
    const outs = kernels.map((k) => {
      const inp = new Inputs(k, 99);
      const [M, N, K] = [200, 1500, 64];
      const [A] = inp.floats(M * K), [B] = inp.floats(K * N);
      const C = k.alloc(M * N);
      k.gemm(false, false, M, N, K, 1, A, K, B, N, 0, C, N);
      const [logits] = inp.floats(200 * 3001, -5, 5);
      const [targets] = inp.ints(200, 3001);
      const loss = k.softmaxCrossEntropy(logits, logits, targets, 200, 3001, 0, 0.01);
      return { C, logits, loss, ss: k.sumSquares(logits, logits.length) };
    });
    assert.deepEqual(outs[0].C, outs[1].C);
    assert.deepEqual(outs[0].logits, outs[1].logits);
    assert.equal(outs[0].loss, outs[1].loss);
    assert.equal(outs[0].ss, outs[1].ss);
  } finally {
    await Promise.all(kernels.map((k) => k.close()));
  }
});

test('a host that cannot block (a page\'s main thread) spins instead, with the same results', async () => {
  const { hostPlatform } = await import('../src/engine/platform.ts');
  const host = await hostPlatform();
  const pageLike = { ...host, canBlock: false, enableRelaxedSimd: undefined, cores: () => 2 };
  const [spinning, blocking] = [await createWasmKernels({ platform: pageLike, relaxed: false }), await createWasmKernels({ threads: 2, relaxed: false })];
  try {
    assert.equal(spinning.threads, 2);
    const outs = [spinning, blocking].map((k) => {
      const inp = new Inputs(k, 5);
      const [A] = inp.floats(300 * 64), [B] = inp.floats(64 * 900);
      const C = k.alloc(300 * 900);
      k.gemm(false, false, 300, 900, 64, 1, A, 64, B, 900, 0, C, 900);
      return C;
    });
    assert.deepEqual(outs[0], outs[1]);
  } finally {
    await Promise.all([spinning.close(), blocking.close()]);
  }
});

test('thread pool under stress: 4 threads on fewer cores, many back-to-back split jobs, no lost or doubled part', async () => {
  const [pool, serial] = [await createWasmKernels({ threads: 4, relaxed: false }), await createWasmKernels({ threads: 1, relaxed: false })];
  try {
    const run = (k: WasmKernels) => {
      const inp = new Inputs(k, 11);
      const n = 150_001; // 3 parts of pointwise work per job
      const [x] = inp.floats(n), [y] = inp.floats(n);
      const sums: number[] = [];
      for (let i = 0; i < 300; i++) {
        k.addInPlace(x, y, n); // a doubled or skipped part would change x
        k.scale(x, 0.5, n);
        sums.push(k.sumSquares(x, n));
      }
      return { x, sums };
    };
    const a = run(pool), b = run(serial);
    assert.deepEqual(a.x, b.x);
    assert.deepEqual(a.sums, b.sums);
  } finally {
    await Promise.all([pool.close(), serial.close()]);
  }
});

test('a kernel that traps (an address past the memory) throws, and the pool stays usable', async () => {
  const k = await createWasmKernels({ threads: 2, relaxed: false });
  try {
    const x = k.alloc(300_000).fill(1);
    const outside = new Float32Array(k.memory.buffer, k.memory.buffer.byteLength - 4, 1); // one float before the end
    // a view whose tail runs past the end of the memory: some parts trap, wherever they run
    assert.throws(() => k.addInPlace(outside, x, 300_000), /memory access out of bounds|failed in a worker/);
    k.scale(x, 2, 300_000);
    assert.equal(k.sumSquares(x, 300_000), 4 * 300_000);
  } finally {
    await k.close();
  }
});
