/**
 * `shiren train`: runs src/train/trainer.ts with a progress bar (epoch, loss, tokens/s, ETA), the
 * seed's log lines on request, validation perplexity each epoch, and a terminal loss chart at the
 * end. Ctrl+C saves a checkpoint and exits cleanly; `--resume DIR` continues. `--force-unlock`
 * removes the run folder's lock first, whoever holds it, with a warning (a stale lock shiren cannot
 * tell from a live one).
 */
import { join } from 'node:path';
import { describeDropped } from '../data/corpus.ts';
import { breakLock } from '../util/fs.ts';
import { printable } from '../util/text.ts';
import { selectKernels, engineHint, type EngineName } from '../engine/index.ts';
import { PAD } from '../data/vocab.ts';
import type { Batch } from '../train/batches.ts';
import type { Model } from '../nn/model.ts';
import { train, type RunLimits } from '../train/trainer.ts';
import { TRAIN_DEFAULTS, type TrainOptions } from '../train/options.ts';
import { terminalChart } from '../train/plot.ts';
import { progressBar, type Progress } from './progress.ts';

export interface TrainCliOptions extends Omit<TrainOptions, 'epochs'>, RunLimits {
  out?: string;
  resume?: string;
  logEvery?: number;
  showPredictions: boolean;
  engine: EngineName;
  threads?: number;
  forceUnlock?: boolean;
}

function defaultRunDir(cell: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${cell}-${stamp}`);
}

/** The seed's `prediction [...]` / `by [...]` lines for the first poem of a batch: argmax at each step. */
function predictionLines(model: Model<Float32Array>, batch: Batch): string {
  const targets = [...batch.targets.subarray(0, batch.T)];
  const len = targets.includes(PAD) ? targets.indexOf(PAD) : targets.length;
  const state = model.initState(1);
  const predicted = [...batch.inputs.subarray(0, len)].map((token) => {
    const logits = model.step(state, Int32Array.of(token));
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
    return best;
  });
  return `prediction ${JSON.stringify(predicted)}\n\nby ${JSON.stringify(targets.slice(0, len))}`;
}

/** The run's options: the training options among the flags (the rest are this invocation's). */
function runOptions(opts: TrainCliOptions): TrainOptions {
  const picked = Object.fromEntries(Object.keys(TRAIN_DEFAULTS).map((key) => [key, opts[key as keyof TrainCliOptions]]));
  return { ...TRAIN_DEFAULTS, ...picked, epochs: opts.epochs ?? TRAIN_DEFAULTS.epochs } as TrainOptions;
}

export async function runTrain(opts: TrainCliOptions): Promise<void> {
  const kernels = await selectKernels({ engine: opts.engine, threads: opts.threads });
  const runDir = opts.resume ?? opts.out ?? defaultRunDir(opts.cell);
  if (opts.forceUnlock) {
    const holder = breakLock(runDir);
    if (holder !== null) process.stderr.write(`shiren: warning: removed the lock of process ${holder || '(unknown)'} on ${printable(runDir, 200)} (--force-unlock); if that trainer still runs, the two overwrite each other's checkpoints\n`);
  }
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130); // a second Ctrl+C: give up at once (the last checkpoint stays)
    interrupted = true;
    process.stderr.write('\nshiren: stopping after this step and saving a checkpoint (Ctrl+C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  let bar: Progress = { update() {}, stop() {} };
  let model: Model<Float32Array> | undefined;
  const logLine = (line: string) => {
    bar.stop();
    console.log(line);
  };
  const result = await train(
    kernels,
    runDir,
    opts.resume ? null : runOptions(opts),
    // on resume the run's own options hold, except the limits of this invocation
    { timeBudget: opts.timeBudget, cpuBudget: opts.cpuBudget, maxSteps: opts.maxSteps, epochs: opts.resume ? opts.epochs : undefined },
    {
      onStart(info) {
        model = info.model;
        const c = info.model.config;
        console.log(`engine: ${info.engine}${engineHint(kernels) ? ` (${engineHint(kernels)})` : ''}`);
        console.log(
          `model: ${c.cell}, ${c.layers} layers, E=${c.embed}, H=${c.hidden}, V=${c.vocabSize}${c.tied ? ', output tied to the embedding' : ''}${c.titleBag ? ', with a title bag' : ''}, ${info.model.paramCount.toLocaleString('en')} parameters`,
        );
        console.log(
          `data: ${info.trainPoems} train poems (${info.tokensPerEpoch.toLocaleString('en')} tokens, ${info.batchesPerEpoch} batches per epoch), ${info.validPoems} valid poems`,
        );
        const dropped = describeDropped(info.dropped);
        if (dropped) console.log(`corpus: ${dropped} (lines with control characters, no Han text or characters the corpus builder never writes)`);
        console.log(`run folder: ${runDir}${info.resumedAt ? ` (resumed at step ${info.resumedAt})` : ''}`);
        bar = progressBar(info.batchesPerEpoch, 'epoch {epoch} |{bar}| {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta_formatted}', { epoch: info.epoch, loss: '-', tps: '-' });
      },
      onStep(info) {
        bar.update(info.batchIndex, { epoch: info.epoch, loss: info.loss.toFixed(3), tps: Math.round(info.tokensPerSecond) });
        if (opts.logEvery && info.step % opts.logEvery === 0) {
          logLine(`epoch ${info.epoch} batch number ${info.batchIndex - 1} loss is: ${info.loss}`);
          if (opts.showPredictions && model) console.log(predictionLines(model, info.batch) + '\n');
        }
      },
      onValid(info) {
        logLine(`epoch ${info.epoch} step ${info.step}: validation loss ${info.loss.toFixed(4)}, perplexity ${info.perplexity.toFixed(1)}${info.best ? ' (best)' : ''}`);
      },
    },
    () => interrupted,
  );
  bar.stop();
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  const chart = terminalChart(result.trainCurve);
  if (chart) console.log(`\ntrain loss by step\n${chart}\n`);
  const why = { done: 'finished', 'time-budget': 'time budget reached', 'cpu-budget': 'CPU budget reached', 'max-steps': 'step limit reached', interrupt: 'interrupted' }[result.stoppedBy];
  console.log(
    `${why}: ${result.steps} steps, ${(result.seconds / 60).toFixed(1)} min (${(result.trainCpuSeconds / 60).toFixed(1)} CPU min training), ${Math.round(result.tokensPerSecond)} tokens/s; ` +
      `validation perplexity ${result.validPerplexity?.toFixed(1) ?? '-'} (best ${result.bestValidPerplexity?.toFixed(1) ?? '-'})`,
  );
  console.log(`models: ${join(runDir, 'best.safetensors')} (best), ${join(runDir, 'last.safetensors')} (last); plot: ${join(runDir, 'loss.svg')}`);
  if (result.stoppedBy !== 'done') console.log(`resume with: shiren train --resume ${runDir}`);
}
