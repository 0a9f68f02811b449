/**
 * Reading a model from the bytes of a model file (docs/design.md §4), with no file system: the part
 * of the model-file code that the browser entry (src/browser.ts, the page's worker) needs. No Node
 * module is imported here, directly or through its imports; checkpoint.ts has the rest (files, the
 * bundled model, saving).
 *
 * Contract
 * - modelFromBytes raises ModelFileError with a one-line message that starts with the source's
 *   name, for a truncated, corrupt or foreign file, a wrong shape, an unknown/missing tensor, a
 *   non-finite weight (naming the tensor), or finite weights so large that a step overflows (a
 *   probe step from <bos> and one more must give finite logits, or every poem would be junk).
 *   Sizes are checked before anything is allocated: metadata that describes more parameters than
 *   the file holds is refused as such, not as the engine running out of memory.
 * - modelMetadata is the `__metadata__.shiren` object a model is saved with; modelFromMetadata
 *   the all-zero model such an object describes (model files and training checkpoints).
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';
import { BOS, Vocab } from '../data/vocab.ts';
import { CONTROL_SYMBOLS, conditionOf } from '../data/sequence.ts';
import { CELL_TYPES, gateCount, validateConfig, type CellType, type ModelConfig } from './config.ts';
import { Model } from './model.ts';
import { paramTable } from './params.ts';
import { printable } from '../util/text.ts';
import { decodeSafetensors, SafetensorsError, TruncatedError, type DecodedSafetensors } from './safetensors.ts';

export const MODEL_FORMAT = 1;

/** A user-facing problem with a model file; the message is one line and names the file. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** The `__metadata__.shiren` object of a model. */
export function modelMetadata(model: Model<FloatArray>, trainSummary?: Record<string, unknown>): Record<string, unknown> {
  const { cell, gruVariant, layers, embed, hidden, dropout, tied, titleBag } = model.config;
  return {
    format: MODEL_FORMAT, cell, gru_variant: gruVariant, layers, embed, hidden, dropout, tied,
    // written only when set, so that files without a title bag stay byte for byte as before
    ...(titleBag ? { titleBag } : {}),
    condition: conditionOf(model.vocab),
    vocab: model.vocab.symbols,
    ...(trainSummary ? { train: trainSummary } : {}),
  };
}

/** decodeSafetensors with its failures as one-line ModelFileErrors naming `file`. */
export function decodeNamed(bytes: Uint8Array, file: string): DecodedSafetensors {
  try {
    return decodeSafetensors(bytes);
  } catch (error) {
    if (error instanceof TruncatedError) throw new ModelFileError(`${file}: truncated file (${error.message})`);
    if (error instanceof SafetensorsError) throw new ModelFileError(`${file}: ${error.message}`);
    throw error;
  }
}

/**
 * A model from the bytes of a model file, where there is no file system (the web page fetches
 * them); `file` names the source in error messages.
 */
export function modelFromBytes<F extends FloatArray>(bytes: Uint8Array, kernels: Kernels<F>, file: string): Model<F> {
  return modelFromDecoded(decodeNamed(bytes, file), kernels, file);
}

/**
 * The all-zero model described by a file's `__metadata__.shiren` (config and vocabulary, checked),
 * ready for its parameters; `file` names the source in error messages. Model files and training
 * checkpoints both start here.
 */
export function modelFromMetadata<F extends FloatArray>(metadata: Record<string, string>, kernels: Kernels<F>, file: string, beforeAllocating?: (config: ModelConfig, fail: (why: string) => never) => void): Model<F> {
  const fail = (why: string): never => {
    throw new ModelFileError(`${file}: ${why}`);
  };
  if (metadata.shiren === undefined) fail('not a shiren model (no __metadata__.shiren)');
  let meta: Record<string, unknown> = {};
  try {
    meta = JSON.parse(metadata.shiren);
  } catch {
    fail('corrupt __metadata__.shiren (not valid JSON)');
  }
  if (typeof meta !== 'object' || meta === null) fail('corrupt __metadata__.shiren (not a JSON object)');
  if (meta.format !== MODEL_FORMAT) fail(`unsupported shiren model format ${JSON.stringify(meta.format)} (this version reads ${MODEL_FORMAT})`);
  if (meta.cell === undefined) fail('metadata names no cell type ("cell": "rnn", "lstm" or "gru")');
  if (!CELL_TYPES.includes(meta.cell as CellType)) fail(`unknown cell type ${printable(JSON.stringify(meta.cell) ?? String(meta.cell), 60)} (expected "rnn", "lstm" or "gru")`);
  if (meta.cell === 'gru' && meta.gru_variant !== 'seed') {
    fail(`GRU variant ${JSON.stringify(meta.gru_variant)} is not supported (shiren implements "seed", reset before W_hn)`);
  }
  if (!Array.isArray(meta.vocab) || !meta.vocab.every((s) => typeof s === 'string')) fail('metadata has no vocabulary (vocab must be a list of strings)');
  let vocab: Vocab | undefined;
  try {
    vocab = new Vocab(meta.vocab as string[]);
  } catch (error) {
    fail(`bad vocabulary: ${(error as Error).message}`);
  }
  const condition = meta.condition ?? conditionOf(vocab!); // files written before the field: their vocabulary says
  if (condition !== conditionOf(vocab!)) {
    fail(condition === 'title' ? `condition "title" needs the control symbols ${CONTROL_SYMBOLS.join(' ')} after the specials in the vocabulary` : `unknown condition ${JSON.stringify(condition)} (expected "none" or "title")`);
  }
  const tied = meta.tied ?? false; // files written before the field are untied
  if (typeof tied !== 'boolean') fail(`metadata "tied" must be true or false, got ${printable(JSON.stringify(tied) ?? String(tied), 60)}`);
  const titleBag = meta.titleBag ?? false; // files written before the field have no title bag
  if (typeof titleBag !== 'boolean') fail(`metadata "titleBag" must be true or false, got ${printable(JSON.stringify(titleBag) ?? String(titleBag), 60)}`);
  const config: ModelConfig = {
    cell: meta.cell as CellType,
    layers: meta.layers as number,
    embed: meta.embed as number,
    hidden: meta.hidden as number,
    dropout: (meta.dropout as number | undefined) ?? 0,
    vocabSize: vocab!.size,
    gruVariant: 'seed',
    tied: tied as boolean,
    titleBag: titleBag as boolean,
  };
  try {
    validateConfig(config);
  } catch (error) {
    fail((error as Error).message);
  }
  // before allocating: a header may claim a model far larger than the file (or the memory)
  beforeAllocating?.(config, fail);
  const needed = parameterCount(config);
  let model: Model<F>;
  try {
    model = Model.create(kernels, config, vocab!, null);
  } catch (error) {
    if (error instanceof RangeError) fail(`the model (${needed.toLocaleString('en')} parameters) does not fit in the engine's memory (${error.message})`);
    throw error;
  }
  if (meta.train && typeof meta.train === 'object') model.trainSummary = meta.train as Record<string, unknown>;
  return model;
}

/** Parameters of a configuration, by arithmetic (paramTable would build one entry per layer first). */
export function parameterCount(config: ModelConfig): number {
  const { vocabSize: V, embed: E, hidden: H, layers: L } = config;
  const GH = gateCount(config.cell) * H;
  return V * E + GH * (E + H + 2) + (L - 1) * GH * (2 * H + 2) + (config.tied ? E * H : V * H) + (config.titleBag ? E * E : 0) + V;
}

/** The logits of a step from <bos> and of one more (its most likely symbol) must be finite. */
function probeStep(model: Model<FloatArray>, fail: (why: string) => never): void {
  const state = model.initState(1);
  let token = BOS;
  for (let i = 0; i < 2; i++) {
    const logits = model.step(state, Int32Array.of(token));
    let best = 0;
    for (let v = 0; v < logits.length; v++) {
      if (!Number.isFinite(logits[v]!)) fail(`its weights overflow: a step ${i === 0 ? 'from <bos>' : 'after it'} gives a non-finite logit (${logits[v]}); the model is corrupt or diverged`);
      if (logits[v]! > logits[best]!) best = v;
    }
    token = best;
  }
}

export function modelFromDecoded<F extends FloatArray>({ tensors, metadata }: DecodedSafetensors, kernels: Kernels<F>, file: string): Model<F> {
  const fail = (why: string): never => {
    throw new ModelFileError(`${printable(file, 200)}: ${why}`);
  };
  // the tensors against the table the metadata implies, before the model is allocated; each layer
  // has its own tensors, so a claim of more layers than the file has ends at the first missing one
  const checkTensors = (config: ModelConfig) => {
    for (let k = 0; k < config.layers; k++) if (!tensors.has(`rnn.weight_ih_l${k}`)) fail(`missing tensor rnn.weight_ih_l${k}`);
    const table = paramTable(config);
    for (const name of tensors.keys()) {
      if (!table.some((e) => e.name === name)) fail(`unknown tensor ${name} for a ${config.layers}-layer ${config.tied ? 'tied ' : ''}${config.cell} model`);
    }
    for (const entry of table) {
      const tensor = tensors.get(entry.name) ?? fail(`missing tensor ${entry.name}`);
      if (tensor.shape.join(',') !== entry.shape.join(',')) {
        fail(`tensor ${entry.name} has shape [${tensor.shape.join(', ')}], expected [${entry.shape.join(', ')}]`);
      }
    }
  };
  const model = modelFromMetadata(metadata, kernels, file, checkTensors);
  for (const entry of model.table) {
    const tensor = tensors.get(entry.name)!;
    // NaN or ±Infinity anywhere would make every poem junk: refuse the file, naming the tensor
    const bad = tensor.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) fail(`tensor ${entry.name} holds a non-finite value (${tensor.data[bad]} at index ${bad}); the model is corrupt or diverged`);
    model.params.set(tensor.data, entry.offset);
  }
  probeStep(model, fail);
  return model;
}
