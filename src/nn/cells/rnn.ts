/**
 * The vanilla RNN cell (the seed's first cell, docs/design.md §3):
 *
 *   h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
 *
 * W_ih = rnn.weight_ih_l{k} [H,I], W_hh = rnn.weight_hh_l{k} [H,H], b_ih = rnn.bias_ih_l{k} [H],
 * b_hh = rnn.bias_hh_l{k} [H] (params.ts). The time loop has already put W_ih x_t + b_ih + b_hh
 * into `pre`; `rnnStep` adds W_hh h_{t−1} and applies tanh. Its gradient is the one that vanishes
 * over long spans: every step back multiplies by W_hhᵀ diag(1 − h²).
 *
 * Legend: B rows, T steps, H hidden (G = 1, GH = H).
 */
import type { FloatArray, Kernels } from '../../engine/kernels.ts';
import { block, type Cell, type CellWeights, type Signal, type StepWeights } from './cell.ts';
import { matmulNT } from '../matmul.ts';

export interface RnnBuffers<F extends FloatArray> {
  pre: F; // [B,H] in: W_ih x_t + b_ih + b_hh; out: + W_hh h_{t−1} (the pre-activation)
  h: F; // [B,H] out: h_t = tanh(pre)
}

export interface RnnState<F extends FloatArray> {
  h: F; // [B,H] h_{t−1}
}

/** The rnn needs no scratch: its only carry is dh, which the time loop holds. */
export type RnnScratch = null;

/** out.h = tanh(out.pre + prev.h · W_hhᵀ). */
export function rnnStep<F extends FloatArray>(k: Kernels<F>, out: RnnBuffers<F>, prev: RnnState<F>, w: StepWeights<F>, B: number, H: number): void {
  matmulNT(k, out.pre, H, prev.h, w.wHh, B, H, H, 1);
  k.rnnCellForward(out.h, out.pre, B, H);
}

/** dpre = dout.h ⊙ (1 − h_t²);  dprev.h += dpre · W_hh. */
export function rnnStepBackward<F extends FloatArray>(
  k: Kernels<F>, dpre: F, dprev: RnnState<F> | null, dout: RnnState<F>, a: RnnBuffers<F>,
  _prev: RnnState<F>, w: CellWeights<F>, _scratch: RnnScratch, B: number, H: number,
): void {
  k.rnnCellBackward(dpre, dout.h, a.h, B, H);
  if (dprev) k.gemm(false, false, B, H, H, 1, dpre, H, w.wHh, H, 1, dprev.h, H);
}

/** dW_hh += Σ_t dpre_tᵀ h_{t−1}, t = 1..T−1 (h_0 = 0 contributes nothing). */
export function rnnHiddenWeightBackward<F extends FloatArray>(k: Kernels<F>, dWhh: F, dpre: F, seq: RnnBuffers<F>, T: number, B: number, H: number): void {
  if (T > 1) k.gemm(true, false, H, H, (T - 1) * B, 1, dpre.subarray(B * H) as F, H, seq.h, H, 1, dWhh, H);
}

export function rnnCell<F extends FloatArray>(): Cell<F, RnnBuffers<F>, RnnState<F>, RnnScratch> {
  return {
    type: 'rnn',
    stateNames: ['h'],
    alloc: (k, rows, H) => ({ pre: k.alloc(rows * H), h: k.alloc(rows * H) }),
    at: (seq, t, B, H) => ({ pre: block(seq.pre, t, B, H), h: block(seq.h, t, B, H) }),
    state: (a) => ({ h: a.h }),
    zeroState: (zeros) => ({ h: zeros }),
    stateFields: (s) => [s.h],
    step: rnnStep,
    allocScratch: () => null,
    startBackward: () => {},
    stateGradient: (dh) => ({ h: dh }),
    stepBackward: rnnStepBackward,
    hiddenWeightBackward: rnnHiddenWeightBackward,
    signals: (a, row, H): Signal<F>[] => [{ name: 'hidden', summary: 'meanAbs', units: a.h.subarray(row * H, (row + 1) * H) as F }],
  };
}
