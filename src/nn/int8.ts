/**
 * int8 copies of a model's weight matrices for generation (docs/design.md §5, issue 12 item 2).
 *
 * Why: a decoding step multiplies one row (or a few) by every weight matrix, so it is bound by
 * streaming the weights from memory (f32: ≈ 10.6 MB per step for the bundled GRU, fc.weight
 * 7.9 MB of it), not by arithmetic. An int8 copy with one scale per row streams a quarter of
 * the bytes; the activations are quantized per row to i16 at each product (Kernels.quantizeRows),
 * and each dot product is an exact i32 sum (Kernels.gemmNTInt8), so a poem stays the same alone
 * or in any batch, bit for bit, on every engine.
 *
 * Quantization (symmetric, per output row n of W [N,K], Kernels.quantizeWeights): scale_n =
 * max_k |W[n,k]| / 127 and q[n,k] = nearest(W[n,k] · 127 / max_k |W[n,k]|) (ties to even), in
 * f32; a zero row has scale 0. The depth is padded to Kp (a multiple of 16, the kernel's vector step) with zeros.
 * Activations use ±qmax with qmax · 127 · Kp < 2^31, so no sum can overflow (qmax = 32767 up
 * to Kp = 516).
 *
 * Contract: `Int8Weights` is built from the parameters as they are when it is made; the model
 * rebuilds it when asked again (Model.setDecodePrecision). `product` returns false for a matrix
 * it has no copy of, and the caller then uses the f32 kernel.
 *
 * Shapes: W [N,K] f32, q [N,Kp] i8, scale [N], A [M,K], aq [M,Kp] i16, ascale [M], C [M,N].
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';

/** K rounded up to the kernel's vector step (16 int8 weights). */
export function paddedDepth(K: number): number {
  return Math.ceil(K / 16) * 16;
}

/** The largest activation magnitude for depth Kp: every |Σ aq·q| stays below 2^31. */
export function activationRange(Kp: number): number {
  return Math.min(32767, Math.floor((2 ** 31 - 1) / (127 * Kp)));
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
}

/** W [N,K] quantized per row into kernel memory (Kernels.quantizeWeights). */
export function quantizeMatrix<F extends FloatArray>(k: Kernels<F>, W: F, N: number, K: number): Int8Matrix<F> {
  const stride = paddedDepth(K);
  const q = k.allocInt8(N * stride);
  const scale = k.alloc(N);
  k.quantizeWeights(q, scale, W, N, K, stride);
  return { source: W, rows: N, cols: K, stride, q, scale };
}

/** The int8 copies of a model's generation matrices, with the activations' scratch. */
export class Int8Weights<F extends FloatArray> {
  private aq: Int16Array;
  private ascale: F;

  constructor(private readonly k: Kernels<F>, readonly matrices: Int8Matrix<F>[]) {
    this.aq = k.allocInt16(0);
    this.ascale = k.alloc(0);
  }

  /** Bytes of the int8 copies (weights and scales). */
  get bytes(): number {
    return this.matrices.reduce((s, m) => s + m.q.length + 4 * m.rows, 0);
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
      if (this.aq.length < M * Kp) this.aq = this.k.allocInt16(M * Kp);
      if (this.ascale.length < M) this.ascale = this.k.alloc(M);
      this.k.quantizeRows(this.aq, this.ascale, A, lda, M, K, Kp, activationRange(Kp));
      this.k.gemmNTInt8(M, N, Kp, this.aq, this.ascale, m.q.subarray(row0 * Kp), m.scale.subarray(row0) as F, beta, C, ldc);
      return true;
    }
    return false;
  }
}
