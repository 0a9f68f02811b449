/**
 * The kernel interface: every numeric operation the layers, the loss and the optimizers need.
 *
 * Contract
 * - All buffers are row-major, contiguous unless a leading dimension (ld*) says otherwise, and are
 *   typed-array views obtained from `alloc`/`allocInt` of the same Kernels object (the WASM and
 *   BLAS backends address them by `byteOffset` inside their memory; the reference backend accepts
 *   any array of its float type). A sub-buffer is a `subarray` of such a view.
 * - Outputs come first in every signature (llm.c style). Kernels named `*Backward` ACCUMULATE
 *   (+=) into weight gradients and into any gradient documented as "+=", and OVERWRITE the others.
 * - Kernels are synchronous (a threaded backend blocks until its workers finish), deterministic
 *   for a given backend and thread count, and never allocate.
 * - `F` is Float32Array for the fast backends; the reference backend also runs in Float64Array,
 *   which the finite-difference gradient checks use.
 * - The methods come in sections (`// ── name: file ──`), one per file of assembly/ (the WASM
 *   kernels); reference.ts and wasm.ts keep the same sections in the same order.
 *
 * Dimension legend used in the shape comments across the engine:
 *   B batch, T time steps, E embedding size, H hidden size, G gates (rnn 1, gru 3, lstm 4),
 *   V vocabulary size, N = B·T rows, M/N/K the generic GEMM sizes.
 */

export type FloatArray = Float32Array | Float64Array;

export type DType = 'f32' | 'f64';

export interface Kernels<F extends FloatArray = FloatArray> {
  /** Shown to the user, e.g. "reference (TypeScript, f64)", "wasm-simd (2 threads)", "blas (OpenBLAS, 2 threads)". */
  readonly name: string;
  readonly dtype: DType;
  /** Threads the backend uses (1 for the reference backend). */
  readonly threads: number;

  /** A zeroed float buffer of n elements that the kernels can address. Lives as long as the Kernels. */
  alloc(n: number): F;
  /** A zeroed int32 buffer of n elements (token ids) that the kernels can address. */
  allocInt(n: number): Int32Array;
  /** A zeroed int8 buffer of n elements (int8 weights, src/nn/int8.ts), 64-byte aligned. */
  allocInt8(n: number): Int8Array;
  /** A zeroed uint8 buffer of n elements (quantized activations), 64-byte aligned. */
  allocUint8(n: number): Uint8Array;

  // ── gemm: assembly/gemm.ts ──
  /**
   * C = alpha · op(A) · op(B) + beta · C, as BLAS sgemm/dgemm (row-major).
   * op(A) is [M,K]: A is stored [M,K] with leading dimension lda (or [K,M] when transA).
   * op(B) is [K,N]: B is stored [K,N] with leading dimension ldb (or [N,K] when transB).
   * C is [M,N] with leading dimension ldc. beta = 0 ignores C's old contents (even NaN).
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: F, lda: number, B: F, ldb: number, beta: number, C: F, ldc: number,
  ): void;

  /**
   * C = alpha · A · Bᵀ + beta · C for generation (incremental decoding): A [M,K] (leading
   * dimension lda), B [N,K] (ldb), C [M,N] (ldc). Row-invariant: row m of C depends on row m of A
   * alone, bit for bit, whatever M and the thread count, so a sequence decodes the same alone or
   * in a batch of any size (gemm's path, and so its summation order, changes with M).
   */
  gemmNT(M: number, N: number, K: number, alpha: number, A: F, lda: number, B: F, ldb: number, beta: number, C: F, ldc: number): void;

  // ── int8 products: assembly/int8.ts ──
  /**
   * The activations of an int8 product (generation, src/nn/int8.ts), row by row, as bytes offset by
   * 64: aq[m, k] = nearest(A[m, k] · f32(63 / amax_m)) + 64 (ties to even; in [1, 127]) and
   * ascale[m] = f32(amax_m / 63), amax_m = max_k |A[m, k]|; a zero row gets scale 0, a row with a
   * non-finite entry scale NaN (its bytes 64). Columns K..Kp of aq are set to 64.
   * aq [M,Kp] u8, ascale [M], A [M,K] (lda).
   */
  quantizeRows(aq: Uint8Array, ascale: F, A: F, lda: number, M: number, K: number, Kp: number): void;
  /**
   * The weights of an int8 product, once per matrix: wq[n, k] = nearest(W[n, k] · f32(127 /
   * wmax_n)) (columns K..Kp 0), wscale[n] = f32(wmax_n / 127) (0 for a zero row, NaN for a
   * non-finite one, its wq 0), wsum[n] = Σ_k wq[n, k].  wq [N,Kp] i8, wscale [N], wsum [N], W [N,K].
   */
  quantizeWeights(wq: Int8Array, wscale: F, wsum: Int32Array, W: F, N: number, K: number, Kp: number): void;

  /**
   * C = the int8 product for generation: acc = Σ_k (aq[m,k] − 64)·wq[n,k] exactly (an i32), then
   * C[m,n] = f32(acc) · wscale[n] · ascale[m] (+ C[m,n] when beta is 1), rounded to f32 after each
   * operation. Only beta 0 or 1. Exact before the scaling, so row-invariant like gemmNT, and every
   * backend and build agrees bit for bit.
   * aq [M,Kp] u8, ascale [M], wq [N,Kp] i8, wscale [N], wsum [N] (quantizeWeights'), C [M,N] (ldc).
   */
  gemmNTInt8(M: number, N: number, Kp: number, aq: Uint8Array, ascale: F, wq: Int8Array, wscale: F, wsum: Int32Array, beta: 0 | 1, C: F, ldc: number): void;

  // ── sampling: assembly/sample.ts ──
  /**
   * Draws one of the candidates ids[0:n] of a logits row (generation's plain sampling): weights
   * w_i = exp((scores[ids[i]] − max_i scores[ids[i]]) · invT), written to w[0:n]; returns the
   * first i whose running sum of weights exceeds u · Σ w (u uniform in [0, 1)), n − 1 if rounding
   * leaves none (n ≤ 1: 0, nothing written). The wasm kernel works in f32 and sums in blocks of
   * four; deterministic for a given row, list and u.  scores [V], ids [n], w [n].
   */
  sampleList(scores: F, ids: Int32Array, n: number, invT: number, u: number, w: F): number;
  /**
   * log Σ_i exp(scores[ids[i]]) over the candidates ids[0:n], n ≥ 1 (a chosen token's
   * log-probability among the ids the rules allowed: generate.ts). The wasm kernel takes the
   * weights of sampleList at invT 1 (f32 exponentials, an f64 sum). scores [V], ids [n], w [n] scratch.
   */
  logSumExpList(scores: F, ids: Int32Array, n: number, w: F): number;
  /**
   * A guided draw and its measurement (generate.ts: a candidate on a title and its untitled twin),
   * over the candidates ids[0:n], n ≥ 1, of two rows: g_i = t_i + γ·(t_i − u_i) (t_i = t[ids[i]],
   * u_i = u[ids[i]]), drawn as sampleList draws from g with invT and r; out[0] = log Σ exp t_i,
   * out[1] = log Σ exp u_i. Returns the index i. t [V], u [V], ids [n], w [3n] scratch, out [2].
   */
  guidedSample(t: F, u: F, ids: Int32Array, n: number, gamma: number, invT: number, r: number, w: F, out: F): number;

  // ── bias and embedding: assembly/embed.ts ──
  /** out[r, c] += bias[c] for r < R, c < C.  out [R,C], bias [C]. */
  addBias(out: F, bias: F, R: number, C: number): void;
  /** dbias[c] += Σ_r dout[r, c].  dbias [C] (+=), dout [R,C]. */
  biasBackward(dbias: F, dout: F, R: number, C: number): void;

  /** out[n, :] = table[ids[n], :].  out [N,E], table [V,E], ids [N]. */
  embeddingForward(out: F, table: F, ids: Int32Array, N: number, E: number): void;
  /** dtable[ids[n], :] += dout[n, :], in order of n (deterministic).  dtable [V,E] (+=), dout [N,E]. */
  embeddingBackward(dtable: F, dout: F, ids: Int32Array, N: number, E: number): void;

  // ── pointwise: assembly/pointwise.ts ──
  /** out[i] = a[i] · b[i] (dropout with a precomputed scaled mask; out may alias a).  [n] */
  mul(out: F, a: F, b: F, n: number): void;
  /** out[i] += a[i].  [n] */
  addInPlace(out: F, a: F, n: number): void;
  /** x[i] *= s.  [n] */
  scale(x: F, s: number, n: number): void;
  /** Σ x[i]², accumulated in float64.  [n] */
  sumSquares(x: F, n: number): number;

  // ── loss: assembly/loss.ts ──
  /**
   * Masked softmax cross-entropy, fused with its gradient.
   * logits [N,V], targets [N] (a target of `ignoreId` — the pad id 0 — contributes no loss and a zero
   * gradient row). Writes dlogits [N,V] = scale · (softmax(logits) − onehot(target)) on kept rows,
   * 0 on ignored rows (dlogits may alias logits). Returns Σ −log softmax(logits)[target] over kept
   * rows, in float64. scale is usually 1 / (number of kept rows).
   */
  softmaxCrossEntropy(dlogits: F, logits: F, targets: Int32Array, N: number, V: number, ignoreId: number, scale: number): number;

  // ── recurrent cells: assembly/cells.ts ──
  /** rnn cell: h = tanh(pre).  h [B,H], pre [B,H] (h may alias pre). */
  rnnCellForward(h: F, pre: F, B: number, H: number): void;
  /** dpre = dh ⊙ (1 − h²).  dpre [B,H], dh [B,H], h [B,H] (dpre may alias dh). */
  rnnCellBackward(dpre: F, dh: F, h: F, B: number, H: number): void;

  /**
   * lstm cell. gates [B,4H] holds the pre-activations i,f,g,o (PyTorch order) on entry and the
   * activations σ(i),σ(f),tanh(g),σ(o) on exit (kept for backward).
   * c = f ⊙ cPrev + i ⊙ g;  h = o ⊙ tanh(c).   h [B,H], c [B,H], cPrev [B,H].
   */
  lstmCellForward(h: F, c: F, gates: F, cPrev: F, B: number, H: number): void;
  /**
   * Backward of lstmCellForward for one step.
   * In: dh [B,H] (gradient of h from above and from step t+1), dc [B,H] (gradient of c from step
   * t+1), gates [B,4H] (activations), c [B,H], cPrev [B,H].
   * Out: dgates [B,4H] = gradient w.r.t. the pre-activations; dcPrev [B,H] = gradient flowing to
   * c_{t−1} (overwritten; may alias dc).
   */
  lstmCellBackward(dgates: F, dcPrev: F, dh: F, dc: F, gates: F, c: F, cPrev: F, B: number, H: number): void;

  /**
   * gru cell (seed form, Cho et al. 2014), first half.  pre [B,3H]: on entry the r,z blocks hold
   * W_ir x + b_ir + W_hr h + b_hr and W_iz x + b_iz + W_hz h + b_hz; the n block is not read.
   * Writes gates[:, r|z] = σ(pre[:, r|z]) and rh [B,H] = r ⊙ hPrev.   gates [B,3H], hPrev [B,H].
   */
  gruGatesForward(gates: F, rh: F, pre: F, hPrev: F, B: number, H: number): void;
  /**
   * gru cell, second half. preN [B,H] (leading dimension ldPre) holds
   * W_in x + b_in + W_hn (r⊙hPrev) + b_hn. Writes gates[:, n] = tanh(preN) and
   * h = (1 − z) ⊙ hPrev + z ⊙ n.   h [B,H], gates [B,3H], hPrev [B,H].
   */
  gruOutputForward(h: F, gates: F, preN: F, ldPre: number, hPrev: F, B: number, H: number): void;
  /**
   * gru backward, first half. In: dh [B,H], gates [B,3H] (activations), hPrev [B,H].
   * Writes dpre[:, z] and dpre[:, n] (dpre [B,3H], pre-activation gradients) and
   * dhPrev [B,H] = dh ⊙ (1 − z) (overwritten; the caller then adds the matmul terms).
   */
  gruOutputBackward(dpre: F, dhPrev: F, dh: F, gates: F, hPrev: F, B: number, H: number): void;
  /**
   * gru backward, second half. In: drh [B,H] = dpre_n · W_hn (gradient of r ⊙ hPrev), gates, hPrev.
   * Writes dpre[:, r] and adds drh ⊙ r into dhPrev (+=).
   */
  gruGatesBackward(dpre: F, dhPrev: F, drh: F, gates: F, hPrev: F, B: number, H: number): void;

  // ── optimiser: assembly/optim.ts ──
  /**
   * One Adam step over n parameters, PyTorch semantics (L2 weight decay added to the gradient,
   * bias correction with step t ≥ 1):
   *   g += wd·p; m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²;
   *   p −= lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps)
   */
  adam(param: F, grad: F, m: F, v: F, n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, t: number): void;
}
