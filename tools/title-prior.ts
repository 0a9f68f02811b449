/**
 * How much title information the recurrent model leaves unused (issue 21: with true titles the
 * test perplexity should be ≤ 0.88× that with shuffled titles; the bundled tied GRU is at 0.933).
 * A bag-of-title-characters bias is added to the model's logits at every poem position, and the
 * regulated test split is scored with the true titles and with titles shuffled among the poems
 * (as `shiren eval` shuffles them), for several weights β:
 *
 *   logit'(c) = logit(c) + β · a(title, c)      (Han characters c; 0 for marks and <eos>)
 *   a(title, c) = mean over the title's characters t of log[(n(t,c) + μ·P(c)) / (n(t) + μ)] − log P(c)
 *
 * n(t,c): in how many train poems (regulated and free) t is in the title and c in the text; n(t):
 * poems with t in the title; P(c): share of poems holding c; μ = 20. Counts of the train split only
 * — the same kind of statistic as the topic judge's (src/poetry/judges.ts), so this is a measurement
 * of what a title-bag pathway could add, not something to write poems with: a poem chosen or
 * steered by it would be judged by its own counts. An untitled poem gets no bias: untitled
 * perplexity is the model's.
 *
 * What it showed (docs/models.md): β 0.5–0.75 lowers the perplexity given the true titles (the
 * model misses title information) and brings the ratio under 0.88 — the case for the learned title
 * bag the model can now carry (config.titleBag, src/nn/title-bag.ts).
 *
 * Usage: node --import tsx tools/title-prior.ts [--corpus data/corpus-all] [--model FILE]
 *        [--betas 0,0.25,0.5,0.75,1] [--count N (default: the whole split)] [--seed 1]
 * Legend: V vocabulary, T steps of one poem.
 */
import { parseArgs } from 'node:util';
import { isHan } from '../src/data/clean.ts';
import { readCorpusSplit, readTitledSplit } from '../src/data/corpus.ts';
import { encodeExample } from '../src/data/sequence.ts';
import { BOS, EOS } from '../src/data/vocab.ts';
import { loadModel } from '../src/domain/model.ts';
import { shuffleTitles } from '../src/domain/evaluate.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: 'data/corpus-all' },
    model: { type: 'string' },
    betas: { type: 'string', default: '0,0.25,0.5,0.75,1' },
    count: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const betas = values.betas.split(',').map(Number);
if (betas.some((b) => !Number.isFinite(b))) throw new Error(`--betas takes numbers, comma-separated, got ${values.betas}`);
const seed = Number(values.seed);

const model = await loadModel(values.model, { engine: 'wasm', threads: 1 });
const { vocab } = model;
const V = model.config.vocabSize;

// counts of the train split: title character t with text character c, per poem (distinct on both sides)
const ids = (s: string) => new Set([...s].map((ch) => vocab.id(ch)).filter((x): x is number => x !== undefined));
const nTC = new Map<number, Map<number, number>>(), nT = new Map<number, number>(), nC = new Float64Array(V);
let poemsCounted = 0;
for (const p of readTitledSplit(values.corpus, 'train', ['wujue', 'qijue', 'wulv', 'qilv', 'free'])) {
  const cs = ids(p.text);
  poemsCounted++;
  for (const c of cs) nC[c]!++;
  for (const t of ids(p.title)) {
    nT.set(t, (nT.get(t) ?? 0) + 1);
    let row = nTC.get(t);
    if (!row) nTC.set(t, (row = new Map()));
    for (const c of cs) row.set(c, (row.get(c) ?? 0) + 1);
  }
}
const MU = 20;
const han = Uint8Array.from(vocab.symbols, (s) => (isHan(s) ? 1 : 0));

/** a(title, ·) [V] (see the top); zeros for a title with no counted character. */
function association(title: string): Float64Array {
  const a = new Float64Array(V);
  const ts = [...ids(title)].filter((t) => nT.has(t));
  if (!ts.length) return a;
  for (let c = 0; c < V; c++) {
    if (!han[c] || nC[c] === 0) continue;
    const pc = (nC[c]! + 0.5) / (poemsCounted + 1);
    let s = 0;
    for (const t of ts) s += Math.log(((nTC.get(t)!.get(c) ?? 0) + MU * pc) / (nT.get(t)! + MU)) - Math.log(pc);
    a[c] = s / ts.length;
  }
  return a;
}

/** Mean −log p per scored target (the poem and <eos>, as `eval` scores) for each β. */
function meanNll(poems: readonly { text: string; title: string; form: string }[]): number[] {
  const total = betas.map(() => 0);
  let n = 0;
  for (const p of poems) {
    const ex = encodeExample(vocab, p as Parameters<typeof encodeExample>[1]);
    const inputs = Int32Array.from([BOS, ...ex.tokens]);
    const targets = Int32Array.from([...ex.tokens, EOS]);
    const { logits } = model.trace(inputs, targets); // [T,V]
    const a = association(p.title);
    for (let t = ex.skip; t < targets.length; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      betas.forEach((b, k) => {
        let mx = -Infinity;
        for (let c = 0; c < V; c++) mx = Math.max(mx, row[c]! + b * a[c]!);
        let s = 0;
        for (let c = 0; c < V; c++) s += Math.exp(row[c]! + b * a[c]! - mx);
        total[k]! += mx + Math.log(s) - (row[targets[t]!]! + b * a[targets[t]!]!);
      });
      n++;
    }
  }
  return total.map((x) => x / n);
}

const { poems: all } = readCorpusSplit(values.corpus, 'test', ['wujue', 'qijue', 'wulv', 'qilv']);
const test = values.count ? all.slice(0, Number(values.count)) : all;
const t0 = performance.now();
const trueNll = meanNll(test), shuffledNll = meanNll(shuffleTitles(test, seed));
console.log(`regulated test split, ${test.length} poems; title-bag bias from ${poemsCounted} train poems (μ ${MU}); ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log('β'.padEnd(6) + ['true titles', 'shuffled titles', 'ratio'].map((h) => h.padStart(16)).join(''));
betas.forEach((b, k) => console.log(String(b).padEnd(6) + [Math.exp(trueNll[k]!).toFixed(2), Math.exp(shuffledNll[k]!).toFixed(2), Math.exp(trueNll[k]! - shuffledNll[k]!).toFixed(3)].map((c) => c.padStart(16)).join('')));
