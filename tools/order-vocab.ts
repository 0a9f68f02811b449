/**
 * Reorders a model's vocabulary so that the characters a regulated poem allows at a position are a
 * few blocks of ids (src/poetry/vocab-order.ts: control symbols and marks first, then 平 only by
 * rhyme group, either tone, 仄 only by group), and a decoding step computes the logits of those
 * blocks only (docs/design.md §9). Every symbol keeps its rows of `embedding.weight`, `fc.weight`
 * (a tied model has none: its output rows are the embedding's) and `fc.bias` (train's
 * carryParams, symbol by symbol), so the model computes the same numbers:
 * greedy and beam poems and scores are the same; a sampled poem of a seed is drawn from the same
 * distribution but may differ, since the sampler walks the allowed ids in id order.
 *
 *   npx tsx tools/order-vocab.ts FROM.safetensors TO.safetensors [--book pingshui|xinyun] [--dtype F16|F32]
 *
 * --dtype: the tensors' type in TO (default F16 when FROM holds F16, else F32: the values are kept
 * exactly either way). tools/bundle-model.ts --order-vocab does the same while bundling.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Vocab } from '../src/data/vocab.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { readModelFile, readSafetensorsFile, saveModel } from '../src/nn/checkpoint.ts';
import { Model } from '../src/nn/model.ts';
import { Rng, shuffle } from '../src/nn/rng.ts';
import { RHYME_BOOKS, type RhymeBookName } from '../src/poetry/rhymebook.ts';
import { prosodyOrder } from '../src/poetry/vocab-order.ts';
import { carryParams } from '../src/train/trainer.ts';

/** The same model with its vocabulary in prosodyOrder (its kernels, its decode precision). */
export function orderVocab(model: Model<Float32Array>, book: RhymeBookName = 'pingshui'): Model<Float32Array> {
  const ordered = withSymbolOrder(model, prosodyOrder(model.vocab, book).map((id) => model.vocab.symbols[id]!));
  ordered.trainSummary = { ...model.trainSummary, vocabOrder: `prosody (${book})` };
  return ordered;
}

/**
 * The same model with its symbols in the order given (a permutation of its own): tests make a
 * scattered order with it (as a frequency order was) now that the bundled model ships ordered.
 */
export function withSymbolOrder(model: Model<Float32Array>, symbols: readonly string[]): Model<Float32Array> {
  const ordered = Model.create(model.kernels, model.config, new Vocab([...symbols]), null);
  carryParams(model, ordered);
  ordered.trainSummary = { ...model.trainSummary };
  ordered.setDecodePrecision(model.decodePrecision);
  return ordered;
}

/** The model with its Han characters shuffled by a seeded Rng (the symbols before them in place). */
export function scatterVocab(model: Model<Float32Array>, seed = 7): Model<Float32Array> {
  const symbols = [...model.vocab.symbols];
  const first = symbols.findIndex((s) => /\p{Script=Han}/u.test(s));
  return withSymbolOrder(model, [...symbols.slice(0, first), ...shuffle(symbols.slice(first), new Rng(seed))]);
}

/** The dtype of a model file's tensors (F16 for the bundled models). */
export function fileDtype(file: string): 'F16' | 'F32' {
  return [...readSafetensorsFile(file).tensors.values()].some((t) => t.dtype === 'F16') ? 'F16' : 'F32';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { book: { type: 'string', default: 'pingshui' }, dtype: { type: 'string' } } });
  const [from, to] = positionals;
  const book = values.book as RhymeBookName;
  if (!from || !to || positionals.length > 2 || !RHYME_BOOKS.includes(book) || (values.dtype && !['F16', 'F32'].includes(values.dtype))) {
    console.error('usage: tsx tools/order-vocab.ts FROM.safetensors TO.safetensors [--book pingshui|xinyun] [--dtype F16|F32]');
    process.exit(2);
  }
  try {
    const model = orderVocab(readModelFile(from, createReferenceKernels('f32')), book);
    const dtype = (values.dtype as 'F16' | 'F32' | undefined) ?? fileDtype(from);
    mkdirSync(dirname(to), { recursive: true });
    saveModel(to, model, model.trainSummary, { dtype });
    console.log(`${to}: ${model.config.cell} ${model.config.layers}×${model.config.hidden}, V=${model.vocab.size}, vocabulary in prosody order (${book}), ${dtype}`);
  } catch (err) {
    console.error(`order-vocab: ${(err as Error).message}`);
    process.exit(1);
  }
}
