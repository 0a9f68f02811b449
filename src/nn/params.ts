/**
 * The model's parameters live in ONE flat buffer (so optimizers, clipping and file I/O are single
 * loops); this table says where each tensor is. Names and shapes are PyTorch's `state_dict` ones
 * (docs/design.md §3), so a file maps 1:1 onto `nn.Embedding` + `nn.LSTM/RNN` + `nn.Linear`.
 *
 *   embedding.weight     [V, E]
 *   rnn.weight_ih_l{k}   [G·H, in]   in = E for k = 0, else H
 *   rnn.weight_hh_l{k}   [G·H, H]
 *   rnn.bias_ih_l{k}     [G·H]
 *   rnn.bias_hh_l{k}     [G·H]
 *   fc.weight            [V, H]   untied only
 *   proj.weight          [E, H]   tied only (config.tied: the output reads embedding.weight's rows)
 *   title.weight         [E, E]   title bag only (config.titleBag: p = P h + A m, m the title's mean embedding)
 *   fc.bias              [V]
 *
 * A tied model is `nn.Embedding` + the cells + `nn.Linear(H, E, bias=False)` named `proj`, whose
 * output multiplies the embedding's weight (F.linear(proj(h), embedding.weight, fc.bias)).
 *
 * Legend: V vocabulary, E embedding, H hidden, G gates (rnn 1, gru 3, lstm 4), k layer index.
 */
import type { FloatArray } from '../engine/kernels.ts';
import { gateCount, type ModelConfig } from './config.ts';
import type { Rng } from './rng.ts';

export interface ParamEntry {
  /** PyTorch state_dict name, e.g. "rnn.weight_hh_l1". */
  name: string;
  shape: number[];
  /** First element inside the flat buffer. */
  offset: number;
  /** Number of elements (product of shape). */
  size: number;
}

/** The table for a configuration, in a fixed order (embedding, layers 0..L−1, fc.weight or proj.weight, title.weight, fc.bias). */
export function paramTable(config: ModelConfig): ParamEntry[] {
  const { vocabSize: V, embed: E, hidden: H, layers } = config;
  const GH = gateCount(config.cell) * H;
  const shapes: [string, number[]][] = [['embedding.weight', [V, E]]];
  for (let k = 0; k < layers; k++) {
    shapes.push(
      [`rnn.weight_ih_l${k}`, [GH, k === 0 ? E : H]],
      [`rnn.weight_hh_l${k}`, [GH, H]],
      [`rnn.bias_ih_l${k}`, [GH]],
      [`rnn.bias_hh_l${k}`, [GH]],
    );
  }
  shapes.push(config.tied ? ['proj.weight', [E, H]] : ['fc.weight', [V, H]]);
  if (config.titleBag) shapes.push(['title.weight', [E, E]]);
  shapes.push(['fc.bias', [V]]);
  let offset = 0;
  return shapes.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const entry = { name, shape, offset, size };
    offset += size;
    return entry;
  });
}

/** Total number of parameters described by a table. */
export function paramCount(table: readonly ParamEntry[]): number {
  const last = table[table.length - 1];
  return last.offset + last.size;
}

/** The view of one tensor inside a flat buffer (parameters or gradients). */
export function paramView<F extends FloatArray>(flat: F, table: readonly ParamEntry[], name: string): F {
  const entry = table.find((e) => e.name === name);
  if (!entry) throw new Error(`no parameter named ${name}`);
  return flat.subarray(entry.offset, entry.offset + entry.size) as F;
}

/**
 * PyTorch's default initialisation, drawn from `rng` in table order:
 * embedding N(0, 1) (nn.Embedding); recurrent weights and biases U(±1/√H) (nn.RNN/LSTM/GRU);
 * fc weight and bias, and proj weight, U(±1/√H) (nn.Linear: kaiming_uniform(a=√5) reduces to
 * ±1/√fan_in; fan_in is H for all three); title.weight zero (drawing nothing).
 * Tied (config.tied), the embedding is N(0, 1/E) instead: its rows are also the output weights,
 * and at N(0, 1) a logit e_v·(P h) starts √E ≈ 11 times the scale of an untied layer's W h
 * (σ ≈ 0.58·|h| either way at 1/√E), while Adam's steps of ~lr would move those rows by a
 * ninth of what they move fc.weight, relative to their size (the usual tied language models
 * start the embedding near ±0.1 for the same reason).
 */
export function initParams(params: FloatArray, table: readonly ParamEntry[], config: ModelConfig, rng: Rng): void {
  const bound = 1 / Math.sqrt(config.hidden);
  const embedScale = config.tied ? 1 / Math.sqrt(config.embed) : 1;
  for (const { name, offset, size } of table) {
    // the title bag starts closed: a model with it begins as the model without (config.titleBag)
    if (name === 'title.weight') {
      params.fill(0, offset, offset + size);
      continue;
    }
    const draw = name === 'embedding.weight' ? () => embedScale * rng.normal() : () => (2 * rng.next() - 1) * bound;
    for (let i = offset; i < offset + size; i++) params[i] = draw();
  }
}
