/**
 * The product A · Wᵀ of every layer (the input term, the recurrent term, the output layer), by
 * what W is (docs/design.md §9):
 * - a plain tensor, a view of the parameters: `Kernels.gemm`, the batch GEMM (training, scoring,
 *   inspect), whose summation order may change with the number of rows;
 * - a `DecodeMatrix`, what the generation step (Model.step) multiplies by, chosen by precision
 *   (Model.setDecodePrecision):
 *   - 'f32', the same parameters: `Kernels.gemmNT`, row-invariant, so a poem decodes the same
 *     alone or in a batch of any size, bit for bit;
 *   - 'int8', a per-row int8 copy (int8.ts): `int8MatmulNT`, row-invariant too.
 * The cells and layers call `matmulNT` with the weights they are given, so one cell step serves
 * both, and a reader of the step sees which product it runs. Both decode products are also
 * column-invariant (column j depends on row j of W alone, wherever a product starts and ends), so
 * `matmulNTColumns` computes some columns only (the logits a poem may read: Model.step) with the
 * values of the whole product, bit for bit.
 *
 * Shapes: A [M,K] (contiguous), W [rows,K] of which rows [row0, row0 + N) are used, C [M,ldc ≥ N].
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';
import { int8MatmulNT, int8Product, quantizeActivations, type Int8Matrix } from './int8.ts';

/** A weight matrix W [rows,cols] of the generation step, multiplied row-invariantly in f32. */
export interface F32Matrix<F extends FloatArray> {
  kind: 'f32';
  rows: number;
  cols: number;
  data: F; // [rows,cols], a view of the parameters
}

/** A weight matrix of the generation step, in its decode precision. */
export type DecodeMatrix<F extends FloatArray> = F32Matrix<F> | Int8Matrix<F>;

/** What `matmulNT` multiplies by: a plain tensor (batch GEMM) or a decode matrix. */
export type Weight<F extends FloatArray> = F | DecodeMatrix<F>;

/**
 * C [M,N] (ldc) = A [M,K] · W[row0 : row0+N, :]ᵀ (+ C when beta is 1), W [·,K]; the kernel is
 * chosen by W's type (file contract).
 */
export function matmulNT<F extends FloatArray>(
  k: Kernels<F>, C: F, ldc: number, A: F, W: Weight<F>, M: number, N: number, K: number, beta: 0 | 1, row0 = 0,
): void {
  if (ArrayBuffer.isView(W)) {
    k.gemm(false, true, M, N, K, 1, A, K, row0 ? (W.subarray(row0 * K) as F) : W, K, beta, C, ldc);
    return;
  }
  const D = W as DecodeMatrix<F>;
  if (D.kind === 'int8') {
    int8MatmulNT(k, C, ldc, A, D, M, N, K, beta, row0);
    return;
  }
  if (K !== D.cols || row0 < 0 || row0 + N > D.rows) throw new Error(`product of ${N}×${K} at row ${row0} does not fit a ${D.rows}×${D.cols} matrix`);
  k.gemmNT(M, N, K, 1, A, K, row0 ? (D.data.subarray(row0 * K) as F) : D.data, K, beta, C, ldc);
}

/**
 * C[m, lo:hi] = A[m] · W[lo:hi, :]ᵀ for m < M and each range [lo, hi) of `ranges` (flat pairs
 * lo0, hi0, lo1, hi1, …), C's other columns untouched: the values of matmulNT over all columns,
 * bit for bit (file contract). The int8 product quantizes A once for all ranges.
 */
export function matmulNTColumns<F extends FloatArray>(k: Kernels<F>, C: F, ldc: number, A: F, W: DecodeMatrix<F>, M: number, K: number, ranges: readonly number[]): void {
  if (W.kind === 'int8') {
    quantizeActivations(k, A, W, M, K);
    for (let r = 0; r < ranges.length; r += 2) int8Product(k, C.subarray(ranges[r]) as F, ldc, W, M, ranges[r + 1] - ranges[r], 0, ranges[r]);
    return;
  }
  for (let r = 0; r < ranges.length; r += 2) matmulNT(k, C.subarray(ranges[r]) as F, ldc, A, W, M, ranges[r + 1] - ranges[r], K, 0, ranges[r]);
}
