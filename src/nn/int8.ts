/**
 * int8 copies of a model's weight matrices for generation (docs/design.md §9, issue 12 item 2).
 *
 * Why: a decoding step multiplies one row (or a few) by every weight matrix, so it is bound by
 * streaming the weights from memory (f32: ≈ 10.6 MB per step for the bundled GRU, fc.weight
 * 7.9 MB of it), not by arithmetic. An int8 copy with one scale per row streams a quarter of
 * the bytes; the activations are quantized per row at each product to 7 bits (Kernels.quantizeRows:
 * the relaxed-SIMD build multiplies 16 such pairs per instruction), and each dot product is an
 * exact integer (Kernels.gemmNTInt8), so a poem stays the same alone or in any batch, bit for bit,
 * on every engine and build.
 *
 * Quantization (symmetric, per output row n of W [N,K], Kernels.quantizeWeights): scale_n =
 * max_k |W[n,k]| / 127 and q[n,k] = nearest(W[n,k] · 127 / max_k |W[n,k]|) (ties to even), in
 * f32; a zero row has scale 0. Activations: max |a| ↦ 63 per row. The depth is padded to Kp (a
 * multiple of 16, the kernel's vector step). Measured on the bundled model (tools/int8-quality.ts):
 * the test perplexity moves in the second decimal.
 *
 * Contract: `Int8Weights` is built from the parameters as they are when it is made; the model
 * rebuilds it when asked again (Model.setDecodePrecision). `product` returns false for a matrix
 * it has no copy of, and the caller then uses the f32 kernel.
 *
 * Shapes: W [N,K] f32, q [N,Kp] i8, scale [N], sum [N] i32, A [M,K], aq [M,Kp] u8, ascale [M], C [M,N].
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';

/** K rounded up to the kernel's vector step (16 int8 weights). */
function paddedDepth(K: number): number {
  return Math.ceil(K / 16) * 16;
}

/** One weight matrix W [N,K] as int8 rows with f32 scales. */
export interface Int8Matrix<F extends FloatArray> {
  /** The f32 tensor it copies (a view of the parameters): how `product` recognises W. */
  source: F;
  rows: number;
  cols: number;
  /** Kp: cols padded to a multiple of 16. */
  stride: number;
  q: Int8Array; // [rows, stride]
  scale: F; // [rows]
  sum: Int32Array; // [rows] Σ of each row of q
}

/** W [N,K] quantized per row into kernel memory (Kernels.quantizeWeights). */
export function quantizeMatrix<F extends FloatArray>(k: Kernels<F>, W: F, N: number, K: number): Int8Matrix<F> {
  const stride = paddedDepth(K);
  const q = k.allocInt8(N * stride);
  const scale = k.alloc(N);
  const sum = k.allocInt(N);
  k.quantizeWeights(q, scale, sum, W, N, K, stride);
  return { source: W, rows: N, cols: K, stride, q, scale, sum };
}

/** The int8 copies of a model's generation matrices, with the activations' scratch. */
export class Int8Weights<F extends FloatArray> {
  private aq: Uint8Array;
  private ascale: F;

  constructor(private readonly k: Kernels<F>, readonly matrices: Int8Matrix<F>[]) {
    this.aq = k.allocUint8(0);
    this.ascale = k.alloc(0);
  }

  /**
   * C = A · Bᵀ (+ C when beta is 1) through the int8 copy of B when B is rows [row0, row0 + N)
   * of a copied matrix, read whole (ldb = its K); returns false (nothing done) otherwise.
   * A [M,K] (lda), B [N,K], C [M,N] (ldc).
   */
  product(M: number, N: number, K: number, A: F, lda: number, B: F, ldb: number, beta: number, C: F, ldc: number): boolean {
    if (beta !== 0 && beta !== 1) return false;
    for (const m of this.matrices) {
      const src = m.source;
      if (B.buffer !== src.buffer || ldb !== m.cols || K !== m.cols) continue;
      const offset = (B.byteOffset - src.byteOffset) / src.BYTES_PER_ELEMENT;
      if (offset < 0 || offset % m.cols !== 0) continue;
      const row0 = offset / m.cols;
      if (row0 + N > m.rows) continue;
      const Kp = m.stride;
      if (this.aq.length < M * Kp) this.aq = this.k.allocUint8(M * Kp);
      if (this.ascale.length < M) this.ascale = this.k.alloc(M);
      this.k.quantizeRows(this.aq, this.ascale, A, lda, M, K, Kp);
      this.k.gemmNTInt8(M, N, Kp, this.aq, this.ascale, m.q.subarray(row0 * Kp), m.scale.subarray(row0) as F, m.sum.subarray(row0), beta, C, ldc);
      return true;
    }
    return false;
  }
}
