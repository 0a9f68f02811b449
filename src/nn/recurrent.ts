/**
 * One recurrent layer over a whole sequence: ONE time loop forward and ONE backward through time,
 * for any cell (cells/rnn.ts, cells/lstm.ts, cells/gru.ts hold the equations; cells/cell.ts the
 * contract). Used by training, scoring and inspect; generation calls the same `cell.step`.
 *
 * Sequence buffers are TIME-MAJOR [T,B,·] so that step t is one contiguous [B,·] block and the
 * input projection and weight gradients of all steps are single GEMMs. h_0 (and c_0) is zero.
 *
 * Legend: T steps, B batch rows, N = T·B, I layer input width (E or H), H hidden, G gates, GH = G·H.
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';
import { gateCount, type CellType } from './config.ts';
import { block, type AnyCell, type Cell, type CellBuffers, type CellState, type CellWeights, type StepWeights } from './cells/cell.ts';
import { matmulNT } from './matmul.ts';
import { rnnCell } from './cells/rnn.ts';
import { lstmCell } from './cells/lstm.ts';
import { gruCell } from './cells/gru.ts';

/** The cell implementation for a cell type (the one place the type name is dispatched). */
export function cellFor<F extends FloatArray>(type: CellType): AnyCell<F> {
  switch (type) {
    case 'rnn': return rnnCell<F>();
    case 'lstm': return lstmCell<F>();
    case 'gru': return gruCell<F>();
  }
}

/**
 * pre [N,GH] = x [N,I] · W_ihᵀ + b_ih + b_hh: the input term of N rows as one GEMM (a sequence's
 * T·B rows, or the generation step's S rows with its decode weights).
 */
export function inputProjection<F extends FloatArray>(
  k: Kernels<F>, pre: F, x: F, w: StepWeights<F>, N: number, I: number, GH: number,
): void {
  matmulNT(k, pre, GH, x, w.wIh, N, GH, I, 0);
  k.addBias(pre, w.bIh, N, GH);
  k.addBias(pre, w.bHh, N, GH);
}

/** Forward over T steps: x [T,B,I] → seq (seq.h [T,B,H] is the layer output). zeros [B,H]. */
export function sequenceForward<F extends FloatArray, A extends CellBuffers<F>, S extends CellState<F>, X>(
  cell: Cell<F, A, S, X>, k: Kernels<F>, w: CellWeights<F>, seq: A, x: F, zeros: F,
  T: number, B: number, I: number, H: number,
): void {
  inputProjection(k, seq.pre, x, w, T * B, I, gateCount(cell.type) * H);
  let prev = cell.zeroState(zeros);
  for (let t = 0; t < T; t++) {
    const out = cell.at(seq, t, B, H);
    cell.step(k, out, prev, w, B, H);
    prev = cell.state(out);
  }
}

/**
 * Backward through time. dh [T,B,H] is the gradient of the layer output from above; it is
 * consumed (each step adds the recurrent gradient into the block of step t−1). dpre [T,B,GH] is
 * scratch that ends holding the pre-activation gradients. Accumulates the weight gradients into
 * `g` and OVERWRITES dx [T,B,I] with the gradient of the layer input.
 */
export function sequenceBackward<F extends FloatArray, A extends CellBuffers<F>, S extends CellState<F>, X>(
  cell: Cell<F, A, S, X>, k: Kernels<F>, w: CellWeights<F>, g: CellWeights<F>, seq: A, x: F,
  dh: F, dx: F, dpre: F, scratch: X, zeros: F, T: number, B: number, I: number, H: number,
): void {
  const GH = gateCount(cell.type) * H;
  cell.startBackward(scratch, B, H);
  for (let t = T - 1; t >= 0; t--) {
    const prev = t === 0 ? cell.zeroState(zeros) : cell.state(cell.at(seq, t - 1, B, H));
    const dprev = t === 0 ? null : cell.stateGradient(block(dh, t - 1, B, H), scratch);
    const dout = cell.stateGradient(block(dh, t, B, H), scratch);
    cell.stepBackward(k, block(dpre, t, B, GH), dprev, dout, cell.at(seq, t, B, H), prev, w, scratch, B, H);
  }
  // Weight gradients of all steps at once (see cells/cell.ts), then the input gradient.
  const N = T * B;
  k.gemm(true, false, GH, I, N, 1, dpre, GH, x, I, 1, g.wIh, I);
  k.biasBackward(g.bIh, dpre, N, GH);
  k.biasBackward(g.bHh, dpre, N, GH);
  cell.hiddenWeightBackward(k, g.wHh, dpre, seq, T, B, H);
  k.gemm(false, false, N, I, GH, 1, dpre, GH, w.wIh, I, 0, dx, I);
}
