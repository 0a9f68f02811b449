/**
 * Evaluating a model, the domain function behind `shiren eval` (docs/design.md §7): the perplexity
 * per character of a split's regulated poems (targets include <eos>, exclude <bos>; untitled for a
 * title-conditioned model, which is also scored given each poem's true title and given titles
 * shuffled among the poems — how much it uses what a title means), and the
 * quality figures (src/poetry/metrics.ts) of poems the model writes in three settings: free
 * decoding from <bos>; fixed forms (wujue, qijue, wulv, qilv in turn) by constrained decoding; and
 * fixed forms with the 平仄 and rhyme constraints. Sampling uses gen's defaults and a fixed seed, so
 * two runs on one model give the same figures.
 */
import { POEM_FORMS, FORMS } from '../data/clean.ts';
import { readCorpusSplit, readSplit, readTitledSplit, type DropReason } from '../data/corpus.ts';
import type { Split } from '../data/split.ts';
import { conditionOf, formSymbol } from '../data/sequence.ts';
import type { Model } from '../nn/model.ts';
import { Rng, shuffle } from '../nn/rng.ts';
import { generate, type GenerateOptions } from '../poetry/generate.ts';
import { distinct2, novelty, qualityFigures, trainLineSet, type QualityFigures } from '../poetry/metrics.ts';
import { PoetryError } from '../poetry/forms.ts';
import { perplexity, scorePoems } from './score.ts';
import { writePoems } from './write.ts';
import { DEFAULT_CANDIDATES } from './limits.ts';
import { judgeSample, topicFigure, trainJudges, type JudgedPoem } from '../poetry/judges.ts';

export type EvalSetting = 'free' | 'forms' | 'constrained';

/** The forms eval scores besides the regulated ones: 词 given their tune, 对联 given the 上联. */
export const OTHER_FORMS = ['ci', 'duilian'] as const;
export type OtherForm = (typeof OTHER_FORMS)[number];

/** The three generation settings of eval. */
export const EVAL_SETTINGS: Record<EvalSetting, { label: string; options: (i: number) => GenerateOptions }> = {
  free: { label: 'free, from <bos>', options: () => ({ form: 'free' }) },
  forms: { label: 'forms, no rules', options: (i) => ({ form: FORMS[i % FORMS.length], tones: false, rhyme: false }) },
  constrained: { label: 'forms (default rules)', options: (i) => ({ form: FORMS[i % FORMS.length] }) },
};

/** The figures of one setting: the quality figures and what the poems cost under the model. */
export interface GeneratedFigures extends QualityFigures {
  /** mean log-probability per scored token (characters and <eos>) of the poems, given their titles */
  logprobPerToken: number;
}

/** Most poems per setting one evaluation may write. */
export const MAX_EVAL_POEMS = 100_000;

export interface EvaluateOptions {
  /** Corpus folder built by `shiren corpus` (default data/corpus). */
  corpus?: string;
  /** train | valid | test (default test). */
  split?: Split;
  /** Poems generated per setting (default 200). */
  count?: number;
  /** Seed of the generated poems (default 1). */
  seed?: number;
  /** Called after each generated poem with (done, total = 3 × count): at the cap this runs for hours. */
  onProgress?: (done: number, total: number) => void;
}

export interface EvalReport {
  split: Split;
  /** untitled (a conditioned model) or plain */
  perplexity: number;
  /** title-conditioned models: given the true titles, and given titles shuffled among the poems */
  titled?: { perplexity: number; shuffledPerplexity: number; ratio: number };
  /** targets scored */
  tokens: number;
  /** held-out poems scored */
  poems: number;
  /** lines of the held-out split dropped on reading (src/data/corpus.ts), when there were any */
  dropped?: Record<DropReason, number>;
  generated: Record<EvalSetting, GeneratedFigures>;
  /**
   * The split's 词 and 对联 (when the corpus has them and the model has their form symbol):
   * per-character perplexity given the tune or the 上联 (the model's title), and untitled.
   */
  otherForms?: Partial<Record<OtherForm, { poems: number; perplexity: number; untitledPerplexity: number }>>;
  /**
   * Judged by judges that are not the model (src/poetry/judges.ts, learnt from the train split):
   * the topic figure (the true title first among 10) and the 4-gram perplexity (with the set's
   * distinct-2 and novel lines, which need no judge), for `count` held-out
   * regulated poems (judgeSample) and for poems written on their titles in their forms, one sample
   * each and the best of the default candidates (a title-conditioned model; absent otherwise).
   */
  judged?: { poems: number; real: JudgeFigures; oneSample: JudgeFigures; candidates: JudgeFigures & { n: number } };
}

/** What the judges say of a set of poems. */
export interface JudgeFigures {
  /** share of poems whose true title ranks first among 10 */
  top1: number;
  /** per-character perplexity under the 4-gram of the train poems */
  fluencyPerplexity: number;
  /** distinct line bigrams over all line bigrams of the set (src/poetry/metrics.ts distinct2) */
  distinct2: number;
  /** share of lines not in the train split */
  novelty: number;
}

/** Quality figures of `count` poems per setting, each setting from its own stream seeded by `seed`. */
export function generatedFigures(model: Model, trainLines: ReadonlySet<string>, count: number, seed = 1, onProgress?: (done: number, total: number) => void): Record<EvalSetting, GeneratedFigures> {
  const figures = {} as Record<EvalSetting, GeneratedFigures>;
  const settings = Object.keys(EVAL_SETTINGS) as EvalSetting[];
  settings.forEach((name, s) => {
    const rng = new Rng(seed);
    const poems = Array.from({ length: count }, (_, i) => {
      const poem = generate(model, EVAL_SETTINGS[name].options(i), rng);
      onProgress?.(s * count + i + 1, settings.length * count);
      return poem;
    });
    const scores = scorePoems(model, poems.map((p) => ({ text: p.text, title: p.title })));
    const logprobPerToken = scores.reduce((a, s) => a + s.logprob, 0) / scores.reduce((a, s) => a + s.tokens, 0);
    figures[name] = { ...qualityFigures(poems, trainLines), logprobPerToken };
  });
  return figures;
}

export function evaluate(model: Model, opts: EvaluateOptions = {}): EvalReport {
  const corpus = opts.corpus ?? 'data/corpus';
  const split = opts.split ?? 'test';
  const count = opts.count ?? 200;
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_EVAL_POEMS)) throw new PoetryError(`count must be an integer from 1 to ${MAX_EVAL_POEMS}, got ${count}`);
  const { poems: heldOut, dropped } = readCorpusSplit(corpus, split, FORMS);
  if (heldOut.length === 0) throw new PoetryError(`no ${split} poems of the regulated forms in ${corpus}: nothing to evaluate`);
  const trainLines = trainLineSet(readSplit(corpus, 'train', FORMS));
  const { perplexity: ppl, tokens } = perplexity(model, heldOut.map((p) => ({ ...p, title: '' })));
  let titled: EvalReport['titled'];
  if (conditionOf(model.vocab) === 'title') {
    const withTitles = perplexity(model, heldOut).perplexity;
    const shuffled = perplexity(model, shuffleTitles(heldOut, opts.seed ?? 1)).perplexity;
    titled = { perplexity: withTitles, shuffledPerplexity: shuffled, ratio: withTitles / shuffled };
  }
  const anyDropped = Object.values(dropped).some((n) => n > 0);
  const otherForms = otherFormPerplexities(model, corpus, split);
  return {
    split, perplexity: ppl, ...(titled ? { titled } : {}), tokens, poems: heldOut.length, ...(anyDropped ? { dropped } : {}),
    ...(Object.keys(otherForms).length ? { otherForms } : {}),
    generated: generatedFigures(model, trainLines, count, opts.seed, opts.onProgress),
    ...(titled ? { judged: judgedFigures(model, corpus, heldOut, count, opts.seed ?? 1, trainLines) } : {}),
  };
}

/** EvalReport.otherForms: the forms of OTHER_FORMS the corpus holds and a titled model reads. */
export function otherFormPerplexities(model: Model, corpus: string, split: Split): NonNullable<EvalReport['otherForms']> {
  const out: NonNullable<EvalReport['otherForms']> = {};
  if (conditionOf(model.vocab) !== 'title') return out;
  for (const form of OTHER_FORMS) {
    if (!model.vocab.has(formSymbol(form))) continue;
    const poems = readCorpusSplit(corpus, split, [form]).poems;
    if (poems.length === 0) continue;
    // 词 run to 240 characters: 8 to a batch keeps the wasm engine's activations well under its 4 GiB
    const batch = form === 'ci' ? 8 : 64;
    out[form] = {
      poems: poems.length,
      perplexity: perplexity(model, poems, batch).perplexity,
      untitledPerplexity: perplexity(model, poems.map((p) => ({ ...p, title: '' })), batch).perplexity,
    };
  }
  return out;
}

/** EvalReport.judged: the real poems, one sample and the default candidates, on the same titles. */
export function judgedFigures(model: Model, corpus: string, heldOut: readonly { text: string; title: string; form: string }[], count: number, seed: number, trainLines: ReadonlySet<string>): NonNullable<EvalReport['judged']> {
  const { fluency, topic } = trainJudges(readTitledSplit(corpus, 'train', POEM_FORMS));
  const pool = heldOut.map((p) => p.title);
  // a title with a character the model does not know cannot be written on: not in the sample
  const sample = judgeSample(heldOut.filter((p) => p.title && !model.vocab.unknown(p.title).length), count, seed);
  const figures = (poems: readonly JudgedPoem[]): JudgeFigures => {
    const texts = poems.map((p) => p.text);
    return { top1: topicFigure(topic, poems, pool, seed).top1, fluencyPerplexity: fluency.corpusPerplexity(texts), distinct2: distinct2(texts), novelty: novelty(texts, trainLines) };
  };
  const write = (candidates: number) => sample.map((p, i) => ({
    title: p.title,
    text: writePoems(model, { form: p.form, title: p.title, seed: seed + i, candidates })[0]!.text,
  }));
  return { poems: sample.length, real: figures(sample), oneSample: figures(write(1)), candidates: { n: DEFAULT_CANDIDATES, ...figures(write(DEFAULT_CANDIDATES)) } };
}

/** The poems with their titles permuted (a seeded Fisher–Yates; a poem may keep its own by chance, 1/n). */
export function shuffleTitles<P extends { title: string }>(poems: readonly P[], seed: number): P[] {
  const titles = shuffle(poems.map((p) => p.title), new Rng(seed));
  return poems.map((p, i) => ({ ...p, title: titles[i]! }));
}
