/**
 * How well the independent 对联 judge (src/poetry/duilian-judge.ts) tells a real 下联 from others,
 * counted on the train pairs of a corpus and measured on held-out ones (issue 20):
 *   - against a random line of the same length (the 下联 of another held-out pair);
 *   - against a random such line that also passes checkDuilian under this 上联 (the rules met, so
 *     only the pairing of meanings is left to tell them apart).
 * Prints the share of pairs where the judge scores the real 下联 higher, on --split (valid chooses
 * β; test reports), for a few β.
 * Usage: node --import tsx tools/duilian-judge.ts [--corpus data/corpus] [--split test] [--count 2000] [--seed 1]
 */
import { parseArgs } from 'node:util';
import { readTitledSplit } from '../src/data/corpus.ts';
import { pairOfEntry } from '../src/data/duilian.ts';
import { Rng } from '../src/nn/rng.ts';
import { checkDuilian } from '../src/poetry/duilian.ts';
import { DuilianJudge } from '../src/poetry/duilian-judge.ts';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: 'data/corpus' },
    split: { type: 'string', default: 'test' },
    count: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
  },
});
const train = readTitledSplit(values.corpus, 'train', ['duilian']).map(pairOfEntry);
const held = readTitledSplit(values.corpus, values.split as 'test', ['duilian']).map(pairOfEntry);
const rng = new Rng(Number(values.seed));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
const byLength = new Map<number, string[]>();
for (const p of held) byLength.set([...p.lower].length, [...(byLength.get([...p.lower].length) ?? []), p.lower]);

// the same draws for every β: each held-out pair with one random line and one random passing line
const trials = held.slice(0, Number(values.count)).map((p) => {
  const same = byLength.get([...p.lower].length)!.filter((l) => l !== p.lower);
  let passing: string | undefined;
  for (let k = 0; k < 200 && passing === undefined; k++) {
    const l = pick(same);
    if (checkDuilian(p.upper, l).pass) passing = l;
  }
  return { ...p, random: pick(same), passing };
});
console.log(`${train.length} train pairs; ${trials.length} ${values.split} pairs (${trials.filter((t) => t.passing).length} with a passing random line)`);
for (const beta of [1, 5, 20]) {
  const judge = DuilianJudge.fromPairs(train, { beta });
  const share = (other: 'random' | 'passing') => {
    const ts = trials.filter((t) => t[other] !== undefined);
    return ((100 * ts.filter((t) => judge.score(t.upper, t.lower) > judge.score(t.upper, t[other]!)).length) / ts.length).toFixed(1);
  };
  console.log(`β ${beta}: real preferred to a random line ${share('random')}%, to a random line that passes the checker ${share('passing')}%`);
}
