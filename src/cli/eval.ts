/**
 * `shiren eval [--model FILE] [--corpus DIR] [--split test] [--count N] [--json] [--engine E]`
 * (DESIGN §7): the perplexity per character of a split's regulated poems (targets include <eos>,
 * exclude <bos>), and the quality figures of poems the model writes (metrics.ts) in three settings:
 * free decoding from <bos>; fixed forms (wujue, qijue, wulv, qilv in turn) by constrained decoding;
 * and fixed forms with the 平仄 and rhyme constraints. Sampling uses gen's defaults and a fixed seed,
 * so two runs on one model print the same figures.
 *
 * Output: a small table on stdout (model and engine on stderr); with --json only
 * `{"model","engine","split","perplexity","tokens","poems","generated":{"free","forms","constrained"}}`
 * where each generated entry holds the QualityFigures (NaN is written as null).
 */
import { FORMS } from '../data/clean.ts';
import { readSplit, type Split } from '../data/corpus.ts';
import type { Vocab } from '../data/vocab.ts';
import type { LanguageModel } from '../nn/lm.ts';
import { Rng } from '../nn/rng.ts';
import { resolveModelFile } from '../nn/checkpoint.ts';
import { encodePoems, evalBatches, sumLoss, type BatchScorer } from '../train/batches.ts';
import { generate, type GenerateOptions } from '../poetry/generate.ts';
import { qualityFigures, trainLineSet, type QualityFigures } from '../poetry/metrics.ts';
import { openModel } from './gen.ts';

export interface EvalOptions {
  /** Model file; default the bundled model. */
  model?: string;
  /** train | valid | test (default test). */
  split?: string;
  /** Corpus folder built by `shiren corpus` (default data/corpus). */
  corpus?: string;
  /** Poems generated per setting (default 200). */
  count?: number;
  json?: boolean;
  /** auto | blas | wasm | reference */
  engine?: string;
  /** Seed of the generated poems (default 1). */
  seed?: number;
}

/** Perplexity per character of poems (each scored as <bos> poem <eos>; unknown characters as <unk>). */
export function perplexity(model: BatchScorer & { readonly vocab: Vocab }, poems: readonly string[], batchSize = 64): { perplexity: number; tokens: number } {
  const { loss, tokens } = sumLoss(model, evalBatches(encodePoems(model.vocab, poems), batchSize));
  return { perplexity: Math.exp(loss / Math.max(1, tokens)), tokens };
}

/** The three generation settings of eval. */
export const EVAL_SETTINGS: Record<'free' | 'forms' | 'constrained', { label: string; options: (i: number) => GenerateOptions }> = {
  free: { label: 'free, from <bos>', options: () => ({ form: 'free' }) },
  forms: { label: 'fixed forms', options: (i) => ({ form: FORMS[i % FORMS.length] }) },
  constrained: { label: 'forms + tones + rhyme', options: (i) => ({ form: FORMS[i % FORMS.length], tones: true, rhyme: true }) },
};

/** Quality figures of `count` poems per setting, each setting from its own stream seeded by `seed`. */
export function generatedFigures(model: LanguageModel, trainLines: ReadonlySet<string>, count: number, seed = 1): Record<keyof typeof EVAL_SETTINGS, QualityFigures> {
  const figures = {} as Record<keyof typeof EVAL_SETTINGS, QualityFigures>;
  for (const [name, setting] of Object.entries(EVAL_SETTINGS) as [keyof typeof EVAL_SETTINGS, (typeof EVAL_SETTINGS)['free']][]) {
    const rng = new Rng(seed);
    const poems = Array.from({ length: count }, (_, i) => generate(model, setting.options(i), rng));
    figures[name] = qualityFigures(poems, trainLines);
  }
  return figures;
}

function percent(x: number): string {
  return Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`;
}

export async function runEval(opts: EvalOptions): Promise<void> {
  const corpus = opts.corpus ?? 'data/corpus';
  const split = (opts.split ?? 'test') as Split;
  const count = opts.count ?? 200;
  const { model, banner } = await openModel(opts);
  const heldOut = readSplit(corpus, split, FORMS);
  const trainLines = trainLineSet(readSplit(corpus, 'train', FORMS));
  const { perplexity: ppl, tokens } = perplexity(model, heldOut);
  const generated = generatedFigures(model, trainLines, count, opts.seed);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ model: resolveModelFile(opts.model), engine: model.kernels.name, split, perplexity: ppl, tokens, poems: heldOut.length, generated }) + '\n');
    return;
  }
  process.stderr.write(banner);
  const out = [
    `${split} perplexity ${ppl.toFixed(2)} per character (${heldOut.length} poems, ${tokens} targets)`,
    '',
    `${'generated'.padEnd(22)}${['poems', 'well-formed', 'regulated', '平仄', 'rhyme', 'novelty', 'distinct-2'].map((h) => h.padStart(12)).join('')}`,
  ];
  for (const [name, setting] of Object.entries(EVAL_SETTINGS)) {
    const q = generated[name as keyof typeof EVAL_SETTINGS];
    const cells = [String(q.poems), ...[q.wellFormed, q.regulated, q.toneCompliance, q.rhymeRate, q.novelty, q.distinct2].map(percent)];
    out.push(`${setting.label.padEnd(22)}${cells.map((c) => c.padStart(12)).join('')}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}
