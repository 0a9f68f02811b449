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
 * of logits this model returned (its kernels address it).
 */
export interface ListSampler {
  readonly ids: Int32Array; // [V]
  sample(row: Float32Array, n: number, invT: number, u: number): number;
  /** log softmax(row)[id] over the whole row [V] (scoring a candidate: generate.ts SequenceScorer). */
  logProb(row: Float32Array, id: number): number;
}

export interface LanguageModel {
  readonly vocab: Vocab;
  /** A fresh all-zero state for S parallel sequences. */
  initState(S: number): RecurrentState;
  /**
   * Feeds one token per sequence (tokens [S]), advances `state` in place, and returns the logits
   * [S,V] of the next token (a view valid until the next call on this model; copy to keep it).
   * `readRows` [S]: where readRows[i] is 0, row i's logits will not be read (its next token is
   * forced) and the model may skip them: that row of the result is then unspecified. The state
   * always advances.
   */
  step(state: RecurrentState, tokens: Int32Array, readRows?: Uint8Array): Float32Array;
  /**
   * A new state whose sequence i is a copy of sequence rows[i] of `state` (beam search, fan-out,
   * batching), or a fresh zero state where rows[i] is −1 (a sequence joining a batch).
   */
  selectState(state: RecurrentState, rows: Int32Array): RecurrentState;
  /** Sampling in the model's kernels (optional: generation samples in JavaScript without it). */
  readonly sampler?: ListSampler;
}
