/**
 * shiren's f32 kernels in AssemblyScript: the WASM side of src/engine/kernels.ts. This file is the
 * module's entry: it lists the exports; the kernels live in one file per section of kernels.ts,
 * which src/engine/reference.ts (the naive twins) and src/engine/wasm.ts (the calls) follow:
 *   gemm.ts       gemm, gemmNT (sgemm, packed, and the small-M dot-product path)
 *   int8.ts       quantizeRows, quantizeWeights, gemmNTInt8 (the int8 generation product)
 *   sample.ts     sampleList (plain sampling), guidedSample (guided by a title, measured),
 *                 logSumExpList (a log-probability under the rules)
 *   embed.ts      addBias, biasBackward, embeddingForward, embeddingBackward
 *   pointwise.ts  mul, addInPlace, scale, sumSquares
 *   loss.ts       softmaxCrossEntropy
 *   cells.ts      the rnn, lstm and gru pointwise steps
 *   optim.ts      adam
 *   math.ts       shared, not exported: FMA helpers, exp/σ/tanh, part slices, a row add
 *
 * Contract
 * - Every export works on byte addresses (usize) inside the one shared, imported memory; the JS
 *   side (src/engine/wasm.ts) passes `typedArray.byteOffset`. Nothing here allocates.
 * - One source, three builds (tools/build-wasm.js): scalar, SIMD, SIMD + relaxed FMA. The
 *   ASC_FEATURE_* constants are compile-time, so the unused branch is not even compiled.
 * - Exports whose last parameters are (part, nparts[, thread]) do a fixed slice (part p of nparts)
 *   of the work; JS hands the parts to whichever thread is free. Their f64 return is the part's
 *   partial result (0 where there is none); JS adds the parts in order 0..nparts-1 and chooses
 *   nparts from the sizes alone where there are partial sums. Every f32 result is computed in the
 *   same order whatever the split, so results do not depend on the thread count.
 * - Numerics: f32 throughout, sums accumulated in f32 (as BLAS does) except the loss and Σx²
 *   (f64); exp/σ/tanh by a vectorised Cephes-style exp (≈1–2 ulp).
 *
 * Legend: B batch, H hidden, G gates, V vocabulary, N rows, E embedding, M/N/K GEMM sizes.
 * MR×NR = 6×8 or 4×8 is the register tile of the sgemm micro-kernel (12 or 8 f32x4 accumulators).
 */

// The wasm exports, in the order of src/engine/kernels.ts.
export { gemmWorkspaceBytes, gemmSmallM, gemm, gemmNT } from './gemm';
export { quantizeRows, quantizeWeights, gemmNTInt8 } from './int8';
export { sampleList, logSumExpList, guidedSample } from './sample';
export { addBias, biasBackward, embeddingForward, embeddingBackward } from './embed';
export { mul, addInPlace, scale, sumSquares } from './pointwise';
export { softmaxCrossEntropy } from './loss';
export {
  rnnCellForward, rnnCellBackward, lstmCellForward, lstmCellBackward,
  gruGatesForward, gruOutputForward, gruOutputBackward, gruGatesBackward,
} from './cells';
export { adam } from './optim';
