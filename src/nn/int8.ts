/**
 * int8 copies of a model's weight matrices for generation (docs/design.md §9), and their product.
 *
 * Why: a decoding step multiplies one row (or a few) by every weight matrix, so it is bound by
 * streaming the weights from memory, not by arithmetic (the output layer fc.weight is most of
 * the bytes; a tied model's output rows are embedding.weight's, copied as well). An int8 copy
 * with one scale per row streams a quarter of the bytes; the activations are quantized per row
 * at each product to 7 bits (Kernels.quantizeRows: the relaxed-SIMD build multiplies 16 such
 * pairs per instruction), and each dot product is an exact integer (Kernels.gemmNTInt8), so a
 * poem stays the same alone or in any batch, bit for bit, on every engine and build. Figures:
 * bench/README.md (speed), tools/int8-quality.ts (perplexity).
 *
 * Quantization (symmetric, per output row n of W [N,K], Kernels.quantizeWeights): scale_n =
 * max_k |W[n,k]| / 127 and q[n,k] = nearest(W[n,k] · 127 / max_k |W[n,k]|) (ties to even), in
 * f32; a zero row has scale 0. Activations: max |a| ↦ 63 per row. The depth is padded to Kp (a
 * multiple of 16, the kernel's vector step).
 *
 * Contract: an `Int8Matrix` copies W as it is when made (Model.setDecodePrecision makes new ones
 * when asked again); the step reaches it through matmul.ts `matmulNT`, which calls `int8MatmulNT`.
 *
 * Shapes: W [N,K] f32, q [N,Kp] i8, scale [N], sum [N] i32, A [M,K], aq [M,Kp] u8, ascale [M], C [M,N].
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';

/** K rounded up to the kernel's vector step (16 int8 weights). */
function paddedDepth(K: number): number {
  return Math.ceil(K / 16) * 16;
}

/** The quantized activations of a product, grown as needed; the matrices of one model share it. */
export interface Int8Activations<F extends FloatArray> {
  aq: Uint8Array; // [M,Kp]
  ascale: F; // [M]
}

export function int8Activations<F extends FloatArray>(k: Kernels<F>): Int8Activations<F> {
  return { aq: k.allocUint8(0), ascale: k.alloc(0) };
}

/** One weight matrix W [N,K] as int8 rows with f32 scales. */
export interface Int8Matrix<F extends FloatArray> {
  kind: 'int8';
  rows: number;
  cols: number;
  /** Kp: cols padded to a multiple of 16. */
  stride: number;
  q: Int8Array; // [rows, stride]
  scale: F; // [rows]
  sum: Int32Array; // [rows] Σ of each row of q
  /** Scratch for the activations (shared). */
  act: Int8Activations<F>;
}

/** W [N,K] quantized per row into kernel memory (Kernels.quantizeWeights). */
export function quantizeMatrix<F extends FloatArray>(k: Kernels<F>, W: F, N: number, K: number, act: Int8Activations<F>): Int8Matrix<F> {
  const stride = paddedDepth(K);
  const q = k.allocInt8(N * stride);
  const scale = k.alloc(N);
  const sum = k.allocInt(N);
  k.quantizeWeights(q, scale, sum, W, N, K, stride);
  return { kind: 'int8', rows: N, cols: K, stride, q, scale, sum, act };
}

/**
 * C [M,N] (ldc) = A [M,K] · W[row0 : row0+N, :]ᵀ (+ C when beta is 1) through the int8 copy:
 * A's rows quantized (quantizeRows), then the exact integer product (gemmNTInt8).
 */
export function int8MatmulNT<F extends FloatArray>(
  k: Kernels<F>, C: F, ldc: number, A: F, W: Int8Matrix<F>, M: number, N: number, K: number, beta: 0 | 1, row0: number,
): void {
  quantizeActivations(k, A, W, M, K);
  int8Product(k, C, ldc, W, M, N, beta, row0);
}

/** A [M,K]'s rows quantized (quantizeRows) into W's activation scratch, for the int8Product calls that follow. */
export function quantizeActivations<F extends FloatArray>(k: Kernels<F>, A: F, W: Int8Matrix<F>, M: number, K: number): void {
  if (K !== W.cols) throw new Error(`int8 product of depth ${K} does not fit a ${W.rows}×${W.cols} matrix`);
  const Kp = W.stride;
  const act = W.act;
  if (act.aq.length < M * Kp) act.aq = k.allocUint8(M * Kp);
  if (act.ascale.length < M) act.ascale = k.alloc(M);
  k.quantizeRows(act.aq, act.ascale, A, K, M, K, Kp);
}

/**
 * C [M,N] (ldc) = (the rows quantizeActivations left in W's scratch) · W[row0 : row0+N, :]ᵀ
 * (+ C when beta is 1): the exact integer product (gemmNTInt8), then the scales.
 */
export function int8Product<F extends FloatArray>(k: Kernels<F>, C: F, ldc: number, W: Int8Matrix<F>, M: number, N: number, beta: 0 | 1, row0: number): void {
  if (row0 < 0 || row0 + N > W.rows || W.act.ascale.length < M) throw new Error(`int8 product of ${M}×${N} at row ${row0} does not fit a ${W.rows}×${W.cols} matrix`);
  const Kp = W.stride;
  k.gemmNTInt8(M, N, Kp, W.act.aq, W.act.ascale, W.q.subarray(row0 * Kp), W.scale.subarray(row0) as F, W.sum.subarray(row0), beta, C, ldc);
}
