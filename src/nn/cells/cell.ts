/**
 * The contract every recurrent cell implements (rnn.ts, lstm.ts, gru.ts — one module per cell,
 * llm.c style): `step` and `stepBackward` as a pair, outputs first, over explicit typed buffers.
 * The time loops of ../recurrent.ts (training, scoring, inspect) and the model's incremental
 * `step` (generation) call only this interface, so every caller runs the same cell code.
 *
 * Split of the work (why the interface has more than step/stepBackward)
 * - The input term W_ih x_t + b_ih + b_hh of ALL steps is one GEMM done by the time loop into
 *   `pre`; a step adds the recurrent term and applies the nonlinearities.
 * - `step` multiplies by whatever weights it is given (`StepWeights`, through ../matmul.ts
 *   `matmulNT`): the f32 parameters in the time loop, f32 or int8 decode matrices in generation.
 * - Likewise the recurrent weight gradient dW_hh of all steps is one GEMM after the loop
 *   (`hiddenWeightBackward`); `stepBackward` only propagates gradients through time.
 * Both keep the matmuls large (speed) without changing the arithmetic of a step.
 *
 * Buffer conventions
 * - A cell's buffers (`A`) hold `rows` rows: B for one step, T·B for a sequence (TIME-MAJOR
 *   [T,B,·], so step t is one contiguous block: `at(seq, t)`).
 * - The state (`S`) is what a step hands to the next: h, and c for lstm (views into A).
 * - stepBackward OVERWRITES `dpre` and ACCUMULATES (+=) into `dprev.h`, which already holds the
 *   gradient arriving from above (the next layer or the loss). Gradients of other state parts
 *   (lstm's dc) are the cell's own carry, kept in its scratch (`X`) between steps.
 *
 * Legend: B rows, T steps, I layer input width (E or H), H hidden, G gates, GH = G·H.
 */
import type { FloatArray, Kernels } from '../../engine/kernels.ts';
import type { CellType } from '../config.ts';
import type { Weight } from '../matmul.ts';

/**
 * One layer's weights. W = F: views of its parameters (or of their gradients) inside the flat
 * block (params.ts), for training, scoring and inspect. The generation step's are
 * `StepWeights`: the two matrices in its decode precision (../matmul.ts), the biases the parameters.
 */
export interface CellWeights<F extends FloatArray, W = F> {
  wIh: W; // [GH, I]  rnn.weight_ih_l{k}
  wHh: W; // [GH, H]  rnn.weight_hh_l{k}
  bIh: F; // [GH]     rnn.bias_ih_l{k}
  bHh: F; // [GH]     rnn.bias_hh_l{k}
}

/** The weights `step` takes: the parameters (a sequence's time loop) or the generation step's. */
export type StepWeights<F extends FloatArray> = CellWeights<F, Weight<F>>;

/** The buffers every cell has. */
export interface CellBuffers<F extends FloatArray> {
  /** [rows,GH] in: W_ih x + b_ih + b_hh (written by the time loop); after the step: see the cell. */
  pre: F;
  /** [rows,H] the output h_t (the next layer's input). */
  h: F;
}

/** The state every cell carries: h_{t−1}. */
export interface CellState<F extends FloatArray> {
  h: F; // [B,H]
}

/**
 * One quantity a step computed, per unit, for one row (inspect): a view of [H] values and how it
 * is summarised per character (mean of a gate, L2 norm of the lstm cell, mean |h| of the rnn).
 */
export interface Signal<F extends FloatArray> {
  name: string;
  summary: 'mean' | 'norm' | 'meanAbs';
  units: F; // [H]
}

export interface Cell<F extends FloatArray, A extends CellBuffers<F>, S extends CellState<F>, X> {
  /** The cell type; its gate count G (rows of weight_ih / weight_hh are G·H) is config.ts gateCount. */
  readonly type: CellType;
  /** Names of the state fields, h first (ModelState keeps plain copies of them in this order). */
  readonly stateNames: readonly string[];

  /** Zeroed buffers for `rows` rows (B for one step, T·B for a sequence). */
  alloc(k: Kernels<F>, rows: number, H: number): A;
  /** Step t's block of a time-major sequence of B-row steps (views, no copy). */
  at(seq: A, t: number, B: number, H: number): A;
  /** The state step `a` leaves for the next one (views into `a`). */
  state(a: A): S;
  /** The zero initial state: every field is `zeros` [B,H] (never written). */
  zeroState(zeros: F): S;
  /** The fields of a state in `stateNames` order. */
  stateFields(s: S): F[];

  /** out ← one step from prev. out.pre holds the input term on entry. Products: ../matmul.ts matmulNT. */
  step(k: Kernels<F>, out: A, prev: S, w: StepWeights<F>, B: number, H: number): void;

  /** Scratch for stepBackward with B rows (lstm: the dc carry; gru: two [B,H] temporaries). */
  allocScratch(k: Kernels<F>, B: number, H: number): X;
  /** Called before the first (last in time) stepBackward of a sequence: zeroes the carry. */
  startBackward(scratch: X, B: number, H: number): void;
  /** The gradient of a step's state: h is the given dh [B,H]; other parts live in `scratch`. */
  stateGradient(dh: F, scratch: X): S;
  /**
   * Backward of `step`. Out: dpre [B,GH] (overwritten) = ∂loss/∂pre-activations; dprev: the
   * gradient flowing to step t−1 (h +=, see the file contract), null at t = 0 (h_0 is a constant).
   * In: dout (gradient of this step's state, complete), a (this step's buffers), prev (its state).
   */
  stepBackward(k: Kernels<F>, dpre: F, dprev: S | null, dout: S, a: A, prev: S, w: CellWeights<F>, scratch: X, B: number, H: number): void;
  /** dW_hh [GH,H] += the recurrent weight gradient of all T steps, from dpre [T,B,GH] and seq. */
  hiddenWeightBackward(k: Kernels<F>, dWhh: F, dpre: F, seq: A, T: number, B: number, H: number): void;

  /** What row `row` of `a` shows inspect, as views into `a` (read after the step). */
  signals(a: A, row: number, H: number): Signal<F>[];
}

/** A cell with its buffer types forgotten, as the model holds it (it never looks inside). */
export type AnyCell<F extends FloatArray> = Cell<F, CellBuffers<F>, CellState<F>, unknown>;

/** buf[start, end) typed as its own array type (subarray loses the generic). */
export function view<F extends FloatArray>(buf: F, start: number, end?: number): F {
  return buf.subarray(start, end) as F;
}

/** Step t's block [B,width] of a time-major buffer [T,B,width]. */
export function block<F extends FloatArray>(buf: F, t: number, B: number, width: number): F {
  return view(buf, t * B * width, (t + 1) * B * width);
}
