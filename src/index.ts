/**
 * shiren as a library (Node): the domain layer of docs/design.md §8, with typed options and
 * results; the CLI, the server and the page are thin front ends over the same functions.
 *
 *   import { loadModel, generate, score } from 'shiren';
 *   const model = await loadModel();                      // the bundled model (or a path, or bytes)
 *   const poems = await generate(model, { start: '山', form: 'qijue', seed: 1 });
 *   const [s] = await score(model, ['床前明月光，疑是地上霜。']);
 *
 * `generate` resolves to the poems as `shiren gen --json` lists them, `score` to the scores as
 * `shiren score --json` does; `checkDuilian(上联, 下联)` to the pair as `shiren check --duilian
 * --json` lists it. Errors are exceptions with one-line messages.
 */
import type { Model } from './nn/model.ts';
import { writePoems, type Poem, type WriteOptions } from './domain/write.ts';
import { scorePoems, type PoemScore, type ScoreInput } from './domain/score.ts';

export { loadModel, openModel, type LoadOptions, type OpenedModel } from './domain/model.ts';
export { describeModel, type ModelInfo } from './domain/requests.ts';
export { evaluate, type EvaluateOptions, type EvalReport } from './domain/evaluate.ts';
export { LIMITS, WriteError, type Poem, type WriteOptions } from './domain/write.ts';
export type { PoemScore, ScoreInput } from './domain/score.ts';
export { buildCorpus, readSplit, type CorpusStats } from './data/corpus.ts';
export { train, type TrainOptions, type TrainResult, type RunLimits, type TrainEvents } from './train/trainer.ts';
export { selectKernels, type EngineName } from './engine/index.ts';
export { UnknownCharacterError } from './data/vocab.ts';
export { PoetryError } from './poetry/forms.ts';
export { checkDuilian, duilianSlots, slotAllows, DUILIAN_FAULT_KINDS, type DuilianCheck, type DuilianFault, type DuilianFaultKind, type DuilianOptions, type DuilianSlot, type DuilianSlots } from './poetry/duilian.ts';
export { ModelFileError } from './nn/checkpoint.ts';
export type { Model } from './nn/model.ts';

/** Writes poems (see WriteOptions); resolves to the poems as `shiren gen --json` lists them. */
export async function generate(model: Model, options: WriteOptions = {}): Promise<Poem[]> {
  return writePoems(model, options);
}

/** Scores poems; resolves to the scores as `shiren score --json` lists them. */
export async function score(model: Model, texts: readonly ScoreInput[]): Promise<PoemScore[]> {
  return scorePoems(model, texts);
}
