/**
 * Training batches (docs/design.md §1–§3): each example (src/data/sequence.ts) becomes the
 * sequence `<bos> tokens <eos>` — `<bos> poem <eos>`, or `<bos> <form> title <sep> poem <eos>` for
 * a title-conditioned model; inputs are all but its last symbol, targets all but its first, and
 * the example's first `skip` targets are <pad>. Examples are grouped by length so a batch holds
 * examples of (nearly always) one length and padding is rare; padding targets are <pad> (id 0),
 * which the loss ignores.
 *
 * The order of an epoch depends only on (seed, epoch), so a resumed run only needs to know the
 * epoch and how many batches of it are done to continue with exactly the same data.
 *
 * Legend: B poems per batch, T time steps (= longest poem in the batch + 1).
 */
import { BOS, EOS, PAD, type Vocab } from '../data/vocab.ts';
import type { Example } from '../data/sequence.ts';
import { Rng, shuffle } from '../nn/rng.ts';

export interface Batch {
  /** [B,T] row-major: <bos> c1 … cn, then <pad> */
  inputs: Int32Array;
  /** [B,T] row-major: c1 … cn <eos>, then <pad> (ignored by the loss); the first `skip` of a row <pad> too */
  targets: Int32Array;
  B: number;
  T: number;
  /** number of non-pad targets */
  tokens: number;
}

/** Poems as id sequences (characters only, without <bos>/<eos>); unknown characters become <unk>. */
export function encodePoems(vocab: Vocab, poems: readonly string[]): Int32Array[] {
  return poems.map((p) => Int32Array.from(vocab.encode(p, true)));
}

/** Packs examples (or bare poems: id sequences, all scored) into one batch. */
export function makeBatch(examples: readonly (Int32Array | Example)[]): Batch {
  const rows = examples.map((e) => (e instanceof Int32Array ? { tokens: e, skip: 0 } : e));
  const B = rows.length;
  const T = Math.max(...rows.map((e) => e.tokens.length)) + 1;
  const inputs = new Int32Array(B * T).fill(PAD); // [B,T]
  const targets = new Int32Array(B * T).fill(PAD); // [B,T]
  let tokens = 0;
  rows.forEach(({ tokens: seq, skip }, b) => {
    const row = b * T;
    inputs[row] = BOS;
    inputs.set(seq, row + 1);
    targets.set(seq, row);
    targets[row + seq.length] = EOS;
    targets.fill(PAD, row, row + skip);
    tokens += seq.length + 1 - skip;
  });
  return { inputs, targets, B, T, tokens };
}

/**
 * The batches of one epoch as lists of poem indices: poems shuffled, grouped by length, cut into
 * batches of at most `batchSize`, and the batches shuffled. Deterministic in (seed, epoch).
 */
export function epochPlan(lengths: readonly number[], batchSize: number, seed: number, epoch: number): number[][] {
  // (seed, epoch) folded into one word; Rng's seeding (splitmix32, mix32) does the mixing
  const rng = new Rng((seed * 1_000_003 + epoch * 7919) >>> 0);
  const order = shuffle(lengths.map((_, i) => i), rng);
  order.sort((a, b) => lengths[a]! - lengths[b]!); // stable: random order within a length
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return shuffle(batches, rng);
}

/** Batches in a fixed order (for validation and test): grouped by length, not shuffled. */
export function evalBatches(poems: readonly (Int32Array | Example)[], batchSize: number): Batch[] {
  const len = (e: Int32Array | Example) => (e instanceof Int32Array ? e : e.tokens).length;
  const order = poems.map((_, i) => i).sort((a, b) => len(poems[a]!) - len(poems[b]!));
  const batches: Batch[] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(makeBatch(order.slice(i, i + batchSize).map((j) => poems[j]!)));
  return batches;
}

/** What summing a loss over batches needs of a model (Model.loss: forward only, no dropout). */
export interface BatchScorer {
  loss(inputs: Int32Array, targets: Int32Array, B: number, T: number): { loss: number; tokens: number };
}

/** Σ −log p over all kept targets of the batches, and their count (validation, test perplexity). */
export function sumLoss(model: BatchScorer, batches: readonly Batch[]): { loss: number; tokens: number } {
  let loss = 0;
  let tokens = 0;
  for (const b of batches) {
    const r = model.loss(b.inputs, b.targets, b.B, b.T);
    loss += r.loss;
    tokens += r.tokens;
  }
  return { loss, tokens };
}
