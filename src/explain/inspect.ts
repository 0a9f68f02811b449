/**
 * inspect (docs/design.md §5): how a model reads a poem, character by character — the probability and
 * rank it gave each character (and the closing <eos>), its five likeliest alternatives, and what
 * every layer's cell computed at that step: lstm forget / input / output gates and the cell
 * state's norm, gru update / reset gates, rnn hidden state (cells/*.ts `signals`), summarised per
 * character and kept per unit for the heat map (render.ts).
 *
 * Contract
 * - The numbers come from Model.trace, i.e. the training forward pass: the gates are those the
 *   model trains with, and the log-probabilities are the loss kernel's, so they add up to
 *   Model.logprob (= `shiren score`'s logprob) of the same text.
 * - Entry t is the prediction of symbol t of `text <eos>` after reading `<bos> prefix text[<t]`;
 *   `prefix` (token ids, e.g. a title-conditioned model's `form title <sep>`) is read but not
 *   reported, as score leaves a title out of the figures.
 * - Unknown characters throw UnknownCharacterError (data/vocab.ts) naming them.
 *
 * Legend: T = characters + 1 (<eos>), L layers, H hidden, V vocabulary.
 */
import { BOS, EOS } from '../data/vocab.ts';
import { poemTooLong } from '../data/sequence.ts';
import type { FloatArray } from '../engine/kernels.ts';
import type { Model } from '../nn/model.ts';
import type { Signal } from '../nn/cells/cell.ts';

export interface InspectOptions {
  /** Token ids read after <bos> and before the poem, not reported (title conditioning). */
  prefix?: readonly number[];
}

/** One of the quantities a cell shows (the same for every layer and character). */
export interface SignalInfo {
  /** lstm: forget, input, output, cell; gru: update, reset; rnn: hidden. */
  name: string;
  /** How `summary` condenses the units: mean (gates), L2 norm (lstm cell), mean |·| (rnn h). */
  summary: Signal<FloatArray>['summary'];
}

/** One layer at one character. */
export interface LayerInspection {
  /** signal name → its summary over the H units. */
  summary: Record<string, number>;
  /** signal name → its H per-unit values. */
  units: Record<string, number[]>;
}

export interface CharInspection {
  /** The predicted symbol: a character of the poem, or "<eos>". */
  ch: string;
  /** Natural-log probability the model gave it. */
  logprob: number;
  /** 1 + the number of symbols the model found strictly likelier. */
  rank: number;
  /** The five likeliest symbols and their probabilities, likeliest first. */
  top: { ch: string; p: number }[];
  /** L entries, layer 0 (nearest the embedding) first. */
  layers: LayerInspection[];
}

export interface PoemInspection {
  text: string;
  cell: string;
  hidden: number;
  /** The quantities each layer entry holds, in display order. */
  signals: SignalInfo[];
  /** Σ chars[].logprob: equals Model.logprob(text). */
  logprob: number;
  chars: CharInspection[];
}

const TOP = 5;

export function inspectPoem(model: Model<FloatArray>, text: string, options: InspectOptions = {}): PoemInspection {
  if ([...text].length === 0) throw new Error('nothing to inspect: the poem is empty');
  const long = poemTooLong(text);
  if (long) throw new Error(`cannot inspect ${long}`);
  const { vocab } = model;
  const ids = vocab.encode(text);
  const prefix = options.prefix ?? [];
  const inputs = Int32Array.from([BOS, ...prefix, ...ids]);
  const targets = Int32Array.from([...prefix, ...ids, EOS]);
  const trace = model.trace(inputs, targets);
  const V = model.config.vocabSize;
  const chars: CharInspection[] = [];
  let total = 0;
  for (let t = prefix.length; t < inputs.length; t++) {
    const logits = trace.logits.subarray(t * V, (t + 1) * V);
    const target = targets[t];
    const logprob = trace.logprobs[t];
    total += logprob;
    chars.push({
      ch: vocab.symbols[target],
      logprob,
      rank: 1 + logits.reduce((n, x) => n + (x > logits[target] ? 1 : 0), 0),
      top: topSymbols(logits, TOP).map(({ id, p }) => ({ ch: vocab.symbols[id], p })),
      layers: trace.signals[t].map((signals) => ({
        summary: Object.fromEntries(signals.map((s) => [s.name, summarise(s.units, s.summary)])),
        units: Object.fromEntries(signals.map((s) => [s.name, Array.from(s.units)])),
      })),
    });
  }
  const signals = trace.signals[0][0].map(({ name, summary }) => ({ name, summary }));
  return { text, cell: model.config.cell, hidden: model.config.hidden, signals, logprob: total, chars };
}

/** The k likeliest ids of a logits row with their softmax probabilities (ties: lower id first). */
function topSymbols(logits: Float64Array, k: number): { id: number; p: number }[] {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const best: number[] = [];
  for (let id = 0; id < logits.length; id++) {
    if (best.length === k && logits[id] <= logits[best[k - 1]]) continue;
    let i = Math.min(best.length, k - 1);
    best[i] = id;
    for (; i > 0 && logits[best[i - 1]] < logits[id]; i--) [best[i - 1], best[i]] = [best[i], best[i - 1]];
  }
  return best.map((id) => ({ id, p: Math.exp(logits[id] - max) / sum }));
}

function summarise(units: Float64Array, how: SignalInfo['summary']): number {
  let acc = 0;
  for (const u of units) acc += how === 'mean' ? u : how === 'norm' ? u * u : Math.abs(u);
  return how === 'norm' ? Math.sqrt(acc) : acc / units.length;
}
