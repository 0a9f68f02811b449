/**
 * The LSTM cell (docs/design.md §3; gate blocks in PyTorch's order i, f, g, o):
 *
 *   [i,f,g,o] = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh
 *   c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g)       forget gate σ(f), input gate σ(i)
 *   h_t = σ(o) ⊙ tanh(c_t)                      output gate σ(o)
 *
 * W_ih = rnn.weight_ih_l{k} [4H,I], W_hh = rnn.weight_hh_l{k} [4H,H], b_ih, b_hh [4H] (params.ts);
 * row block 0 is i, 1 f, 2 g, 3 o. The time loop has put W_ih x_t + b_ih + b_hh into `pre`;
 * `lstmStep` adds W_hh h_{t−1} and runs the fused pointwise kernel, which leaves the gate
 * ACTIVATIONS in `pre` (backward needs them, and inspect shows them). Why it remembers: the path
 * c_{t−1} → c_t is multiplied only by σ(f), so with f near 1 the gradient passes many steps.
 *
 * Legend: B rows, T steps, H hidden (G = 4, GH = 4H).
 */
import type { FloatArray, Kernels } from '../../engine/kernels.ts';
import { block, view, type Cell, type CellWeights, type Signal, type StepWeights } from './cell.ts';
import { matmulNT } from '../matmul.ts';

export interface LstmBuffers<F extends FloatArray> {
  pre: F; // [B,4H] in: W_ih x_t + b_ih + b_hh; out: σ(i), σ(f), tanh(g), σ(o)
  c: F; // [B,H] out: c_t
  h: F; // [B,H] out: h_t
}

export interface LstmState<F extends FloatArray> {
  h: F; // [B,H] h_{t−1}
  c: F; // [B,H] c_{t−1}
}

export interface LstmScratch<F extends FloatArray> {
  dc: F; // [B,H] ∂loss/∂c_t, carried from step t+1 to step t
}

/** out.pre += prev.h · W_hhᵀ;  then c, h and the activations by the pointwise kernel. */
export function lstmStep<F extends FloatArray>(k: Kernels<F>, out: LstmBuffers<F>, prev: LstmState<F>, w: StepWeights<F>, B: number, H: number): void {
  matmulNT(k, out.pre, 4 * H, prev.h, w.wHh, B, 4 * H, H, 1);
  k.lstmCellForward(out.h, out.c, out.pre, prev.c, B, H);
}

/**
 * dpre from dout.h and the carried dout.c; dprev.c = dc_t ⊙ σ(f) (overwrites the carry, which
 * dout.c and dprev.c share); dprev.h += dpre · W_hh.
 */
export function lstmStepBackward<F extends FloatArray>(
  k: Kernels<F>, dpre: F, dprev: LstmState<F> | null, dout: LstmState<F>, a: LstmBuffers<F>,
  prev: LstmState<F>, w: CellWeights<F>, _scratch: LstmScratch<F>, B: number, H: number,
): void {
  k.lstmCellBackward(dpre, dprev ? dprev.c : dout.c, dout.h, dout.c, a.pre, a.c, prev.c, B, H);
  if (dprev) k.gemm(false, false, B, H, 4 * H, 1, dpre, 4 * H, w.wHh, H, 1, dprev.h, H);
}

/** dW_hh += Σ_t dpre_tᵀ h_{t−1}, t = 1..T−1 (h_0 = 0 contributes nothing). */
export function lstmHiddenWeightBackward<F extends FloatArray>(k: Kernels<F>, dWhh: F, dpre: F, seq: LstmBuffers<F>, T: number, B: number, H: number): void {
  if (T > 1) k.gemm(true, false, 4 * H, H, (T - 1) * B, 1, view(dpre, B * 4 * H), 4 * H, seq.h, H, 1, dWhh, H);
}

export function lstmCell<F extends FloatArray>(): Cell<F, LstmBuffers<F>, LstmState<F>, LstmScratch<F>> {
  return {
    type: 'lstm',
    stateNames: ['h', 'c'],
    alloc: (k, rows, H) => ({ pre: k.alloc(rows * 4 * H), c: k.alloc(rows * H), h: k.alloc(rows * H) }),
    at: (seq, t, B, H) => ({ pre: block(seq.pre, t, B, 4 * H), c: block(seq.c, t, B, H), h: block(seq.h, t, B, H) }),
    state: (a) => ({ h: a.h, c: a.c }),
    zeroState: (zeros) => ({ h: zeros, c: zeros }),
    stateFields: (s) => [s.h, s.c],
    step: lstmStep,
    allocScratch: (k, B, H) => ({ dc: k.alloc(B * H) }),
    startBackward: (scratch, B, H) => scratch.dc.fill(0, 0, B * H),
    stateGradient: (dh, scratch) => ({ h: dh, c: scratch.dc }),
    stepBackward: lstmStepBackward,
    hiddenWeightBackward: lstmHiddenWeightBackward,
    signals: (a, row, H): Signal<F>[] => {
      const gate = (j: number) => view(a.pre, (4 * row + j) * H, (4 * row + j + 1) * H);
      return [
        { name: 'forget', summary: 'mean', units: gate(1) },
        { name: 'input', summary: 'mean', units: gate(0) },
        { name: 'output', summary: 'mean', units: gate(3) },
        { name: 'cell', summary: 'norm', units: view(a.c, row * H, (row + 1) * H) },
      ];
    },
  };
}
