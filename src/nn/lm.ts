/**
 * The language-model interface that generation, scoring and the server use: incremental decoding
 * one token per step with a carried recurrent state (never re-running the prefix).
 *
 * Shapes: S = number of parallel sequences (beams or samples), V = vocabulary size.
 */
import type { Vocab } from '../data/vocab.ts';

/** Opaque per-sequence recurrent state (h, and c for lstm, of every layer) for S sequences. */
export interface RecurrentState {
  readonly size: number; // S
}

/**
 * Plain sampling over a list of candidate ids, done by the model's kernels (Kernels.sampleList), and
 * a row's log-softmax at one id (Kernels.softmaxCrossEntropy):
 * write the candidates into `ids`, then `sample(row, n, invT, u)` returns the index in ids[0:n]
 * drawn with weights exp((row[id] − max) · invT) by the uniform u in [0, 1). `row` must be a row
 * of logits this model returned (its kernels address it), or `scratch`.
 */
export interface ListSampler {
  readonly ids: Int32Array; // [V]
  /** [V] a row in the kernels' memory for scores the caller combines (generate.ts: guided sampling) */
  readonly scratch: Float32Array;
  sample(row: Float32Array, n: number, invT: number, u: number): number;
  /** log softmax(row)[id] over the whole row [V] (a kept character's look-ahead: generate.ts `measure`). */
  logProb(row: Float32Array, id: number): number;
  /** log Σ exp(row[ids[i]]) over ids[0:n] (Kernels.logSumExpList): row[id] less it is a log-probability among the allowed ids. */
  logSumExpAmong(row: Float32Array, n: number): number;
  /**
   * Kernels.guidedSample over ids[0:n] of rows t and u: the index drawn from t + γ·(t − u), and
   * log Σ exp of t and of u over the same ids.
   */
  guided(t: Float32Array, u: Float32Array, n: number, gamma: number, invT: number, r: number): { index: number; lseT: number; lseU: number };
}

/**
 * What a caller will read of one row of a step's logits (LanguageModel.step): null, all of it; else
 * the columns of the ranges [r[0], r[1]), [r[2], r[3]), … (ascending, disjoint, non-empty), and
 * none of the row when the list is empty (its next token is forced).
 */
export type RowRead = readonly number[] | null;

export interface LanguageModel {
  readonly vocab: Vocab;
  /** A fresh all-zero state for S parallel sequences. */
  initState(S: number): RecurrentState;
  /**
   * Feeds one token per sequence (tokens [S]), advances `state` in place, and returns the logits
   * [S,V] of the next token (a view valid until the next call on this model; copy to keep it).
   * `reads` [S] (RowRead): what the caller will read of each row; the model may skip the rest, whose
   * entries are then unspecified (the ones read are exactly those of a full step). The state
   * always advances.
   */
  step(state: RecurrentState, tokens: Int32Array, reads?: readonly RowRead[]): Float32Array;
  /**
   * A new state whose sequence i is a copy of sequence rows[i] of `state` (beam search, fan-out,
   * batching), or a fresh zero state where rows[i] is −1 (a sequence joining a batch). The caller
   * gives `state` up: where rows is 0, 1, … size − 1 the result may be `state` itself.
   */
  selectState(state: RecurrentState, rows: Int32Array): RecurrentState;
  /** Sampling in the model's kernels (optional: generation samples in JavaScript without it). */
  readonly sampler?: ListSampler;
}
