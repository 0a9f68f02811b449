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
 * --json` lists it; `writeDuilian(model, { upper: '海阔凭鱼跃', count: 3 })` (synchronous) to the
 * 下联 as `shiren duilian --json` lists them. Errors are exceptions with one-line messages.
 */
export { generate, score } from './library.ts';
export { loadModel, openModel, type LoadOptions, type OpenedModel } from './domain/model.ts';
export { describeModel, type ModelInfo } from './domain/requests.ts';
export { evaluate, type EvaluateOptions, type EvalReport } from './domain/evaluate.ts';
export { WriteError, type Poem, type WriteOptions, type WriteRun } from './domain/write.ts';
export { writeDuilian, MAX_DUILIAN_CHARS, type DuilianWriteOptions, type DuilianAnswer, type DuilianResult, type DuilianReading } from './domain/duilian.ts';
export { LIMITS, API_LIMITS, type Limits } from './domain/limits.ts';
export type { PoemScore, ScoreInput } from './domain/score.ts';
export { buildCorpus, readSplit, type CorpusStats, type CiStats } from './data/corpus.ts';
export { addSongCi } from './poetry/songci.ts';
export { train, type TrainOptions, type TrainResult, type RunLimits, type TrainEvents } from './train/trainer.ts';
export { selectKernels, type EngineName } from './engine/index.ts';
export { UnknownCharacterError } from './data/vocab.ts';
export { PoetryError } from './poetry/forms.ts';
export { checkPoem, type CheckOptions, type CheckResult } from './poetry/check.ts';
export { checkText, checkCi, type TextCheckOptions, type CiCheckOptions, type CiCheckResult } from './poetry/ci-check.ts';
export { allTunes, findTune, CipaiError, type CiTune, type CiFormat, type CiSlot } from './poetry/cipu.ts';
export { checkDuilian, duilianSlots, slotAllows, DUILIAN_FAULT_KINDS, type DuilianCheck, type DuilianFault, type DuilianFaultKind, type DuilianOptions, type DuilianSlot, type DuilianSlots } from './poetry/duilian.ts';
export { ModelFileError } from './nn/model-bytes.ts';
export type { Model } from './nn/model.ts';
