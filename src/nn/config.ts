/**
 * Model configuration (docs/design.md §3): Embedding(V,E) → L stacked cells with hidden size H →
 * Linear(H,V), or with `tied` a projection Linear(H,E) and the embedding's own rows as the output
 * weights. Stored in the model file's `__metadata__.shiren` (see checkpoint.ts).
 */

export type CellType = 'rnn' | 'lstm' | 'gru';

/** The weights of generation steps (Model.setDecodePrecision; src/nn/matmul.ts), the default first. */
export const DECODE_PRECISIONS = ['int8', 'f32'] as const;
export type DecodePrecision = (typeof DECODE_PRECISIONS)[number];
/** What `shiren gen`, `serve`, the library and the page write with unless told otherwise. */
export const DEFAULT_DECODE_PRECISION: DecodePrecision = DECODE_PRECISIONS[0];

export const CELL_TYPES: readonly CellType[] = ['rnn', 'lstm', 'gru'];

export interface ModelConfig {
  /** Recurrent cell: vanilla tanh RNN, LSTM (gates i,f,g,o) or GRU in the seed's form. */
  cell: CellType;
  /** Number of stacked recurrent layers (≥ 1). */
  layers: number;
  /** Embedding size E: the width of each character vector fed to the first layer. */
  embed: number;
  /** Hidden size H of every recurrent layer. */
  hidden: number;
  /**
   * Dropout probability during training, applied to the output of EVERY recurrent layer: between
   * layers (as PyTorch's `nn.LSTM(dropout=p)`) and also after the last one, before the output
   * Linear (as an extra `nn.Dropout(p)` would be), so that a 1-layer model is regularised too.
   * Not applied to the embedding output. 0 disables it; generation and scoring never drop.
   */
  dropout: number;
  /** Vocabulary size V, including the four special symbols. */
  vocabSize: number;
  /**
   * GRU formulation. Only 'seed' (Cho et al. 2014: the reset gate multiplies h before W_hn) is
   * implemented; the field is recorded so a PyTorch-variant file is refused rather than misread.
   */
  gruVariant: 'seed';
  /**
   * The output layer tied to the input embedding through a projection: p_t = P h_t
   * (`proj.weight` [E,H], no bias), logits_t = Emb p_t + b (Emb the same `embedding.weight` [V,E]
   * the input reads, b `fc.bias` [V]), instead of logits_t = W h_t + b (`fc.weight` [V,H]). A step's
   * output multiplies H·E + E·V instead of H·V (at E = H/2 about half), with (V − E)·H fewer
   * parameters. false (untied) for files written before the field.
   */
  tied: boolean;
  /**
   * A title bag (tied models only): the mean m_t of the embeddings of the title's characters read
   * so far (the tokens before the first `<sep>` that are not control symbols) joins the tied
   * output through `title.weight` A [E,E]: p_t = P h_t + A m_t. The recurrent state carries a
   * title only as far as training taught it to; the bag hands it to every position (issue 21:
   * tools/title-prior.ts measured how much of it the state leaves unused). A starts at zero, so a
   * model fine-tuned with it begins as the model it came from. false for files written before.
   */
  titleBag: boolean;
}

/**
 * Defaults: a 2-layer LSTM, E=128, H=256 (docs/design.md §6 reference config and the PyTorch
 * baselines of §7) — the one place for them: `shiren train`'s flags and the training options
 * (src/train/options.ts) take theirs from here. Dropout 0.1: the regulated Tang corpus is only
 * ~1.4 M characters for ~3 M parameters, so an unregularised model starts to overfit after a few
 * epochs, while 0.2 slowed the first 45 minutes of the bundled model's training more than it helped.
 */
export const DEFAULT_CONFIG: Omit<ModelConfig, 'vocabSize'> = {
  cell: 'lstm',
  layers: 2,
  embed: 128,
  hidden: 256,
  dropout: 0.1,
  gruVariant: 'seed',
  tied: false,
  titleBag: false,
};

/** Gate blocks per cell: rows of weight_ih / weight_hh are G·H. */
export function gateCount(cell: CellType): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** Throws a one-line Error for a configuration no model can be built from. */
export function validateConfig(config: ModelConfig): void {
  if (!CELL_TYPES.includes(config.cell)) throw new Error(`unknown cell type "${config.cell}" (expected rnn, lstm or gru)`);
  for (const key of ['layers', 'embed', 'hidden', 'vocabSize'] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1) throw new Error(`model ${key} must be a positive integer, got ${value}`);
  }
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new Error(`dropout must be in [0, 1), got ${config.dropout}`);
  if (config.gruVariant !== 'seed') throw new Error(`unsupported GRU variant "${config.gruVariant}" (only "seed")`);
  if (typeof config.tied !== 'boolean') throw new Error(`model tied must be true or false, got ${JSON.stringify(config.tied)}`);
  if (typeof config.titleBag !== 'boolean') throw new Error(`model titleBag must be true or false, got ${JSON.stringify(config.titleBag)}`);
  if (config.titleBag && !config.tied) throw new Error('a title bag needs a tied output layer (--tied)');
}

/** Multiply-adds of the recurrent layers of one row of a step: Σ_k G·H·(in_k + H), in_0 = E, else H. */
export function recurrentMacs(config: Pick<ModelConfig, 'cell' | 'layers' | 'embed' | 'hidden'>): number {
  const { embed: E, hidden: H } = config;
  let macs = 0;
  for (let k = 0; k < config.layers; k++) macs += gateCount(config.cell) * H * ((k === 0 ? E : H) + H);
  return macs;
}

/**
 * Multiply-adds of the output layer of one row of a step that computes `cols` of its V logits:
 * H·cols, or tied H·E (+ E·E with a title bag) + E·cols (the projection is skipped with the logits
 * when cols is 0).
 */
export function outputMacs(config: Pick<ModelConfig, 'embed' | 'hidden' | 'tied' | 'titleBag'>, cols: number): number {
  const { embed: E, hidden: H } = config;
  if (cols === 0) return 0;
  return config.tied ? H * E + (config.titleBag ? E * E : 0) + E * cols : H * cols;
}
