/**
 * The non-recurrent layers as forward/backward pairs (llm.c style; outputs first). The embedding
 * and the masked cross-entropy are single kernels (embeddingForward/Backward,
 * softmaxCrossEntropy) and are called directly by the model.
 *
 * Legend: N rows (T·B), I input width, O output width.
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';
import type { Rng } from './rng.ts';
import { matmulNT, type Weight } from './matmul.ts';

/**
 * out [N,O] = x [N,I] · wᵀ + b, with w [O,I] (nn.Linear layout: the parameters, or the generation
 * step's decode matrix, ./matmul.ts) and b [O] (null: no bias, nn.Linear(bias=False)).
 */
export function linearForward<F extends FloatArray>(
  kernels: Kernels<F>, out: F, x: F, w: Weight<F>, b: F | null, N: number, I: number, O: number,
): void {
  matmulNT(kernels, out, O, x, w, N, O, I, 0);
  if (b) kernels.addBias(out, b, N, O);
}

/**
 * dw [O,I] += doutᵀ · x;  db [O] += Σ_rows dout (db null: no bias);  dx [N,I] = dout · w
 * (overwritten). dw and db accumulate, so a tensor used twice (the tied embedding) gathers both.
 */
export function linearBackward<F extends FloatArray>(
  kernels: Kernels<F>, dx: F, dw: F, db: F | null, dout: F, x: F, w: F, N: number, I: number, O: number,
): void {
  kernels.gemm(true, false, O, I, N, 1, dout, O, x, I, 1, dw, I);
  if (db) kernels.biasBackward(db, dout, N, O);
  kernels.gemm(false, false, N, I, O, 1, dout, O, w, I, 0, dx, I);
}

/**
 * Inverted dropout mask [n]: 0 with probability p, else 1/(1−p), so the expected activation is
 * unchanged and nothing needs rescaling at inference. Forward is `mul(y, h, mask)`, backward
 * `mul(dh, dy, mask)`.
 */
export function dropoutMask(mask: FloatArray, n: number, p: number, rng: Rng): void {
  const threshold = p * 4294967296; // compare raw 32-bit draws: half the cost of rng.next()
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = rng.nextUint32() < threshold ? 0 : keep;
}
