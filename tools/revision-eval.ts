/**
 * What the look-ahead of a revision gains (issue 20; README "Revision"): for --count regulated test
 * poems (a fixed shuffle by --seed) with one line kept (--line, 1-based, default 2) and the others
 * rewritten on the poem's own title, the whole poem's log-probability under the model (f32,
 * `score`'s: every character, the kept line and the marks included, and <eos>, given the title) for
 *   - one sample (candidates 1: the left-to-right model alone, blind to the kept line ahead);
 *   - best of N, the fluency measuring only the characters a candidate chose (keepLookAhead false);
 *   - best of N with the kept characters measured too (the default: the look-ahead).
 * The two best-of-N settings choose among the same candidates (same seeds), so their difference
 * is the choice alone. Each figure is a mean over poems ± its standard error; the differences are
 * paired (per poem). Also the kept line's own log-probability (its characters, in the context the
 * written lines give it), and the real poems' for scale.
 * Usage: node --import tsx tools/revision-eval.ts [--corpus data/corpus-all] [--model F]
 *   [--count 200] [--line 2] [--candidates 16] [--seed 1] [--threads 1]
 */
import { parseArgs } from 'node:util';
import { readTitledSplit } from '../src/data/corpus.ts';
import { FORMS } from '../src/data/clean.ts';
import { conditionPrefix } from '../src/data/sequence.ts';
import { Rng } from '../src/nn/rng.ts';
import { loadModel } from '../src/domain/model.ts';
import { planPoems, WritingLoop, type Poem } from '../src/domain/write.ts';
import { inspectPoem } from '../src/explain/inspect.ts';
import { bareLines, lineEnd } from '../src/poetry/forms.ts';
import { templateOf } from '../src/poetry/keep.ts';
import { checkPoem } from '../src/poetry/check.ts';
import { standardOf } from '../src/data/standard.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: 'data/corpus-all' },
    model: { type: 'string' },
    count: { type: 'string', default: '200' },
    line: { type: 'string', default: '2' },
    candidates: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    threads: { type: 'string', default: '1' },
  },
});
const count = Number(values.count);
const keptLine = Number(values.line) - 1;
const N = Number(values.candidates);
const seed = Number(values.seed);
const model = await loadModel(values.model, { engine: 'wasm', threads: Number(values.threads) });

// regulated test poems with a title, every character known, shuffled by the seed
const pool = readTitledSplit(values.corpus!, 'test', [...FORMS]).filter((p) => p.title && model.vocab.unknown(p.text + p.title).length === 0);
const rng = new Rng(seed);
for (let i = pool.length - 1; i > 0; i--) {
  const j = Math.floor(rng.next() * (i + 1));
  [pool[i], pool[j]] = [pool[j]!, pool[i]!];
}
const held = pool.slice(0, count);
const templates = held.map((p) => {
  const lines = bareLines(p.text);
  return templateOf(lines.map((l, i) => l + lineEnd(i, lines.length)), lines.map((l, i) => (i === keptLine ? [...l].map((_, j) => j) : [])));
});

/**
 * The poems of one setting, all in one loop (batched like the server): poem i from seed + i.
 * `byFluency` gets, per poem, the candidate of the highest fluency alone (no title fit).
 */
function write(candidates: number, lookAhead: boolean, byFluency?: Poem[]): Poem[] {
  const loop = new WritingLoop<number>(model);
  const poems: Poem[] = new Array(held.length);
  held.forEach((p, i) => {
    const requests = planPoems(model, { keep: templates[i], title: p.title, seed: seed + i, candidates });
    for (const r of requests) r.opts.keepLookAhead = lookAhead;
    loop.addRequests(i, requests, candidates, {
      done: (ps) => (poems[i] = ps[0]!),
      failed: (err) => { throw err; },
      onCandidates: (_, cs) => byFluency && (byFluency[i] = cs.reduce((a, b) => (b.choice.fluency > a.choice.fluency ? b : a)).poem),
    });
  });
  while (loop.size) loop.step();
  return poems;
}

model.setDecodePrecision('int8'); // writing as gen writes
const t0 = Date.now();
const fluencyOnly: Poem[] = new Array(held.length);
const settings = [
  { name: 'one sample (candidates 1)', poems: write(1, true) },
  { name: `best of ${N}, fluency of the chosen characters only`, poems: write(N, false) },
  { name: `best of ${N}, kept characters measured too (look-ahead, the default)`, poems: write(N, true, fluencyOnly) },
];
settings.push({ name: `for scale: best of ${N} by that fluency alone (no title fit)`, poems: fluencyOnly });
const seconds = (Date.now() - t0) / 1000;

// a poem is printed in standard characters (src/data/standard.ts); it is measured as written, in the vocabulary's
const written = new Map<string, string>();
for (const s of model.vocab.symbols) if (!written.has(standardOf(s)) || s === standardOf(s)) written.set(standardOf(s), s);
const asWritten = (text: string) => [...text].map((ch) => (model.vocab.id(ch) !== undefined ? ch : written.get(ch) ?? ch)).join('');

/** A poem's log-probability given its title (f32: inspect's forward pass, which adds up to score's) and its kept line's. */
function measure(text: string, title: string, form: string): { whole: number; kept: number } {
  const ins = inspectPoem(model, asWritten(text), { prefix: conditionPrefix(model.vocab, form as never, title) });
  let line = 0;
  let kept = 0;
  for (const c of ins.chars) {
    if ('，。'.includes(c.ch)) line++;
    else if (line === keptLine && c.ch !== '<eos>') kept += c.logprob;
  }
  return { whole: ins.logprob, kept };
}
const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return `${mean.toFixed(2)} ± ${(sd / Math.sqrt(xs.length)).toFixed(2)}`;
};

const real = held.map((p) => measure(p.text, p.title, p.form));
const rows = settings.map((s) => ({ ...s, m: s.poems.map((p, i) => measure(p.text, held[i]!.title, held[i]!.form)) }));
for (const s of rows) s.poems.forEach((p, i) => {
  if (!p.text.includes(bareLines(held[i]!.text)[keptLine]!)) throw new Error(`poem ${i} lost its kept line: ${p.text}`);
});
const forms = FORMS.map((f) => `${f} ${held.filter((p) => p.form === f).length}`).join(', ');
console.log(`${held.length} test poems (${forms}), line ${keptLine + 1} kept, the rest rewritten on the poem's title; seed ${seed}; written in ${seconds.toFixed(1)} s on ${values.threads} thread(s)`);
console.log(`log-probability per poem (natural log, f32, given the title; mean ± standard error):`);
console.log(`| setting | whole poem | kept line | pass check |`);
console.log(`| --- | ---: | ---: | ---: |`);
console.log(`| the real poems | ${stats(real.map((m) => m.whole))} | ${stats(real.map((m) => m.kept))} | ${held.filter((p) => checkPoem(p.text).pass).length} |`);
for (const s of rows) console.log(`| ${s.name} | ${stats(s.m.map((m) => m.whole))} | ${stats(s.m.map((m) => m.kept))} | ${s.poems.filter((p) => checkPoem(p.text).pass).length} |`);
const diff = (a: typeof rows[number], b: typeof rows[number], k: 'whole' | 'kept') => stats(a.m.map((m, i) => m[k] - b.m[i]![k]));
const [one, chosen, ahead] = rows as [typeof rows[number], typeof rows[number], typeof rows[number]];
console.log(`paired differences (whole poem · kept line):`);
console.log(`  look-ahead − one sample: ${diff(ahead, one, 'whole')} · ${diff(ahead, one, 'kept')}`);
console.log(`  look-ahead − best of ${N} by the chosen characters: ${diff(ahead, chosen, 'whole')} · ${diff(ahead, chosen, 'kept')}`);
console.log(`  best of ${N} by the chosen characters − one sample: ${diff(chosen, one, 'whole')} · ${diff(chosen, one, 'kept')}`);
const same = ahead.poems.filter((p, i) => p.text === chosen.poems[i]!.text).length;
console.log(`  the two best-of-${N} settings chose the same poem for ${same} of ${held.length}`);
for (let i = 0; i < 3; i++) console.log(`  ${templates[i]} · ${held[i]!.title}: ${one.poems[i]!.text} → ${ahead.poems[i]!.text}`);
