/**
 * The reference kernels: every method of `Kernels` (src/engine/kernels.ts) as plain TypeScript
 * loops, in float32 or float64.
 *
 * Contract
 * - This is the twin the fast backends (WASM, BLAS) are tested against, and the backend of the
 *   float64 finite-difference gradient checks, so each kernel is the most direct transcription of
 *   its documented formula. Clarity first; the only concession to speed is loop order (the GEMM
 *   walks memory contiguously in its innermost loop), because this backend may also train.
 * - Buffers are plain typed arrays of the chosen float type; any subarray works.
 * - Scalar temporaries are JS numbers (float64); results are rounded when stored, so the f32
 *   variant rounds like a straightforward C implementation with double accumulators would not —
 *   exact agreement with other backends is not a goal, closeness is.
 *
 * Dimension legend: B batch, H hidden, G gates, V vocabulary, N rows, M/N/K the GEMM sizes.
 */
import type { DType, FloatArray, Kernels } from './kernels.ts';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The reference backend in float32 (`Float32Array` buffers) or float64 (`Float64Array`). */
export function createReferenceKernels(dtype: 'f32'): Kernels<Float32Array>;
export function createReferenceKernels(dtype: 'f64'): Kernels<Float64Array>;
export function createReferenceKernels(dtype: DType): Kernels<Float32Array> | Kernels<Float64Array>;
export function createReferenceKernels(dtype: DType): Kernels<Float32Array> | Kernels<Float64Array> {
  return dtype === 'f32'
    ? new ReferenceKernels<Float32Array>('f32', (n) => new Float32Array(n))
    : new ReferenceKernels<Float64Array>('f64', (n) => new Float64Array(n));
}

/** x rounded to the nearest integer, ties to even (WebAssembly's `nearest`; Math.round rounds ties up). */
function nearestEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * q = nearest(a · f32(qmax / amax)) + offset over a's length, the rest of q `offset`; returns
 * scale = f32(amax / qmax) with amax = max |a| (0 for a zero row; NaN, every q `offset`, when a
 * has a non-finite entry) and sum = Σ (q − offset).
 */
function quantizeRow(q: Int8Array | Uint8Array, a: FloatArray, qmax: number, offset: number): { scale: number; sum: number } {
  const f = Math.fround;
  let amax = 0;
  for (let k = 0; k < a.length; k++) amax = Math.max(amax, Math.abs(a[k]));
  q.fill(offset);
  if (!(amax < Infinity)) return { scale: NaN, sum: 0 };
  const inv = amax > 0 ? f(qmax / amax) : 0;
  let sum = 0;
  for (let k = 0; k < a.length; k++) {
    const v = nearestEven(f(a[k] * inv));
    q[k] = v + offset;
    sum += v;
  }
  return { scale: f(amax / qmax), sum };
}

class ReferenceKernels<F extends FloatArray> implements Kernels<F> {
  readonly name: string;
  readonly threads = 1;

  constructor(readonly dtype: DType, private readonly make: (n: number) => F) {
    this.name = `reference (TypeScript, ${dtype})`;
  }

  alloc(n: number): F {
    return this.make(n);
  }

  allocInt(n: number): Int32Array {
    return new Int32Array(n);
  }

  allocInt8(n: number): Int8Array {
    return new Int8Array(n);
  }

  allocUint8(n: number): Uint8Array {
    return new Uint8Array(n);
  }

  // ── gemm: assembly/gemm.ts ──
  /** Row-invariant by construction: each C entry is its own dot product, in order of k. */
  gemmNT(M: number, N: number, K: number, alpha: number, A: F, lda: number, B: F, ldb: number, beta: number, C: F, ldc: number): void {
    this.gemm(false, true, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }

  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: F, lda: number, B: F, ldb: number, beta: number, C: F, ldc: number,
  ): void {
    // C ← beta·C first (beta = 0 must wipe NaN, so assign rather than multiply).
    for (let i = 0; i < M; i++) {
      const row = i * ldc;
      if (beta === 0) C.fill(0, row, row + N);
      else if (beta !== 1) for (let j = 0; j < N; j++) C[row + j] *= beta;
    }
    if (transB) {
      // op(B)[k, j] = B[j, k]: row j of B is contiguous over k, so each C entry is a dot product.
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let sum = 0;
          const bRow = j * ldb;
          if (transA) for (let k = 0; k < K; k++) sum += A[k * lda + i] * B[bRow + k];
          else for (let k = 0, aRow = i * lda; k < K; k++) sum += A[aRow + k] * B[bRow + k];
          C[i * ldc + j] += alpha * sum;
        }
      }
    } else {
      // i-k-j: the innermost loop runs along rows of B and C; A is read once per (i, k), so its
      // stride (transposed or not) costs nothing.
      for (let i = 0; i < M; i++) {
        const cRow = i * ldc;
        for (let k = 0; k < K; k++) {
          const a = alpha * (transA ? A[k * lda + i] : A[i * lda + k]);
          const bRow = k * ldb;
          for (let j = 0; j < N; j++) C[cRow + j] += a * B[bRow + j];
        }
      }
    }
  }

  // ── int8 products: assembly/int8.ts ──
  quantizeRows(aq: Uint8Array, ascale: F, A: F, lda: number, M: number, K: number, Kp: number): void {
    for (let m = 0; m < M; m++) ascale[m] = quantizeRow(aq.subarray(m * Kp, (m + 1) * Kp), A.subarray(m * lda, m * lda + K), 63, 64).scale;
  }

  quantizeWeights(wq: Int8Array, wscale: F, wsum: Int32Array, W: F, N: number, K: number, Kp: number): void {
    for (let n = 0; n < N; n++) {
      const { scale, sum } = quantizeRow(wq.subarray(n * Kp, (n + 1) * Kp), W.subarray(n * K, (n + 1) * K), 127, 0);
      wscale[n] = scale;
      wsum[n] = sum;
    }
  }

  gemmNTInt8(M: number, N: number, Kp: number, aq: Uint8Array, ascale: F, wq: Int8Array, wscale: F, wsum: Int32Array, beta: 0 | 1, C: F, ldc: number): void {
    const f = Math.fround;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0; // exact: |acc| < 2^31
        for (let k = 0; k < Kp; k++) acc += (aq[m * Kp + k] - 64) * wq[n * Kp + k];
        const v = f(f(f(acc) * wscale[n]) * ascale[m]);
        C[m * ldc + n] = beta ? f(v + C[m * ldc + n]) : v;
      }
    }
  }

  // ── sampling: assembly/sample.ts ──
  sampleList(scores: F, ids: Int32Array, n: number, invT: number, u: number, w: F): number {
    if (n <= 1) return 0;
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, scores[ids[i]]);
    let total = 0;
    for (let i = 0; i < n; i++) total += (w[i] = Math.exp((scores[ids[i]] - max) * invT));
    const target = u * total;
    let acc = 0;
    for (let i = 0; i < n; i++) if ((acc += w[i]) > target) return i;
    return n - 1;
  }

  guidedSample(t: F, u: F, ids: Int32Array, n: number, gamma: number, invT: number, r: number, w: F, out: F): number {
    const g = w.subarray(2 * n, 3 * n);
    for (let i = 0; i < n; i++) g[i] = t[ids[i]] + gamma * (t[ids[i]] - u[ids[i]]);
    out[0] = this.logSumExpList(t, ids, n, w);
    out[1] = this.logSumExpList(u, ids, n, w);
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, g[i]);
    let total = 0;
    for (let i = 0; i < n; i++) total += (g[i] = Math.exp((g[i] - max) * invT));
    const target = r * total;
    let acc = 0;
    for (let i = 0; i < n; i++) if ((acc += g[i]) > target) return i;
    return n - 1;
  }

  logSumExpList(scores: F, ids: Int32Array, n: number, _w: F): number {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, scores[ids[i]]);
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.exp(scores[ids[i]] - max);
    return max + Math.log(total);
  }

  // ── bias and embedding: assembly/embed.ts ──
  addBias(out: F, bias: F, R: number, C: number): void {
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[r * C + c] += bias[c];
  }

  biasBackward(dbias: F, dout: F, R: number, C: number): void {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let r = 0; r < R; r++) sum += dout[r * C + c];
      dbias[c] += sum;
    }
  }

  embeddingForward(out: F, table: F, ids: Int32Array, N: number, E: number): void {
    for (let n = 0; n < N; n++) out.set(table.subarray(ids[n] * E, ids[n] * E + E), n * E);
  }

  embeddingBackward(dtable: F, dout: F, ids: Int32Array, N: number, E: number): void {
    for (let n = 0; n < N; n++) {
      const row = ids[n] * E;
      for (let e = 0; e < E; e++) dtable[row + e] += dout[n * E + e];
    }
  }

  // ── pointwise: assembly/pointwise.ts ──
  mul(out: F, a: F, b: F, n: number): void {
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  }

  addInPlace(out: F, a: F, n: number): void {
    for (let i = 0; i < n; i++) out[i] += a[i];
  }

  scale(x: F, s: number, n: number): void {
    for (let i = 0; i < n; i++) x[i] *= s;
  }

  sumSquares(x: F, n: number): number {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[i] * x[i];
    return sum;
  }

  // ── loss: assembly/loss.ts ──
  softmaxCrossEntropy(dlogits: F, logits: F, targets: Int32Array, N: number, V: number, ignoreId: number, scale: number): number {
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const row = n * V;
      const target = targets[n];
      if (target === ignoreId) {
        dlogits.fill(0, row, row + V);
        continue;
      }
      // Shift by the row maximum so exp never overflows.
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits[row + v]);
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(logits[row + v] - max);
      loss += Math.log(sum) + max - logits[row + target];
      // Read each logit before overwriting it: dlogits may alias logits.
      for (let v = 0; v < V; v++) dlogits[row + v] = (scale * Math.exp(logits[row + v] - max)) / sum;
      dlogits[row + target] -= scale;
    }
    return loss;
  }

  // ── recurrent cells: assembly/cells.ts ──
  rnnCellForward(h: F, pre: F, B: number, H: number): void {
    for (let i = 0; i < B * H; i++) h[i] = Math.tanh(pre[i]);
  }

  rnnCellBackward(dpre: F, dh: F, h: F, B: number, H: number): void {
    for (let i = 0; i < B * H; i++) dpre[i] = dh[i] * (1 - h[i] * h[i]);
  }

  lstmCellForward(h: F, c: F, gates: F, cPrev: F, B: number, H: number): void {
    for (let b = 0; b < B; b++) {
      const g0 = b * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gates[g0 + j]);
        const f = sigmoid(gates[g0 + H + j]);
        const g = Math.tanh(gates[g0 + 2 * H + j]);
        const o = sigmoid(gates[g0 + 3 * H + j]);
        gates[g0 + j] = i;
        gates[g0 + H + j] = f;
        gates[g0 + 2 * H + j] = g;
        gates[g0 + 3 * H + j] = o;
        const cNew = f * cPrev[b * H + j] + i * g;
        c[b * H + j] = cNew;
        h[b * H + j] = o * Math.tanh(cNew);
      }
    }
  }

  lstmCellBackward(dgates: F, dcPrev: F, dh: F, dc: F, gates: F, c: F, cPrev: F, B: number, H: number): void {
    for (let b = 0; b < B; b++) {
      const g0 = b * 4 * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const i = gates[g0 + j];
        const f = gates[g0 + H + j];
        const g = gates[g0 + 2 * H + j];
        const o = gates[g0 + 3 * H + j];
        const tc = Math.tanh(c[k]);
        // Total gradient of c_t: from step t+1 (dc) and through h_t = o·tanh(c_t).
        const dcTotal = dc[k] + dh[k] * o * (1 - tc * tc);
        dgates[g0 + j] = dcTotal * g * i * (1 - i);
        dgates[g0 + H + j] = dcTotal * cPrev[k] * f * (1 - f);
        dgates[g0 + 2 * H + j] = dcTotal * i * (1 - g * g);
        dgates[g0 + 3 * H + j] = dh[k] * tc * o * (1 - o);
        dcPrev[k] = dcTotal * f;
      }
    }
  }

  gruGatesForward(gates: F, rh: F, pre: F, hPrev: F, B: number, H: number): void {
    for (let b = 0; b < B; b++) {
      const g0 = b * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(pre[g0 + j]);
        gates[g0 + j] = r;
        gates[g0 + H + j] = sigmoid(pre[g0 + H + j]);
        rh[b * H + j] = r * hPrev[b * H + j];
      }
    }
  }

  gruOutputForward(h: F, gates: F, preN: F, ldPre: number, hPrev: F, B: number, H: number): void {
    for (let b = 0; b < B; b++) {
      const g0 = b * 3 * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const z = gates[g0 + H + j];
        const n = Math.tanh(preN[b * ldPre + j]);
        gates[g0 + 2 * H + j] = n;
        h[k] = (1 - z) * hPrev[k] + z * n;
      }
    }
  }

  gruOutputBackward(dpre: F, dhPrev: F, dh: F, gates: F, hPrev: F, B: number, H: number): void {
    for (let b = 0; b < B; b++) {
      const g0 = b * 3 * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const z = gates[g0 + H + j];
        const n = gates[g0 + 2 * H + j];
        dpre[g0 + H + j] = dh[k] * (n - hPrev[k]) * z * (1 - z);
        dpre[g0 + 2 * H + j] = dh[k] * z * (1 - n * n);
        dhPrev[k] = dh[k] * (1 - z);
      }
    }
  }

  gruGatesBackward(dpre: F, dhPrev: F, drh: F, gates: F, hPrev: F, B: number, H: number): void {
    for (let b = 0; b < B; b++) {
      const g0 = b * 3 * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const r = gates[g0 + j];
        dpre[g0 + j] = drh[k] * hPrev[k] * r * (1 - r);
        dhPrev[k] += drh[k] * r;
      }
    }
  }

  // ── optimiser: assembly/optim.ts ──
  adam(param: F, grad: F, m: F, v: F, n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, t: number): void {
    const correction1 = 1 - beta1 ** t;
    const correction2 = 1 - beta2 ** t;
    for (let i = 0; i < n; i++) {
      const g = grad[i] + weightDecay * param[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      param[i] -= (lr * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + eps);
    }
  }
}
