/**
 * The options of a training run: one typed config with its defaults (which `shiren train`'s flags
 * show and take) and one validator, used for a new run and again when `--resume` reads the run's
 * `options.json` back (a hand-edited or foreign file is refused with a one-line error, never
 * half-used).
 */
import { ALL_FORMS, FORMS, type CorpusForm } from '../data/clean.ts';
import { CONDITIONS, type Condition } from '../data/sequence.ts';
import { CELL_TYPES, DEFAULT_CONFIG, type CellType } from '../nn/config.ts';
import { OPTIMIZER_KINDS, type OptimizerKind } from '../nn/optim.ts';

/** Options of a training run (the CLI flags of `shiren train`). */
export interface TrainOptions {
  /** corpus folder built by `shiren corpus` */
  corpus: string;
  cell: CellType;
  layers: number;
  embed: number;
  hidden: number;
  /** the output layer tied to the embedding through a projection (ModelConfig.tied); older runs lack it and mean false */
  tied: boolean;
  /** a title bag in the output (ModelConfig.titleBag; needs tied and condition title); older runs lack it and mean false */
  titleBag: boolean;
  /** poems per batch */
  batch: number;
  /** passes over the training split */
  epochs: number;
  lr: number;
  /** the learning rate of epoch e is lr · lrDecay^e (1: constant; older runs lack it and mean 1) */
  lrDecay: number;
  optimizer: OptimizerKind;
  /** global gradient-norm clip; 0 disables */
  clip: number;
  dropout: number;
  weightDecay: number;
  /** forms to train on */
  forms: CorpusForm[];
  /** characters seen fewer times in train become <unk> */
  minCount: number;
  seed: number;
  /** minutes between checkpoints (plus one at each epoch end) */
  checkpointEvery: number;
  /**
   * CPU minutes of training between validations, besides the one at each epoch end (0: only
   * there): a learning curve against CPU time needs points inside an epoch
   */
  validEvery: number;
  /**
   * validate on a fixed subset of this many validation poems, spread evenly over the split (0: all):
   * frequent validation stays cheap, and every validation of the run scores the same poems
   */
  validPoems: number;
  /** 'title': sequences `<bos> <form> title <sep> poem <eos>` (src/data/sequence.ts); older runs lack it and mean 'none' */
  condition: Condition;
  /** title-conditioned runs: the share of poems shown with an empty title in each epoch */
  untitledShare: number;
  /** poems longer than this many characters (marks included) are left out of training; 0: none */
  maxChars: number;
  /**
   * a model file to start from (fine-tuning), '' for a fresh model: its cell, sizes, tying and
   * vocabulary are kept (the run's own are set to them; a tied run cannot start from an untied
   * model), corpus characters it lacks become <unk>
   */
  init: string;
  /**
   * with `init`: 'model' keeps the initial model's vocabulary; 'corpus' takes the corpus's own, the
   * embedding and output rows of every symbol both know copied from the model and the rest drawn
   * as a fresh model's (a model carried to a corpus with new forms or characters)
   */
  initVocab: InitVocab;
}

export const INIT_VOCABS = ['model', 'corpus'] as const;
export type InitVocab = (typeof INIT_VOCABS)[number];

export const TRAIN_DEFAULTS: TrainOptions = {
  corpus: 'data/corpus',
  cell: DEFAULT_CONFIG.cell,
  layers: DEFAULT_CONFIG.layers,
  embed: DEFAULT_CONFIG.embed,
  hidden: DEFAULT_CONFIG.hidden,
  tied: DEFAULT_CONFIG.tied,
  titleBag: DEFAULT_CONFIG.titleBag,
  dropout: DEFAULT_CONFIG.dropout,
  // 64 poems × ~50 tokens: big enough for the matrix products to run near peak, small enough
  // for ~500 updates per epoch of the regulated corpus
  batch: 64,
  epochs: 10,
  // Adam 2e-3 with clip 1: the PyTorch baselines' setting (docs/design.md §7), stable for H ≤ 512
  lr: 2e-3,
  lrDecay: 1,
  optimizer: 'adam',
  clip: 1,
  weightDecay: 0,
  forms: [...FORMS],
  minCount: 1,
  seed: 1,
  checkpointEvery: 5,
  validEvery: 0,
  validPoems: 0,
  condition: 'none',
  // a quarter untitled: enough for untitled writing to stay as good as an unconditional model's
  untitledShare: 0.25,
  // free poems run to thousands of characters; the longest tenth of them would take most of an
  // epoch's time, while generation cuts free poems at 200 characters anyway
  maxChars: 200,
  init: '',
  initVocab: 'model',
};

export class TrainOptionsError extends Error {
  override name = 'TrainOptionsError';
}

/**
 * Checks a full set of options (fields of older runs that lack them take the defaults they had
 * then); `source` names where they came from in the one-line error.
 */
export function validateTrainOptions(raw: unknown, source: string): TrainOptions {
  const fail = (why: string): never => {
    throw new TrainOptionsError(`${source}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('not an object of training options');
  const o = { lrDecay: 1, tied: false, titleBag: false, condition: 'none', untitledShare: TRAIN_DEFAULTS.untitledShare, maxChars: 0, init: '', initVocab: 'model', validEvery: 0, validPoems: 0, ...(raw as Record<string, unknown>) } as Record<string, unknown>;
  const known = new Set(Object.keys(TRAIN_DEFAULTS));
  for (const key of Object.keys(o)) if (!known.has(key)) fail(`unknown option '${key}'`);
  const int = (key: string, min: number) => (Number.isInteger(o[key]) && (o[key] as number) >= min) || fail(`${key} must be an integer ≥ ${min}, got ${JSON.stringify(o[key])}`);
  const num = (key: string, min: number, max = Infinity) =>
    (typeof o[key] === 'number' && Number.isFinite(o[key]) && (o[key] as number) >= min && (o[key] as number) <= max) || fail(`${key} must be a number in [${min}, ${max}], got ${JSON.stringify(o[key])}`);
  const choice = (key: string, choices: readonly string[]) => choices.includes(o[key] as string) || fail(`${key} must be one of ${choices.join(', ')}, got ${JSON.stringify(o[key])}`);
  if (typeof o.corpus !== 'string' || !o.corpus) fail('corpus must be a folder name');
  if (typeof o.init !== 'string') fail('init must be a model file name or empty');
  if (typeof o.tied !== 'boolean') fail(`tied must be true or false, got ${JSON.stringify(o.tied)}`);
  if (typeof o.titleBag !== 'boolean') fail(`titleBag must be true or false, got ${JSON.stringify(o.titleBag)}`);
  choice('cell', CELL_TYPES);
  choice('optimizer', OPTIMIZER_KINDS);
  choice('condition', CONDITIONS);
  choice('initVocab', INIT_VOCABS);
  for (const key of ['layers', 'embed', 'hidden', 'batch', 'epochs', 'minCount']) int(key, 1);
  int('seed', 0);
  int('maxChars', 0);
  int('validPoems', 0);
  num('lr', 0);
  num('lrDecay', 0, 1);
  num('clip', 0);
  num('dropout', 0, 0.95);
  num('weightDecay', 0);
  num('checkpointEvery', 0);
  num('validEvery', 0);
  num('untitledShare', 0, 1);
  if (!Array.isArray(o.forms) || o.forms.length === 0 || !o.forms.every((f) => ALL_FORMS.includes(f as CorpusForm))) fail(`forms must be a list of ${ALL_FORMS.join(', ')}`);
  return o as unknown as TrainOptions;
}
