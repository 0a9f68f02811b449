/**
 * Opening the model of a command (`--model`, `--engine`) through the domain layer, with the line
 * naming the model and engine that a command prints on stderr once it has succeeded.
 */
import type { EngineName } from '../engine/index.ts';
import { openModel } from '../domain/model.ts';
import type { DecodePrecision } from '../nn/config.ts';
import type { Model } from '../nn/model.ts';

export async function openCommandModel(
  opts: { model?: string; engine?: string; threads?: number; precision?: string },
  job: 'any' | 'decode' = 'any',
): Promise<{ model: Model; source: string; banner: string }> {
  const { model, source } = await openModel(opts.model, { engine: opts.engine as EngineName | undefined, threads: opts.threads, job, precision: opts.precision as DecodePrecision | undefined });
  const { cell, layers, hidden, tied, titleBag } = model.config;
  return { model, source, banner: `model ${source} (${cell}, ${layers}×${hidden}${tied ? ', tied' : ''}${titleBag ? ', title bag' : ''}), engine ${model.kernels.name}\n` };
}
