/**
 * Chooses the weights of the candidate score (src/domain/candidates.ts) on the VALID split, by the
 * judges of src/poetry/judges.ts, which are not the model: for 400 valid titles (judgeSample, seed
 * 0; regulated poems, each written in the real poem's form on its title), the model writes N
 * candidates once (candidate streams are nested, so the first n of them are what --candidates n
 * writes), every candidate's fit, fluency and repetition are kept, and each setting of
 * (λ fluency, μ repetition, n) chooses one poem per title; with `--guidance g1,g2,…` the candidates are
 * written once per guidance γ (GenerateOptions.guidance) and every γ is a setting too. Each choice is judged: the topic figure
 * (the true title first among 10) and the 4-gram perplexity, with distinct-2 and novel lines.
 *
 * The rule that picks the default (printed last): among the settings (γ, λ, μ) at n = N, the highest topic
 * share whose 4-gram perplexity is at most 1.45 × the real poems' (the ratio of issue 18's
 * thresholds, 270 / 186); then, among the n within that bound at those weights, the smallest n
 * within a point of their best topic share.
 *
 *   node --import tsx tools/tune-candidates.ts [--corpus DIR] [--split valid] [--count 400]
 *        [--candidates 32] [--model FILE] [--seed 0] [--temperature T (default gen's)]
 *        [--guidance G1,G2,… (default CANDIDATE_WEIGHTS.guidance)] [--top-p P] [--frontier] [--json]
 *
 * With `--frontier`, also the 4-gram / distinct-2 frontier: scores that add a clipped fluency
 * (mean of min(log p, −5): only very unlikely characters cost), a stock-phrase term (mean
 * log(1 + train count) of the poem's bigrams) and an overuse term (mean over the poem's bigrams of
 * how much more often the model writes them than the train poems do: overuseOf) to fit, fluency
 * and repetition, over a grid of their weights; for each 4-gram bound, the highest distinct-2 any
 * of them reaches with a topic share of at least 40%, without and with the overuse term. (Issue 18:
 * choosing for fluency lowers distinct-2; this shows how far any of these scores moves that
 * trade. The last two use corpus counts the product does not ship.) `--top-p` samples the
 * candidates from the nucleus.
 *
 * The corpus must hold all forms (`shiren corpus --forms wujue,qijue,wulv,qilv,free,ci,duilian`).
 */
import { parseArgs } from 'node:util';
import { POEM_FORMS, FORMS, type Form } from '../src/data/clean.ts';
import { readTitledSplit } from '../src/data/corpus.ts';
import { openModel } from '../src/domain/model.ts';
import { writePoems, type Choice } from '../src/domain/write.ts';
import { CANDIDATE_WEIGHTS } from '../src/domain/candidates.ts';
import { judgeSample, topicFigure, trainJudges, type JudgedPoem } from '../src/poetry/judges.ts';
import { distinct2, novelty, trainLineSet } from '../src/poetry/metrics.ts';
import { lineBigrams } from '../src/poetry/forms.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: 'data/corpus' },
    split: { type: 'string', default: 'valid' },
    count: { type: 'string', default: '400' },
    candidates: { type: 'string', default: '32' },
    model: { type: 'string' },
    seed: { type: 'string', default: '0' },
    temperature: { type: 'string' },
    guidance: { type: 'string' },
    'top-p': { type: 'string' },
    frontier: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count), N = Number(values.candidates), seed = Number(values.seed);
const split = values.split as 'valid' | 'test';
// one sample is candidate 0 of the unguided stream; a single candidate is not chosen, so no candidates are reported
if (!(Number.isInteger(N) && N >= 2)) throw new Error(`--candidates takes an integer ≥ 2 (one sample is the first candidate of each title), got ${values.candidates}`);

const train = readTitledSplit(values.corpus, 'train', POEM_FORMS);
const held = readTitledSplit(values.corpus, split, [...FORMS]);
const reference = judgeSample(held, count, seed);
const pool = held.map((p) => p.title);
const t0 = performance.now();
const { fluency, topic } = trainJudges(train);
const trainLines = trainLineSet(train.map((p) => p.text));
process.stderr.write(`judges trained in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const { model } = await openModel(values.model, { job: 'decode', threads: 1 });
const guidances = values.guidance ? values.guidance.split(',').map(Number) : [CANDIDATE_WEIGHTS.guidance];
if (guidances.some((g) => !(g >= 0))) throw new Error(`--guidance takes numbers ≥ 0, comma-separated, got ${values.guidance}`);

/** Each reference title's N candidates written with guidance g: [reference poem][candidate], and which reference poems. */
/** A candidate as tune reads it: its text and title, its choice figures and its tokens' log P under the title. */
interface Cand { text: string; title: string; choice: Choice; steps: readonly number[] }

function writeAll(g: number): { all: Cand[][]; indices: number[] } {
  const all: Cand[][] = [];
  const indices: number[] = [];
  const t1 = performance.now();
  reference.forEach((p, i) => {
    try {
      let got: Cand[] = [];
      const sampling = { ...(values.temperature ? { temperature: Number(values.temperature) } : {}), ...(values['top-p'] ? { topP: Number(values['top-p']) } : {}) };
      writePoems(model, { form: p.form as Form, title: p.title, seed: i, candidates: N, guidance: g, ...sampling }, {
        onCandidates: (_, cands) => (got = cands.map((c) => ({ text: c.poem.text, title: c.poem.title, choice: c.choice, steps: c.steps }))),
      });
      all.push(got);
      indices.push(i);
    } catch (err) {
      if (g === guidances[0]) process.stderr.write(`poem ${i} (${p.title}): ${(err as Error).message}\n`);
    }
  });
  process.stderr.write(`guidance ${g}: ${all.length} titles × ${N} candidates written in ${((performance.now() - t1) / 1000).toFixed(1)} s\n`);
  return { all, indices };
}

interface Row { guidance: number; lambda: number; mu: number; n: number; top1: number; meanRank: number; perplexity: number; distinct2: number; novelty: number }
function evaluate(w: { all: Cand[][]; indices: number[] }, guidance: number, lambda: number, mu: number, n: number, extra?: (c: Cand) => number): Row {
  const { all, indices } = w;
  const chosen: JudgedPoem[] = all.map((cands, k) => {
    let best = 0, bestScore = -Infinity;
    for (let j = 0; j < n; j++) {
      const c = cands[j]!.choice;
      const score = c.fit + lambda * c.fluency - mu * c.repetition + (extra ? extra(cands[j]!) : 0);
      if (score > bestScore) { bestScore = score; best = j; }
    }
    return { title: reference[indices[k]!]!.title, text: cands[best]!.text };
  });
  const t = topicFigure(topic, chosen, pool, seed, 9, indices);
  const texts = chosen.map((p) => p.text);
  return { guidance, lambda, mu, n, top1: t.top1, meanRank: t.meanRank, perplexity: fluency.corpusPerplexity(texts), distinct2: distinct2(texts), novelty: novelty(texts, trainLines) };
}

const realPpl = fluency.corpusPerplexity(reference.map((p) => p.text));
const realTop = topicFigure(topic, reference, pool, seed).top1;
const rows: Row[] = [];
const written = new Map<number, ReturnType<typeof writeAll>>();
// one sample of before: no guidance, no choosing (candidate 0 is the single sample's stream)
const plain = guidances.includes(0) ? undefined : writeAll(0);
for (const g of guidances) {
  const w = writeAll(g);
  written.set(g, w);
  for (const lambda of [0, 0.1, 0.15, 0.25, 0.35, 0.5, 0.75, 1]) for (const mu of [0, 0.5, 1, 2]) rows.push(evaluate(w, g, lambda, mu, N));
}
const one = evaluate(plain ?? written.get(0)!, 0, 0, 0, 1);
const ok = rows.filter((r) => r.perplexity <= 1.45 * realPpl);
const pick = (ok.length ? ok : rows).reduce((a, b) => (b.top1 > a.top1 || (b.top1 === a.top1 && b.perplexity < a.perplexity) ? b : a));
const byN = [1, 2, 4, 8, 12, 16, 24, 32].filter((n) => n <= N).map((n) => evaluate(written.get(pick.guidance)!, pick.guidance, pick.lambda, pick.mu, n));
// fewer candidates: the smallest n within a point of the best topic share among those within the perplexity bound
const withinBound = byN.filter((r) => r.perplexity <= 1.45 * realPpl);
const bestTop = Math.max(...(withinBound.length ? withinBound : byN).map((r) => r.top1));
const nPick = (withinBound.length ? withinBound : byN).find((r) => r.top1 >= bestTop - 0.01)!;

/**
 * The model's overuse of each bigram (--frontier): log of its share among the candidates written
 * on `count` train titles of the regulated forms (judgeSample, seed 7, with guidance g) over its
 * share in the train poems (`real`, frontier's counts; both + 1), clipped at 0: the model's own stock phrases,
 * learnt without the held-out split.
 */
function overuseOf(g: number, count: number, real: ReadonlyMap<string, number>): (bigram: string) => number {
  const titled = train.filter((p) => p.title && p.form !== 'free');
  const sample = judgeSample(titled, count, 7);
  const model_ = new Map<string, number>();
  let Tm = 0;
  let Tr = 0;
  for (const n of real.values()) Tr += n;
  sample.forEach((p, i) => {
    try {
      writePoems(model, { form: p.form as Form, title: p.title, seed: 50_000 + i, candidates: N, guidance: g }, {
        onCandidates: (_, cands) => { for (const c of cands) for (const b of lineBigrams(c.poem.text)) { model_.set(b, (model_.get(b) ?? 0) + 1); Tm++; } },
      });
    } catch { /* a title the model cannot write: left out */ }
  });
  return (b) => Math.max(0, Math.log(((model_.get(b) ?? 0) + 1) / Tm) - Math.log(((real.get(b) ?? 0) + 1) / Tr));
}

/** --frontier: the highest distinct-2 of any score of the wider family under each 4-gram bound (see the top). */
function frontier(): string[] {
  const counts = new Map<string, number>();
  for (const p of train) for (const b of lineBigrams(p.text)) counts.set(b, (counts.get(b) ?? 0) + 1);
  const mean = (a: readonly number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
  const clipped = (c: Cand) => mean(c.steps.map((x) => Math.min(x, -5)));
  const stock = (c: Cand) => mean(lineBigrams(c.text).map((b) => Math.log1p(counts.get(b) ?? 0)));
  const out: string[] = [];
  for (const [g, w] of written) {
    const t = performance.now();
    const overuse = overuseOf(g, 600, counts);
    process.stderr.write(`γ ${g}: the model's bigrams on 600 train titles in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
    const over = (c: Cand) => mean(lineBigrams(c.text).map(overuse));
    const grid: (Row & { clip: number; stock: number; overuse: number })[] = [];
    for (const lambda of [0, 0.25, 0.5, 1, 2]) for (const clip of [0, 1, 3]) for (const kappa of [0, 0.2, 0.5, 0.75]) for (const nu of [0, 2, 4]) {
      grid.push({ ...evaluate(w, g, lambda, 1, N, (c) => clip * clipped(c) - kappa * stock(c) - nu * over(c)), clip, stock: kappa, overuse: nu });
    }
    for (const bound of [1.35, 1.45, 1.55, 1.65].map((r) => r * realPpl)) {
      for (const withOveruse of [false, true]) {
        const ok = grid.filter((r) => r.perplexity <= bound && r.top1 >= 0.4 && (withOveruse || r.overuse === 0));
        const best = ok.length ? ok.reduce((a, b) => (b.distinct2 > a.distinct2 ? b : a)) : undefined;
        out.push(`γ ${g}  4-gram ≤ ${bound.toFixed(0)}${withOveruse ? ', with overuse' : ''}: ${best ? `λ ${best.lambda} clipped ${best.clip} stock ${best.stock} overuse ${best.overuse}  top-1 ${(100 * best.top1).toFixed(1)}%  4-gram ${best.perplexity.toFixed(1)}  distinct-2 ${(100 * best.distinct2).toFixed(1)}%` : 'none with top-1 ≥ 40%'}`);
      }
    }
  }
  return out;
}

if (values.json) {
  process.stdout.write(JSON.stringify({ split, count: written.get(pick.guidance)!.all.length, candidates: N, real: { top1: realTop, perplexity: realPpl, distinct2: distinct2(reference.map((p) => p.text)) }, one, rows, byN, pick, nPick }) + '\n');
} else {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const line = (r: Row) => `γ ${r.guidance.toFixed(2)}  λ ${r.lambda.toFixed(2)}  μ ${r.mu.toFixed(1)}  n ${String(r.n).padStart(2)}   top-1 ${pct(r.top1).padStart(6)}  rank ${r.meanRank.toFixed(2)}  4-gram ${r.perplexity.toFixed(1).padStart(6)}  distinct-2 ${pct(r.distinct2)}  novel ${pct(r.novelty)}`;
  console.log(`${split} split, ${written.get(pick.guidance)!.all.length} titles; real poems: top-1 ${pct(realTop)}, 4-gram ${realPpl.toFixed(1)} (perplexity bound ${(1.45 * realPpl).toFixed(1)}), distinct-2 ${pct(distinct2(reference.map((p) => p.text)))}`);
  console.log(`one sample:  ${line(one)}`);
  for (const r of rows) console.log(line(r));
  console.log('by n at the chosen weights:');
  for (const r of byN) console.log(line(r));
  console.log(`chosen: γ ${pick.guidance}, λ ${pick.lambda}, μ ${pick.mu}, n ${nPick.n}`);
  if (values.frontier) {
    console.log(`the 4-gram / distinct-2 frontier (one sample's distinct-2 ${pct(one.distinct2)}):`);
    for (const line of frontier()) console.log(line);
  }
}
