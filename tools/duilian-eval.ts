/**
 * How well `shiren duilian` answers held-out 上联 (issue 20): for --count test pairs whose 上联
 * ends in 仄 (a fixed shuffle by --seed), the model writes one 下联 each (writeDuilian's plan and
 * candidates, all pairs in one WritingLoop), and this prints
 *   - the share of written 下联 that pass checkDuilian (the target is 100%);
 *   - how often the independent PMI judge (src/poetry/duilian-judge.ts, counted on the train
 *     pairs) prefers the real 下联 to the model's;
 *   - how often it prefers the model's 下联 to a random test 下联 of the same length (another pair's).
 * Ties (equal scores) count half. Also the reading (how the model read the 上联) and the time.
 * Usage: node --import tsx tools/duilian-eval.ts [--corpus DIR (default: the full test corpus,
 *   test/full-corpus.ts)] [--model F] [--count 500] [--seed 1] [--candidates N] [--guidance G] [--threads 1]
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { readTitledSplit } from '../src/data/corpus.ts';
import { pairOfEntry, type DuilianPair } from '../src/data/duilian.ts';
import { Rng } from '../src/nn/rng.ts';
import { loadModel } from '../src/domain/model.ts';
import { duilianAnswers, planDuilian, type DuilianCall } from '../src/domain/duilian.ts';
import { WritingLoop, type Poem } from '../src/domain/write.ts';
import { checkDuilian, duilianSlots } from '../src/poetry/duilian.ts';
import { DuilianJudge } from '../src/poetry/duilian-judge.ts';
import { MAX_DUILIAN_CHARS } from '../src/poetry/plan-duilian.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    model: { type: 'string' },
    count: { type: 'string', default: '500' },
    seed: { type: 'string', default: '1' },
    candidates: { type: 'string' },
    guidance: { type: 'string' },
    threads: { type: 'string', default: '1' },
  },
});
const corpus = values.corpus ?? (existsSync('data/corpus/stats.json') ? 'data/corpus' : (await import('../test/full-corpus.ts')).fullCorpus());
const train = readTitledSplit(corpus, 'train', ['duilian']).map(pairOfEntry);
const test = readTitledSplit(corpus, 'test', ['duilian']).map(pairOfEntry);
const model = await loadModel(values.model, { engine: 'wasm', threads: Number(values.threads) });

/** Whether a pair's 上联 can be answered: one clause ending in 仄, known characters, not too long. */
const answerable = (p: DuilianPair): boolean => {
  try {
    duilianSlots(p.upper);
  } catch {
    return false;
  }
  return [...p.upper].length <= MAX_DUILIAN_CHARS && model.vocab.unknown(p.upper).length === 0;
};
const rng = new Rng(Number(values.seed));
const shuffled = test.filter(answerable);
for (let i = shuffled.length - 1; i > 0; i--) {
  const j = Math.floor(rng.next() * (i + 1));
  [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
}
const held = shuffled.slice(0, Number(values.count));
const byLength = new Map<number, string[]>();
for (const p of test) byLength.set([...p.lower].length, [...(byLength.get([...p.lower].length) ?? []), p.lower]);
const randomLine = (p: DuilianPair): string => {
  const same = byLength.get([...p.lower].length)!.filter((l) => l !== p.lower);
  return same[Math.floor(rng.next() * same.length)]!;
};

// all pairs in one loop (batched like the server), pair i from seed + i
const t0 = Date.now();
const loop = new WritingLoop<number>(model);
const lowers: string[] = new Array(held.length);
let reading = '';
held.forEach((p, i) => {
  const call: DuilianCall = planDuilian(model, { upper: p.upper, seed: Number(values.seed) + i, candidates: values.candidates ? Number(values.candidates) : undefined, guidance: values.guidance ? Number(values.guidance) : undefined });
  loop.addRequests(i, call.requests, call.candidates, {
    done: (poems: Poem[]) => {
      const r = duilianAnswers(call, poems);
      reading = r.reading;
      lowers[i] = r.pairs[0]!.lower;
    },
    failed: (err) => {
      throw err;
    },
  });
});
while (loop.size) loop.step();
const seconds = (Date.now() - t0) / 1000;

const judge = DuilianJudge.fromPairs(train);
const prefer = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0);
let pass = 0, realOverModel = 0, modelOverRandom = 0, realOverRandom = 0;
held.forEach((p, i) => {
  const lower = lowers[i]!;
  if (checkDuilian(p.upper, lower).pass) pass++;
  const random = randomLine(p);
  const [real, mine, other] = [judge.score(p.upper, p.lower), judge.score(p.upper, lower), judge.score(p.upper, random)];
  realOverModel += prefer(real, mine);
  modelOverRandom += prefer(mine, other);
  realOverRandom += prefer(real, other);
});
const pct = (x: number) => `${((100 * x) / held.length).toFixed(1)}%`;
console.log(`${train.length} train pairs (the judge); ${held.length} of ${test.filter(answerable).length} answerable test pairs (上联 ending in 仄) of ${test.length}; reading '${reading}'; ${seconds.toFixed(1)} s on ${values.threads} thread(s)`);
console.log(`written 下联 that pass checkDuilian: ${pct(pass)}`);
console.log(`judge prefers the real 下联 to the model's: ${pct(realOverModel)}`);
console.log(`judge prefers the model's 下联 to a random test line of the same length: ${pct(modelOverRandom)}`);
console.log(`(for scale: the real 下联 to the same random line: ${pct(realOverRandom)})`);
for (let i = 0; i < 5 && i < held.length; i++) console.log(`  ${held[i]!.upper} / ${held[i]!.lower} (real) / ${lowers[i]} (model)`);
