/**
 * The training loop (docs/design.md §3 conditioning, §4 training state, §5 `shiren train`):
 * corpus → batches → forward/backward → clip → optimizer step, with validation each epoch,
 * checkpoints, a metrics log and a loss plot in the run folder, and exact resume.
 *
 * Reading order: `train` locks the folder; `openRun` starts fresh or from the checkpoint;
 * `epochData` encodes the examples once; a `Run` writes what the loop produces (validation,
 * checkpoints, metrics); `trainLocked` is the loop itself.
 *
 * Run folder layout
 *   options.json          the options the run was started with (resume reuses them)
 *   checkpoint.safetensors  parameters + optimizer moments + loop state (epoch, batch, step, RNG),
 *                         written atomically every `checkpointEvery` minutes, at each epoch end and
 *                         on a clean stop; `--resume` continues from it with the same result as an
 *                         uninterrupted run
 *   last.safetensors      the model at the last checkpoint (what `shiren gen --model` reads)
 *   best.safetensors      the model with the best validation perplexity so far
 *   metrics.jsonl         one JSON object per line: {"kind":"train"|"valid", "step", "epoch", …,
 *                         "time": wall seconds, "cpu": the trainer process's CPU seconds (user +
 *                         system, all its threads), "validCpu": the part of "cpu" spent validating;
 *                         all three counted since the run began, across resumes}
 *   loss.svg              train and validation loss against steps
 *
 * Everything that decides the result — initialisation, data order, dropout masks — comes from the
 * seed (data order from (seed, epoch); dropout from an RNG whose state is checkpointed), so a run
 * is deterministic for a given engine and thread count.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCorpusSplit, type CorpusRead, type DropReason } from '../data/corpus.ts';
import type { CorpusForm } from '../data/clean.ts';
import { CONTROL_SYMBOLS, conditionOf, encodeExample, type Example } from '../data/sequence.ts';
import { Vocab } from '../data/vocab.ts';
import type { Kernels } from '../engine/kernels.ts';
import { readModelFile, saveModel } from '../nn/checkpoint.ts';
import { DEFAULT_CONFIG, type ModelConfig } from '../nn/config.ts';
import { Model } from '../nn/model.ts';
import { paramTable } from '../nn/params.ts';
import { clipGradNorm, createOptimizer, type Optimizer } from '../nn/optim.ts';
import { mix32, Rng, UNTITLED_MIX } from '../nn/rng.ts';
import { ensureOutputDir, FileError, fileKind, lockFolder, readRegularFile, writeFileAtomic } from '../util/fs.ts';
import { epochPlan, evalBatches, makeBatch, sumLoss, type Batch } from './batches.ts';
import { validateTrainOptions, type TrainOptions } from './options.ts';
import { readTrainCheckpoint, writeTrainCheckpoint } from './checkpoint.ts';
import { lossCurveSvg, type Curve } from './plot.ts';

export type { TrainOptions } from './options.ts';

/** Limits of one invocation (not part of the run's identity; may differ on resume). */
export interface RunLimits {
  /** stop cleanly after this many minutes */
  timeBudget?: number;
  /**
   * stop cleanly after this many minutes of the process's CPU time (user + system) spent in this
   * invocation, validation excluded: equal budgets give models equal training compute whatever
   * else shares the machine and however often they validate
   */
  cpuBudget?: number;
  /** stop after this many optimizer steps in total */
  maxSteps?: number;
  /** override the number of epochs on resume */
  epochs?: number;
}

/** What the trainer reports while it runs (the CLI draws bars and prints lines from these). */
export interface TrainEvents {
  onStart?(info: { model: Model; engine: string; trainPoems: number; validPoems: number; dropped: Record<DropReason, number>; batchesPerEpoch: number; tokensPerEpoch: number; resumedAt: number; epoch: number }): void;
  onStep?(info: { epoch: number; batchIndex: number; batches: number; step: number; loss: number; tokensPerSecond: number; elapsed: number; batch: Batch }): void;
  onValid?(info: { epoch: number; step: number; loss: number; perplexity: number; best: boolean }): void;
  onCheckpoint?(info: { step: number; path: string }): void;
}

/** Loop position saved in the checkpoint. */
interface LoopState {
  epoch: number;
  /** batches of `epoch` already done */
  batchIndex: number;
  step: number;
  /** train tokens seen */
  tokens: number;
  /** seconds of training before this invocation */
  seconds: number;
  /** CPU seconds of the process (user + system) before this invocation, validation included */
  cpuSeconds: number;
  /** the part of cpuSeconds spent validating */
  validCpuSeconds: number;
  dropoutRng: number[];
  bestValidLoss: number | null;
  corpusFingerprint: string;
}

export class TrainError extends Error {
  override name = 'TrainError';
}

export interface TrainResult {
  runDir: string;
  steps: number;
  epochsDone: number;
  validPerplexity: number | null;
  bestValidPerplexity: number | null;
  tokensPerSecond: number;
  seconds: number;
  /** CPU seconds of training since the run began, validation excluded */
  trainCpuSeconds: number;
  stoppedBy: 'done' | 'time-budget' | 'cpu-budget' | 'max-steps' | 'interrupt';
  trainCurve: Curve;
}

const CHECKPOINT = 'checkpoint.safetensors';
/** A batch loss above this (nats) is an explosion: uniform guessing over 6,000 symbols is 8.7. */
const EXPLODED_LOSS = 50;

/**
 * Runs (or resumes) training in `runDir`. `shouldStop` is polled before every step; the loop
 * yields to the event loop between steps so that signal handlers (Ctrl+C) get to run.
 * The run folder is checked writable first (one line for /proc/x or a read-only folder) and locked
 * (`runDir/.lock`, the owner's PID) for the whole run: a second trainer on it is refused naming
 * that PID; a dead trainer's lock is taken over.
 */
export async function train(
  kernels: Kernels<Float32Array>,
  runDir: string,
  fresh: TrainOptions | null,
  limits: RunLimits,
  events: TrainEvents = {},
  shouldStop: () => boolean = () => false,
): Promise<TrainResult> {
  const existed = existsSync(runDir);
  if (fresh !== null || existed) ensureOutputDir(runDir);
  const release = existsSync(runDir) ? lockFolder(runDir, 'run folder') : () => {};
  let failed = false;
  try {
    return await trainLocked(kernels, runDir, fresh, limits, events, shouldStop);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    release();
    // a fresh run refused before it wrote anything (a bad option, a corpus without titles) leaves no empty folder behind
    if (failed && !existed && existsSync(runDir) && readdirSync(runDir).length === 0) rmdirSync(runDir);
  }
}

/** What a run starts from, fresh or resumed: its options, poems, model, optimizer and loop position. */
interface OpenedRun {
  opts: TrainOptions;
  trainPoems: TitledPoem[];
  validPoems: TitledPoem[];
  /** corpus lines dropped on reading (train and valid), by reason */
  dropped: Record<DropReason, number>;
  model: Model<Float32Array>;
  optim: Optimizer<Float32Array>;
  loop: LoopState;
}

type TitledPoem = CorpusRead<CorpusForm>['poems'][number];

/**
 * Opens the run in `runDir`: a fresh one (`fresh` options: writes options.json and an empty
 * metrics.jsonl, builds the vocabulary and the model, or starts from `opts.init`) or the
 * checkpoint's (`fresh` null: reuses options.json, refuses another corpus or vocabulary, drops the
 * metric rows logged after the checkpoint).
 */
function openRun(kernels: Kernels<Float32Array>, runDir: string, fresh: TrainOptions | null): OpenedRun {
  const resuming = fresh === null;
  const opts: TrainOptions = resuming ? readOptions(runDir) : validateTrainOptions(fresh, 'training options');
  const titled = opts.condition === 'title';

  const fits = (p: { text: string }) => opts.maxChars === 0 || [...p.text].length <= opts.maxChars;
  const trainRead = readCorpusSplit(opts.corpus, 'train', opts.forms);
  const validRead = readCorpusSplit(opts.corpus, 'valid', opts.forms);
  const dropped = Object.fromEntries(Object.entries(trainRead.dropped).map(([why, n]) => [why, n + validRead.dropped[why as DropReason]])) as Record<DropReason, number>;
  const trainPoems = trainRead.poems.filter(fits);
  const validPoems = validRead.poems.filter(fits);
  const limit = opts.maxChars ? ` of at most ${opts.maxChars} characters` : '';
  if (trainPoems.length === 0) throw new TrainError(`no training poems of forms ${opts.forms.join(', ')}${limit} in ${opts.corpus}`);
  // with no validation poem there is no perplexity to report or best model to keep (it would read 1.0)
  if (validPoems.length === 0) throw new TrainError(`no validation poems of forms ${opts.forms.join(', ')}${limit} in ${opts.corpus}/valid: training needs some to measure the model; rebuild the corpus or choose other forms`);
  if (titled && !trainPoems.some((p) => p.title)) throw new TrainError(`the corpus in ${opts.corpus} has no titles (built before titles were kept): rebuild it to train a title-conditioned model`);
  // what the model learns from: the poems, and for a conditioned model their titles and forms
  const trainTexts = trainPoems.map((p) => (titled ? `${p.form}\t${p.title}\t${p.text}` : p.text));
  const fingerprint = createHash('sha1').update(trainTexts.join('\n')).digest('hex');
  const makeVocab = () => Vocab.fromTexts(trainPoems.flatMap((p) => (titled ? [p.text, p.title] : [p.text])), opts.minCount, titled ? CONTROL_SYMBOLS : []);
  const optimizer = (m: Model<Float32Array>) =>
    createOptimizer(kernels, opts.optimizer, m.params.length, { lr: opts.lr, weightDecay: opts.weightDecay });

  if (resuming) {
    const ckpt = readTrainCheckpoint(join(runDir, CHECKPOINT), kernels);
    const model = ckpt.model;
    // checkpoints written before CPU time was kept count it from this resume
    const loop = { cpuSeconds: 0, validCpuSeconds: 0, ...ckpt.loop } as unknown as LoopState;
    if (loop.corpusFingerprint !== fingerprint) {
      throw new TrainError(`the corpus in ${opts.corpus} is not the one this run was trained on (different training poems); resume refused`);
    }
    // (a fine-tuning run keeps its initial model's vocabulary, which the checkpoint holds)
    if (!opts.init && makeVocab().symbols.join('') !== model.vocab.symbols.join('')) throw new TrainError('vocabulary of the corpus differs from the checkpoint; resume refused');
    const optim = optimizer(model);
    optim.loadState(ckpt.optimizer);
    truncateMetrics(runDir, loop.step);
    return { opts, trainPoems, validPoems, dropped, model, optim, loop };
  }

  if (existsSync(join(runDir, CHECKPOINT))) throw new TrainError(`${runDir} already holds a run; resume it or choose another run folder`);
  const start = opts.init ? readModelFile(opts.init, kernels) : null;
  if (start) {
    if ((conditionOf(start.vocab) === 'title') !== titled) throw new TrainError(`${opts.init} ${titled ? 'does not read' : 'reads'} titles: fine-tune it with condition ${conditionOf(start.vocab)}`);
    if (opts.tied && !start.config.tied) throw new TrainError(`${opts.init} is untied (it has fc.weight, no proj.weight): a tied model cannot start from it; fine-tune it without --tied, or train a tied model from scratch`);
    Object.assign(opts, { cell: start.config.cell, layers: start.config.layers, embed: start.config.embed, hidden: start.config.hidden, tied: start.config.tied, titleBag: opts.titleBag || start.config.titleBag });
  }
  if (opts.titleBag && !opts.tied) throw new TrainError('a title bag needs a tied output layer: add --tied, or start (--init) from a tied model');
  if (opts.titleBag && !titled) throw new TrainError('a title bag reads titles: train with --condition title');
  writeFileAtomic(join(runDir, 'options.json'), JSON.stringify(opts, null, 2) + '\n');
  writeFileAtomic(join(runDir, 'metrics.jsonl'), '');
  const vocab = start && opts.initVocab === 'model' ? start.vocab : makeVocab();
  const config: ModelConfig = { ...DEFAULT_CONFIG, cell: opts.cell, layers: opts.layers, embed: opts.embed, hidden: opts.hidden, tied: opts.tied, titleBag: opts.titleBag, dropout: opts.dropout, vocabSize: vocab.size };
  const model = Model.create(kernels, config, vocab, opts.seed);
  if (start) carryParams(start, model);
  const optim = optimizer(model);
  const loop: LoopState = {
    epoch: 0, batchIndex: 0, step: 0, tokens: 0, seconds: 0, cpuSeconds: 0, validCpuSeconds: 0,
    dropoutRng: new Rng(opts.seed ^ 0x5eed).getState(),
    bestValidLoss: null, corpusFingerprint: fingerprint,
  };
  return { opts, trainPoems, validPoems, dropped, model, optim, loop };
}

/**
 * Copies a model's parameters into one of the same cell, sizes and tying whose vocabulary may
 * differ: tensors without a vocabulary axis whole (a tied model's `proj.weight` among them), and
 * the rows of `embedding.weight` [V, E], `fc.weight` [V, H] and `fc.bias` [V] symbol by symbol;
 * symbols only `to` knows keep their fresh initialisation. Returns how many of `to`'s symbols were
 * carried.
 */
export function carryParams(from: Model<Float32Array>, to: Model<Float32Array>): number {
  if (from.config.tied !== to.config.tied) throw new Error(`cannot carry the parameters of a${from.config.tied ? ' tied' : 'n untied'} model into a${to.config.tied ? ' tied' : 'n untied'} one`);
  const same = from.vocab.symbols.length === to.vocab.symbols.length && from.vocab.symbols.every((s, i) => s === to.vocab.symbols[i]);
  if (same && from.params.length === to.params.length) {
    to.params.set(from.params);
    return to.vocab.size;
  }
  const fromIndex = new Map(from.vocab.symbols.map((s, i) => [s, i]));
  const rowOf = to.vocab.symbols.map((s) => fromIndex.get(s) ?? -1);
  if (from.config.titleBag && !to.config.titleBag) throw new Error('cannot carry a title bag into a model without one');
  const fromTable = paramTable(from.config);
  for (const entry of paramTable(to.config)) {
    // a tensor `from` lacks (a title bag added in fine-tuning) keeps its initialisation: zero
    const src = fromTable.find((e) => e.name === entry.name);
    if (!src) continue;
    const a = from.params.subarray(src.offset, src.offset + src.size);
    const b = to.params.subarray(entry.offset, entry.offset + entry.size);
    if (entry.name === 'embedding.weight' || entry.name === 'fc.weight' || entry.name === 'fc.bias') {
      const width = entry.shape[1] ?? 1;
      rowOf.forEach((r, i) => {
        if (r >= 0) b.set(a.subarray(r * width, (r + 1) * width), i * width);
      });
    } else b.set(a);
  }
  return rowOf.filter((r) => r >= 0).length;
}

/** The run's data, encoded once: an epoch's training examples, their lengths, the validation batches. */
interface EpochData {
  /** Training example i as shown in `epoch` (titled, or untitled for a share of them). */
  example(i: number, epoch: number): Example;
  /** Sequence lengths of the training examples (titled), for epochPlan's grouping. */
  lengths: number[];
  validBatches: Batch[];
  tokensPerEpoch: number;
  batchesPerEpoch: number;
}

function epochData(opts: TrainOptions, vocab: Vocab, trainPoems: readonly TitledPoem[], validPoems: readonly TitledPoem[]): EpochData {
  const titled = opts.condition === 'title';
  // training examples score the title too; a share of them is untitled, chosen afresh each epoch
  const titledExamples = trainPoems.map((p) => encodeExample(vocab, p, true));
  const untitledExamples = titled ? trainPoems.map((p) => encodeExample(vocab, { ...p, title: '' }, true)) : titledExamples;
  return {
    example: (i, epoch) => (titled && untitled(opts.seed, epoch, i, opts.untitledShare) ? untitledExamples[i]! : titledExamples[i]!),
    lengths: titledExamples.map((e) => e.tokens.length),
    // validation scores the poems and <eos> given their true titles, as eval does
    validBatches: evalBatches(validSubset(validPoems, opts.validPoems).map((p) => encodeExample(vocab, p)), opts.batch),
    tokensPerEpoch: titledExamples.reduce((a, e) => a + e.tokens.length + 1 - e.skip, 0),
    batchesPerEpoch: Math.ceil(titledExamples.length / opts.batch),
  };
}

/**
 * `n` of the poems (all when n is 0 or ≥ their number), spread evenly over the list — the split
 * lists its forms one after another, so every form keeps its share — in their order.
 */
export function validSubset<T>(poems: readonly T[], n: number): T[] {
  if (n === 0 || n >= poems.length) return [...poems];
  return Array.from({ length: n }, (_, i) => poems[Math.floor((i * poems.length) / n)]!);
}

/**
 * What the loop writes into the run folder, and the clocks of this invocation (wall and CPU): validation (best
 * model), checkpoints (train state, last model, plot) and metric rows. `loop` is the loop's own
 * state object, which the loop advances and these read.
 */
class Run {
  private readonly started = performance.now();
  private readonly cpuStarted = process.cpuUsage();
  /** CPU seconds of this invocation spent validating */
  private validCpu = 0;
  /** elapsed() at the last checkpoint */
  lastCheckpoint = 0;
  /** the last validation loss (mean nats per token), null before the first */
  validLoss: number | null = null;
  /** the step of the last validation of this invocation, -1 before the first */
  validStep = -1;

  constructor(
    private readonly kernels: Kernels<Float32Array>,
    private readonly runDir: string,
    private readonly opts: TrainOptions,
    private readonly model: Model<Float32Array>,
    private readonly optim: Optimizer<Float32Array>,
    private readonly loop: LoopState,
    private readonly dropoutRng: Rng,
    private readonly batchesPerEpoch: number,
    private readonly events: TrainEvents,
  ) {
    this.lastCheckpoint = this.elapsed();
  }

  /** Seconds since this invocation's run started. */
  elapsed(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** CPU seconds (user + system, all threads) of the process since this invocation's run started. */
  cpu(): number {
    const { user, system } = process.cpuUsage(this.cpuStarted);
    return (user + system) / 1e6;
  }

  /** CPU seconds of this invocation spent training (validation excluded): what --cpu-budget counts. */
  trainCpuThisRun(): number {
    return this.cpu() - this.validCpu;
  }

  /** CPU seconds of training since the run began, across resumes (validation excluded). */
  trainCpu(): number {
    return this.loop.cpuSeconds - this.loop.validCpuSeconds + this.trainCpuThisRun();
  }

  /** The clocks as the metric rows and the checkpoint carry them: since the run began. */
  private clocks(): { time: number; cpu: number; validCpu: number } {
    const { loop } = this;
    return { time: loop.seconds + this.elapsed(), cpu: loop.cpuSeconds + this.cpu(), validCpu: loop.validCpuSeconds + this.validCpu };
  }

  /** Appends a metric row, with the clocks. */
  metrics(row: Record<string, unknown>): void {
    const { time, cpu, validCpu } = this.clocks();
    const ms = (x: number) => Math.round(x * 1000) / 1000;
    appendFileSync(join(this.runDir, 'metrics.jsonl'), JSON.stringify({ ...row, time, cpu: ms(cpu), validCpu: ms(validCpu) }) + '\n');
  }

  /** Scores the validation batches; saves best.safetensors when the loss is the best so far. */
  validate(validBatches: readonly Batch[]): void {
    const { loop } = this;
    const cpuBefore = this.cpu();
    const { loss, tokens } = sumLoss(this.model, validBatches);
    const mean = loss / Math.max(1, tokens);
    const best = loop.bestValidLoss === null || mean < loop.bestValidLoss;
    if (best) {
      loop.bestValidLoss = mean;
      saveModel(join(this.runDir, 'best.safetensors'), this.model, this.summary(mean));
    }
    this.validLoss = mean;
    this.validStep = loop.step;
    this.validCpu += this.cpu() - cpuBefore;
    this.metrics({ kind: 'valid', step: loop.step, epoch: loop.epoch, loss: mean, perplexity: Math.exp(mean) });
    this.events.onValid?.({ epoch: loop.epoch, step: loop.step, loss: mean, perplexity: Math.exp(mean), best });
  }

  /** The training summary saved in a model file's metadata. */
  summary(valid: number | null): Record<string, unknown> {
    const { loop, opts } = this;
    return {
      steps: loop.step,
      epochs: loop.epoch + loop.batchIndex / this.batchesPerEpoch,
      tokens: loop.tokens,
      seconds: Math.round(loop.seconds + this.elapsed()),
      valid_perplexity: valid === null ? null : Math.exp(valid),
      optimizer: opts.optimizer, lr: opts.lr, lr_decay: opts.lrDecay, batch: opts.batch, clip: opts.clip, dropout: opts.dropout,
      forms: opts.forms, seed: opts.seed, engine: this.kernels.name, condition: opts.condition,
    };
  }

  /** Writes the checkpoint (model, optimizer, loop state with the dropout RNG), last.safetensors and the plot. */
  checkpoint(): void {
    const { loop, runDir } = this;
    const { time, cpu, validCpu } = this.clocks();
    const state: LoopState = { ...loop, seconds: time, cpuSeconds: cpu, validCpuSeconds: validCpu, dropoutRng: this.dropoutRng.getState() };
    writeTrainCheckpoint(join(runDir, CHECKPOINT), this.model, this.optim.state(), state as unknown as Record<string, unknown>);
    saveModel(join(runDir, 'last.safetensors'), this.model, this.summary(this.validLoss));
    writePlot(runDir, this.opts);
    this.lastCheckpoint = this.elapsed();
    this.events.onCheckpoint?.({ step: loop.step, path: join(runDir, CHECKPOINT) });
  }
}

async function trainLocked(
  kernels: Kernels<Float32Array>,
  runDir: string,
  fresh: TrainOptions | null,
  limits: RunLimits,
  events: TrainEvents,
  shouldStop: () => boolean,
): Promise<TrainResult> {
  const { opts, trainPoems, validPoems, dropped, model, optim, loop } = openRun(kernels, runDir, fresh);
  const epochs = limits.epochs ?? opts.epochs;
  const data = epochData(opts, model.vocab, trainPoems, validPoems);
  const dropoutRng = new Rng(1);
  dropoutRng.setState(loop.dropoutRng);
  const resumedAt = loop.step;
  events.onStart?.({
    model, engine: kernels.name, trainPoems: trainPoems.length, validPoems: validPoems.length, dropped,
    batchesPerEpoch: data.batchesPerEpoch, tokensPerEpoch: data.tokensPerEpoch, resumedAt, epoch: loop.epoch,
  });

  const run = new Run(kernels, runDir, opts, model, optim, loop, dropoutRng, data.batchesPerEpoch, events);
  let tokensThisRun = 0;
  let stoppedBy: TrainResult['stoppedBy'] = 'done';
  // validations inside an epoch fall at multiples of validEvery CPU minutes of training since the
  // run began, so a resumed run keeps the schedule
  const validPeriod = opts.validEvery * 60;
  let nextValid = validPeriod > 0 ? (Math.floor(run.trainCpu() / validPeriod) + 1) * validPeriod : Infinity;
  outer: while (loop.epoch < epochs) {
    const plan = epochPlan(data.lengths, opts.batch, opts.seed, loop.epoch);
    optim.lr = opts.lr * opts.lrDecay ** loop.epoch;
    while (loop.batchIndex < plan.length) {
      if (limits.maxSteps !== undefined && loop.step >= limits.maxSteps) { stoppedBy = 'max-steps'; break outer; }
      if (limits.timeBudget !== undefined && run.elapsed() >= limits.timeBudget * 60) { stoppedBy = 'time-budget'; break outer; }
      if (limits.cpuBudget !== undefined && run.trainCpuThisRun() >= limits.cpuBudget * 60) { stoppedBy = 'cpu-budget'; break outer; }
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (shouldStop()) { stoppedBy = 'interrupt'; break outer; }
      const batch = makeBatch(plan[loop.batchIndex]!.map((i) => data.example(i, loop.epoch)));
      const { loss, tokens } = model.lossAndGrad(batch.inputs, batch.targets, batch.B, batch.T, dropoutRng);
      const mean = loss / tokens;
      if (!Number.isFinite(mean) || mean > EXPLODED_LOSS) {
        throw new TrainError(
          `training diverged at step ${loop.step + 1} (loss ${mean}); the last good model is in ${runDir} — try a lower learning rate or gradient clip`,
        );
      }
      if (opts.clip > 0) clipGradNorm(kernels, model.grads, model.grads.length, opts.clip);
      optim.step(model.params, model.grads);
      loop.step++;
      loop.batchIndex++;
      loop.tokens += tokens;
      tokensThisRun += tokens;
      const t = run.elapsed();
      if (loop.step % 10 === 0) run.metrics({ kind: 'train', step: loop.step, epoch: loop.epoch, batch: loop.batchIndex, tokens: loop.tokens, loss: mean });
      events.onStep?.({ epoch: loop.epoch, batchIndex: loop.batchIndex, batches: plan.length, step: loop.step, loss: mean, tokensPerSecond: tokensThisRun / t, elapsed: t, batch });
      if (opts.checkpointEvery > 0 && t - run.lastCheckpoint >= opts.checkpointEvery * 60) run.checkpoint();
      if (run.trainCpu() >= nextValid && loop.batchIndex < plan.length) {
        run.validate(data.validBatches);
        nextValid = (Math.floor(run.trainCpu() / validPeriod) + 1) * validPeriod;
      }
    }
    run.validate(data.validBatches);
    loop.epoch++;
    loop.batchIndex = 0;
    run.checkpoint();
  }
  if (stoppedBy !== 'done') {
    if ((loop.batchIndex > 0 || loop.step === resumedAt) && run.validStep !== loop.step) run.validate(data.validBatches);
    run.checkpoint();
  }
  return {
    runDir,
    steps: loop.step,
    epochsDone: loop.epoch,
    validPerplexity: run.validLoss === null ? null : Math.exp(run.validLoss),
    bestValidPerplexity: loop.bestValidLoss === null ? null : Math.exp(loop.bestValidLoss),
    tokensPerSecond: tokensThisRun / Math.max(1e-9, run.elapsed()),
    seconds: loop.seconds + run.elapsed(),
    trainCpuSeconds: run.trainCpu(),
    stoppedBy,
    trainCurve: readCurves(runDir).train,
  };
}

function readOptions(runDir: string): TrainOptions {
  const file = join(runDir, 'options.json');
  if (!existsSync(join(runDir, CHECKPOINT)) || !existsSync(file)) throw new TrainError(`${runDir} holds no checkpoint to resume from`);
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFile(file, 2 ** 20, 'options file').toString('utf8'));
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new TrainError(`${file}: not valid JSON`);
  }
  return validateTrainOptions(raw, file);
}

/** Whether poem i is shown untitled in `epoch`: a hash of (seed, epoch, i) against `share`. */
function untitled(seed: number, epoch: number, i: number, share: number): boolean {
  const h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35) ^ Math.imul(i + 1, 0x27d4eb2f);
  return mix32(h, UNTITLED_MIX) / 2 ** 32 < share;
}

function readMetrics(runDir: string): Array<{ kind: string; step: number; loss: number }> {
  const file = join(runDir, 'metrics.jsonl');
  if (fileKind(file) === 'missing') return [];
  return readRegularFile(file, 256 * 2 ** 20, 'metrics file').toString('utf8').split('\n').filter(Boolean).flatMap((line) => {
    try { return [JSON.parse(line)]; } catch { return []; } // a line cut by a kill
  });
}

/** Drops metric rows logged after the checkpoint we resume from (they will be logged again). */
function truncateMetrics(runDir: string, step: number): void {
  const kept = readMetrics(runDir).filter((r) => r.step <= step);
  writeFileAtomic(join(runDir, 'metrics.jsonl'), kept.map((r) => JSON.stringify(r) + '\n').join(''));
}

export function readCurves(runDir: string): { train: Curve; valid: Curve } {
  const rows = readMetrics(runDir);
  return {
    train: rows.filter((r) => r.kind === 'train').map((r) => [r.step, r.loss]),
    valid: rows.filter((r) => r.kind === 'valid').map((r) => [r.step, r.loss]),
  };
}

function writePlot(runDir: string, opts: TrainOptions): void {
  const { train, valid } = readCurves(runDir);
  const title = `${opts.cell} ${opts.layers}×${opts.hidden}, E=${opts.embed}, ${opts.optimizer} ${opts.lr}, batch ${opts.batch}`;
  writeFileAtomic(join(runDir, 'loss.svg'), lossCurveSvg(train, valid, title));
}
