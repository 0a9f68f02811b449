/**
 * `shiren eval [--model FILE] [--corpus DIR] [--split test] [--count N] [--json] [--engine E] [--threads N]
 * [--precision int8|f32]` (docs/design.md §7): prints the domain layer's evaluate()
 * (src/domain/evaluate.ts). The poems are written as `gen` writes them (int8 weights unless
 * --precision f32); the perplexity is always the f32 model's.
 *
 * Output: a small table on stdout (model and engine on stderr); with --json only
 * `{"model","engine","precision","split","perplexity","tokens","poems","otherForms":{"ci","duilian"},"generated":{"free","forms","constrained"}}`
 * where each generated entry holds the QualityFigures (NaN is written as null), and for a
 * title-conditioned model `"judged":{"poems","real","oneSample","candidates"}` (topic top-1 and
 * 4-gram perplexity by the judges of src/poetry/judges.ts, with distinct-2 and novel lines).
 */
import type { Split } from '../data/split.ts';
import { EVAL_SETTINGS, evaluate, type EvalSetting } from '../domain/evaluate.ts';
import { describeDropped } from '../data/corpus.ts';
import { openCommandModel } from './open.ts';
import { progressBar, type Progress } from './progress.ts';

export interface EvalOptions {
  model?: string;
  split?: Split;
  corpus?: string;
  count?: number;
  json?: boolean;
  engine?: string;
  /** threads of the engine (default: every core) */
  threads?: number;
  seed?: number;
  /** int8 (default, as gen) | f32: the weights the generated poems are written with */
  precision?: string;
}

function percent(x: number): string {
  return Number.isNaN(x) ? '—' : `${(100 * x).toFixed(1)}%`;
}

export async function runEval(opts: EvalOptions): Promise<void> {
  const { model, source, banner } = await openCommandModel(opts);
  // 3 × --count poems are written: minutes at the default, hours at the cap; a bar on a terminal
  let bar: Progress | undefined;
  const onProgress = process.stderr.isTTY
    ? (done: number, total: number) => {
      if (done % 10 === 0 || done === total) (bar ??= progressBar(total, 'eval |{bar}| {value}/{total} poems written | ETA {eta_formatted}')).update(done);
    }
    : undefined;
  const report = evaluate(model, { corpus: opts.corpus, split: opts.split, count: opts.count, seed: opts.seed, onProgress });
  bar?.stop();
  if (report.dropped) process.stderr.write(`corpus: ${describeDropped(report.dropped)} of the ${report.split} split\n`);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ model: source, engine: model.kernels.name, precision: model.decodePrecision, ...report }) + '\n');
    return;
  }
  process.stderr.write(banner);
  const out = [
    `${report.split} perplexity ${report.perplexity.toFixed(2)} per character (${report.poems} poems, ${report.tokens} targets${report.titled ? ', untitled' : ''})`,
    ...(report.titled
      ? [`given the true titles ${report.titled.perplexity.toFixed(2)}, given shuffled titles ${report.titled.shuffledPerplexity.toFixed(2)} (ratio ${report.titled.ratio.toFixed(3)})`]
      : []),
    ...Object.entries(report.otherForms ?? {}).map(([form, f]) =>
      `${form === 'ci' ? '词' : '对联'} (${form}): perplexity ${f.perplexity.toFixed(2)} given the ${form === 'ci' ? 'tune' : '上联'}, ${f.untitledPerplexity.toFixed(2)} without (${f.poems} ${form === 'ci' ? '词' : 'pairs'})`),
    '',
    `${'generated'.padEnd(22)}${['poems', 'well-formed', 'regulated', '平仄', 'rhyme', 'check', 'novelty', 'distinct-2', 'logp/tok'].map((h) => h.padStart(12)).join('')}`,
  ];
  for (const name of Object.keys(EVAL_SETTINGS) as EvalSetting[]) {
    const q = report.generated[name];
    const cells = [String(q.poems), ...[q.wellFormed, q.regulated, q.toneCompliance, q.rhymeRate, q.checkPass, q.novelty, q.distinct2].map(percent), q.logprobPerToken.toFixed(3)];
    out.push(`${EVAL_SETTINGS[name].label.padEnd(22)}${cells.map((c) => c.padStart(12)).join('')}`);
  }
  if (report.judged) {
    const j = report.judged;
    out.push('', `judged (not by the model: src/poetry/judges.ts), ${j.poems} ${report.split} titles, each in its real poem's form`);
    out.push(`${''.padEnd(22)}${['title first of 10', '4-gram ppl', 'distinct-2', 'novel lines'].map((h) => h.padStart(20)).join('')}`);
    for (const [label, f] of [['the real poems', j.real], ['one sample', j.oneSample], [`best of ${j.candidates.n}`, j.candidates]] as const) {
      out.push(`${label.padEnd(22)}${[percent(f.top1), f.fluencyPerplexity.toFixed(1), percent(f.distinct2), percent(f.novelty)].map((c) => c.padStart(20)).join('')}`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}
