/**
 * One recurrent layer (rnn | lstm | gru, the seed's equations, docs/design.md §3): forward over a whole
 * sequence, backward through time, and the single cell step that both the training time loop and
 * incremental generation use.
 *
 *   rnn:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
 *   lstm: [i,f,g,o] = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh;  c_t = σf⊙c_{t−1} + σi⊙tanh g;  h_t = σo⊙tanh c_t
 *   gru:  [r,z] = σ(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t−1} + b_h{r,z})
 *         n = tanh(W_in x_t + b_in + W_hn (r⊙h_{t−1}) + b_hn);  h_t = (1−z)⊙h_{t−1} + z⊙n
 *
 * Sequence buffers are TIME-MAJOR [T,B,·] so that step t is one contiguous [B,·] block and the
 * matmuls over all steps are single GEMMs. The initial state h_0 (and c_0) is zero in training.
 *
 * Legend: T steps, B batch rows, I layer input width (E or H), H hidden, G gates, GH = G·H.
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';
import { gateCount, type CellType } from './config.ts';

/** Views of one layer's parameters (or of their gradients) inside the flat block. */
export interface LayerWeights<F extends FloatArray> {
  wIh: F; // [GH, I]
  wHh: F; // [GH, H]
  bIh: F; // [GH]
  bHh: F; // [GH]
}

/** Everything the step needs besides the weights. Buffers with B rows. */
export interface StepBuffers<F extends FloatArray> {
  /** [B,GH] on entry: x W_ihᵀ + b_ih + b_hh. On exit: lstm gate activations; rnn: h (may be `h`); gru: pre-activations incl. the W_hh terms. */
  pre: F;
  hPrev: F; // [B,H]
  h: F; // [B,H] out
  cPrev?: F; // [B,H] lstm
  c?: F; // [B,H] lstm out
  gates?: F; // [B,3H] gru out: σr, σz, tanh n
  rh?: F; // [B,H] gru out: r ⊙ hPrev
}

/** Activations of one layer over a sequence, kept for backward. Time-major. */
export interface LayerActivations<F extends FloatArray> {
  pre: F; // [T,B,GH] (rnn: also the output h; lstm: gate activations after forward)
  h: F; // [T,B,H] output (aliases `pre` for rnn)
  c?: F; // [T,B,H] lstm cell states
  gates?: F; // [T,B,3H] gru activations
  rh?: F; // [T,B,H] gru r ⊙ h_{t−1}
}

/** Scratch shared by all layers' backward passes (sized for the largest layer). */
export interface BackwardScratch<F extends FloatArray> {
  dpre: F; // [T,B,GH] pre-activation gradients
  carry: F; // [B,H] lstm: dc flowing to c_{t−1}; gru: dh flowing to h_{t−1}
  drh: F; // [B,H] gru: gradient of r ⊙ h_{t−1}
  zeros: F; // [B,H] the zero initial state (never written)
}

/** buf[start, end) typed as its own array type (subarray loses the generic). */
export function view<F extends FloatArray>(buf: F, start: number, end?: number): F {
  return buf.subarray(start, end) as F;
}

/** Allocates the activations for `rows` = T·B rows of a layer with this cell. */
export function allocActivations<F extends FloatArray>(kernels: Kernels<F>, cell: CellType, rows: number, H: number): LayerActivations<F> {
  const pre = kernels.alloc(rows * gateCount(cell) * H);
  if (cell === 'rnn') return { pre, h: pre };
  const h = kernels.alloc(rows * H);
  if (cell === 'lstm') return { pre, h, c: kernels.alloc(rows * H) };
  return { pre, h, gates: kernels.alloc(rows * 3 * H), rh: kernels.alloc(rows * H) };
}

/** pre [N,GH] = x [N,I] · W_ihᵀ + b_ih + b_hh: the input projection of N rows as one GEMM. */
export function inputProjection<F extends FloatArray>(
  kernels: Kernels<F>, pre: F, x: F, w: LayerWeights<F>, N: number, I: number, GH: number,
): void {
  kernels.gemm(false, true, N, GH, I, 1, x, I, w.wIh, I, 0, pre, GH);
  kernels.addBias(pre, w.bIh, N, GH);
  kernels.addBias(pre, w.bHh, N, GH);
}

/** One time step of one layer for B rows (see StepBuffers for what is read and written). */
export function cellStep<F extends FloatArray>(
  kernels: Kernels<F>, cell: CellType, w: LayerWeights<F>, s: StepBuffers<F>, B: number, H: number,
): void {
  const k = kernels;
  if (cell === 'rnn') {
    k.gemm(false, true, B, H, H, 1, s.hPrev, H, w.wHh, H, 1, s.pre, H);
    k.rnnCellForward(s.h, s.pre, B, H);
  } else if (cell === 'lstm') {
    k.gemm(false, true, B, 4 * H, H, 1, s.hPrev, H, w.wHh, H, 1, s.pre, 4 * H);
    k.lstmCellForward(s.h, s.c!, s.pre, s.cPrev!, B, H);
  } else {
    // r,z see W_hh h_{t−1}; n sees W_hn (r ⊙ h_{t−1}), so the recurrent matmul is split in two.
    k.gemm(false, true, B, 2 * H, H, 1, s.hPrev, H, w.wHh, H, 1, s.pre, 3 * H);
    k.gruGatesForward(s.gates!, s.rh!, s.pre, s.hPrev, B, H);
    const preN = view(s.pre, 2 * H);
    k.gemm(false, true, B, H, H, 1, s.rh!, H, view(w.wHh, 2 * H * H), H, 1, preN, 3 * H);
    k.gruOutputForward(s.h, s.gates!, preN, 3 * H, s.hPrev, B, H);
  }
}

/** Forward over T steps: x [T,B,I] → act (h [T,B,H] is the layer output). */
export function recurrentForward<F extends FloatArray>(
  kernels: Kernels<F>, cell: CellType, w: LayerWeights<F>, act: LayerActivations<F>, x: F,
  zeros: F, T: number, B: number, I: number, H: number,
): void {
  const GH = gateCount(cell) * H;
  inputProjection(kernels, act.pre, x, w, T * B, I, GH);
  const block = (buf: F, t: number, width: number) => view(buf, t * B * width, (t + 1) * B * width);
  const optional = (buf: F | undefined, t: number, width: number) => (buf ? block(buf, t, width) : undefined);
  for (let t = 0; t < T; t++) {
    cellStep(kernels, cell, w, {
      pre: block(act.pre, t, GH),
      hPrev: t === 0 ? zeros : block(act.h, t - 1, H),
      h: block(act.h, t, H),
      cPrev: t === 0 ? zeros : optional(act.c, t - 1, H),
      c: optional(act.c, t, H),
      gates: optional(act.gates, t, 3 * H),
      rh: optional(act.rh, t, H),
    }, B, H);
  }
}

/**
 * Backward through time. dh [T,B,H] is the gradient of the layer output (it is consumed: the
 * recurrent gradient is added into it step by step). Accumulates the weight gradients into `g`
 * and overwrites dx [T,B,I] with the gradient of the layer input.
 */
export function recurrentBackward<F extends FloatArray>(
  kernels: Kernels<F>, cell: CellType, w: LayerWeights<F>, g: LayerWeights<F>, act: LayerActivations<F>,
  x: F, dh: F, dx: F, scratch: BackwardScratch<F>, T: number, B: number, I: number, H: number,
): void {
  const k = kernels;
  const GH = gateCount(cell) * H;
  const { dpre, carry, drh, zeros } = scratch;
  const block = (buf: F, t: number, width: number) => view(buf, t * B * width, (t + 1) * B * width);
  if (cell === 'lstm') carry.fill(0, 0, B * H);
  for (let t = T - 1; t >= 0; t--) {
    const dpreT = block(dpre, t, GH);
    const dhT = block(dh, t, H);
    const hPrev = t === 0 ? zeros : block(act.h, t - 1, H);
    if (cell === 'rnn') {
      k.rnnCellBackward(dpreT, dhT, block(act.h, t, H), B, H);
    } else if (cell === 'lstm') {
      const cPrev = t === 0 ? zeros : block(act.c!, t - 1, H);
      k.lstmCellBackward(dpreT, carry, dhT, carry, block(act.pre, t, GH), block(act.c!, t, H), cPrev, B, H);
    } else {
      const gates = block(act.gates!, t, 3 * H);
      k.gruOutputBackward(dpreT, carry, dhT, gates, hPrev, B, H);
      k.gemm(false, false, B, H, H, 1, view(dpreT, 2 * H), 3 * H, view(w.wHh, 2 * H * H), H, 0, drh, H);
      k.gruGatesBackward(dpreT, carry, drh, gates, hPrev, B, H);
    }
    if (t === 0) break; // h_0 is a constant: its gradient is not needed
    const dhPrev = block(dh, t - 1, H);
    if (cell === 'gru') {
      // carry holds the direct and r⊙h paths; add the W_h{r,z} path, then hand it to step t−1.
      k.gemm(false, false, B, H, 2 * H, 1, dpreT, 3 * H, w.wHh, H, 1, carry, H);
      k.addInPlace(dhPrev, carry, B * H);
    } else {
      k.gemm(false, false, B, H, GH, 1, dpreT, GH, w.wHh, H, 1, dhPrev, H);
    }
  }

  // Weight gradients over all steps at once. W_hh pairs step t's gradient with h_{t−1}, so it
  // runs over steps 1..T−1 (h_0 = 0 contributes nothing).
  const N = T * B;
  k.gemm(true, false, GH, I, N, 1, dpre, GH, x, I, 1, g.wIh, I);
  k.biasBackward(g.bIh, dpre, N, GH);
  k.biasBackward(g.bHh, dpre, N, GH);
  if (T > 1) {
    const rows = (T - 1) * B;
    const recurrentGH = cell === 'gru' ? 2 * H : GH;
    k.gemm(true, false, recurrentGH, H, rows, 1, view(dpre, B * GH), GH, act.h, H, 1, g.wHh, H);
  }
  if (cell === 'gru') {
    k.gemm(true, false, H, H, N, 1, view(dpre, 2 * H), 3 * H, act.rh!, H, 1, view(g.wHh, 2 * H * H), H);
  }
  k.gemm(false, false, N, I, GH, 1, dpre, GH, w.wIh, I, 0, dx, I);
}
