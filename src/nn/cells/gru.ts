/**
 * The GRU cell in the seed's form (Cho et al. 2014, docs/design.md §3; gate blocks r, z, n):
 *
 *   r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)          reset gate
 *   z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)          update gate
 *   n = tanh(W_in x_t + b_in + W_hn (r ⊙ h_{t−1}) + b_hn)
 *   h_t = (1 − z) ⊙ h_{t−1} + z ⊙ n
 *
 * W_i{r,z,n} are the row blocks 0,1,2 of rnn.weight_ih_l{k} [3H,I], W_h{r,z,n} of
 * rnn.weight_hh_l{k} [3H,H], and likewise the biases [3H] (params.ts). Unlike PyTorch's GRU the
 * reset gate multiplies h BEFORE W_hn, so the recurrent matmul is split in two around it. The
 * time loop has put W_ih x_t + b_ih + b_hh into `pre`.
 *
 * Legend: B rows, T steps, H hidden (G = 3, GH = 3H).
 */
import type { FloatArray, Kernels } from '../../engine/kernels.ts';
import { block, view, type Cell, type CellWeights, type Signal, type StepWeights } from './cell.ts';
import { matmulNT } from '../matmul.ts';

export interface GruBuffers<F extends FloatArray> {
  pre: F; // [B,3H] in: W_ih x_t + b_ih + b_hh; out: the pre-activations of r, z, n
  gates: F; // [B,3H] out: r, z, n (activations)
  rh: F; // [B,H] out: r ⊙ h_{t−1}
  h: F; // [B,H] out: h_t
}

export interface GruState<F extends FloatArray> {
  h: F; // [B,H] h_{t−1}
}

export interface GruScratch<F extends FloatArray> {
  dhPrev: F; // [B,H] the gradient reaching h_{t−1} inside the step, before it joins dprev.h
  drh: F; // [B,H] ∂loss/∂(r ⊙ h_{t−1})
}

/** r, z from prev.h · W_h{r,z}ᵀ; then n from (r ⊙ prev.h) · W_hnᵀ; then h. */
export function gruStep<F extends FloatArray>(k: Kernels<F>, out: GruBuffers<F>, prev: GruState<F>, w: StepWeights<F>, B: number, H: number): void {
  matmulNT(k, out.pre, 3 * H, prev.h, w.wHh, B, 2 * H, H, 1); // rows 0..2H of W_hh: W_hr, W_hz
  k.gruGatesForward(out.gates, out.rh, out.pre, prev.h, B, H);
  const preN = view(out.pre, 2 * H);
  matmulNT(k, preN, 3 * H, out.rh, w.wHh, B, H, H, 1, 2 * H); // rows 2H..3H: W_hn
  k.gruOutputForward(out.h, out.gates, preN, 3 * H, prev.h, B, H);
}

/**
 * dpre (z and n blocks, then r through drh = dpre_n · W_hn); dprev.h += the direct path
 * dh ⊙ (1 − z), the r ⊙ h path and the W_h{r,z} path.
 */
export function gruStepBackward<F extends FloatArray>(
  k: Kernels<F>, dpre: F, dprev: GruState<F> | null, dout: GruState<F>, a: GruBuffers<F>,
  prev: GruState<F>, w: CellWeights<F>, scratch: GruScratch<F>, B: number, H: number,
): void {
  const { dhPrev, drh } = scratch;
  k.gruOutputBackward(dpre, dhPrev, dout.h, a.gates, prev.h, B, H);
  k.gemm(false, false, B, H, H, 1, view(dpre, 2 * H), 3 * H, view(w.wHh, 2 * H * H), H, 0, drh, H);
  k.gruGatesBackward(dpre, dhPrev, drh, a.gates, prev.h, B, H);
  if (!dprev) return; // h_0 is a constant
  k.gemm(false, false, B, H, 2 * H, 1, dpre, 3 * H, w.wHh, H, 1, dhPrev, H);
  k.addInPlace(dprev.h, dhPrev, B * H);
}

/**
 * dW_h{r,z} += Σ_t dpre_{r,z,t}ᵀ h_{t−1} (t = 1..T−1; h_0 = 0);
 * dW_hn += Σ_t dpre_{n,t}ᵀ (r ⊙ h_{t−1}) (all t).
 */
export function gruHiddenWeightBackward<F extends FloatArray>(k: Kernels<F>, dWhh: F, dpre: F, seq: GruBuffers<F>, T: number, B: number, H: number): void {
  if (T > 1) k.gemm(true, false, 2 * H, H, (T - 1) * B, 1, view(dpre, B * 3 * H), 3 * H, seq.h, H, 1, dWhh, H);
  k.gemm(true, false, H, H, T * B, 1, view(dpre, 2 * H), 3 * H, seq.rh, H, 1, view(dWhh, 2 * H * H), H);
}

export function gruCell<F extends FloatArray>(): Cell<F, GruBuffers<F>, GruState<F>, GruScratch<F>> {
  return {
    type: 'gru',
    stateNames: ['h'],
    alloc: (k, rows, H) => ({ pre: k.alloc(rows * 3 * H), gates: k.alloc(rows * 3 * H), rh: k.alloc(rows * H), h: k.alloc(rows * H) }),
    at: (seq, t, B, H) => ({
      pre: block(seq.pre, t, B, 3 * H), gates: block(seq.gates, t, B, 3 * H), rh: block(seq.rh, t, B, H), h: block(seq.h, t, B, H),
    }),
    state: (a) => ({ h: a.h }),
    zeroState: (zeros) => ({ h: zeros }),
    stateFields: (s) => [s.h],
    step: gruStep,
    allocScratch: (k, B, H) => ({ dhPrev: k.alloc(B * H), drh: k.alloc(B * H) }),
    startBackward: () => {},
    stateGradient: (dh) => ({ h: dh }),
    stepBackward: gruStepBackward,
    hiddenWeightBackward: gruHiddenWeightBackward,
    signals: (a, row, H): Signal<F>[] => {
      const gate = (j: number) => view(a.gates, (3 * row + j) * H, (3 * row + j + 1) * H);
      return [
        { name: 'update', summary: 'mean', units: gate(1) },
        { name: 'reset', summary: 'mean', units: gate(0) },
      ];
    },
  };
}
