// The judges of src/poetry/judges.ts: the Kneser-Ney 4-gram against a naive reference written
// from the formulas (string-keyed maps, no trie) on the fixture corpus, its distributions sum to 1,
// scoring a text walks the same distributions; on the full corpus it finds real held-out poems
// more fluent than their characters shuffled, and the topic judge ranks real test poems' true
// titles first well above chance while shuffled titles stay at chance.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FORMS, POEM_FORMS } from '../src/data/clean.ts';
import { readTitledSplit } from '../src/data/corpus.ts';
import { Rng, shuffle } from '../src/nn/rng.ts';
import { drawDistractors, fluencyJudge, judgeSample, topicFigure, topicJudge } from '../src/poetry/judges.ts';
import { fullCorpus } from './full-corpus.ts';

const FIXTURE = 'test/fixtures/corpus';

/**
 * Interpolated modified Kneser-Ney written directly from Chen & Goodman's formulas, n-grams as
 * joined strings: the reference the trie must match. Returns P(w | history), history starting
 * with <s>.
 */
function naiveKneserNey(texts: string[], N: number): { prob: (history: string[], w: string) => number; symbols: string[] } {
  const key = (g: string[]) => g.join('\u0001');
  const raw = new Map<string, number>();
  const left = new Map<string, Set<string>>(); // n-gram → its distinct left neighbours
  const symbols = new Set<string>(['</s>', '<unk>']);
  for (const text of texts) {
    const s = ['<s>', ...text, '</s>'];
    for (const ch of text) symbols.add(ch);
    for (let i = 1; i < s.length; i++) {
      for (let k = 1; k <= N && i - k + 1 >= 0; k++) {
        const g = s.slice(i - k + 1, i + 1);
        raw.set(key(g), (raw.get(key(g)) ?? 0) + 1);
        if (k >= 2) {
          const suffix = key(g.slice(1));
          if (!left.has(suffix)) left.set(suffix, new Set());
          left.get(suffix)!.add(g[0]!);
        }
      }
    }
  }
  const adjusted = new Map<string, number>();
  for (const [g, c] of raw) {
    const parts = g.split('\u0001');
    adjusted.set(g, parts.length === N || parts[0] === '<s>' ? c : left.get(g)!.size);
  }
  const D: number[][] = [[]];
  for (let k = 1; k <= N; k++) {
    const n = [0, 0, 0, 0, 0];
    for (const [g, a] of adjusted) if (g.split('\u0001').length === k && a <= 4) n[a]!++;
    const y = n[1]! / (n[1]! + 2 * n[2]!);
    D.push([0, 1 - (2 * y * n[2]!) / n[1]!, 2 - (3 * y * n[3]!) / n[2]!, 3 - (4 * y * n[4]!) / n[3]!]);
  }
  const context = new Map<string, { total: number; freed: number }>();
  for (const [g, a] of adjusted) {
    const parts = g.split('\u0001');
    const h = key(parts.slice(0, -1));
    const c = context.get(h) ?? { total: 0, freed: 0 };
    c.total += a;
    c.freed += D[parts.length]![Math.min(a, 3)]!;
    context.set(h, c);
  }
  const V = symbols.size;
  const prob = (history: string[], w: string) => {
    let p = 1 / V;
    for (let k = 1; k <= N && k - 1 <= history.length; k++) {
      const h = history.slice(history.length - (k - 1));
      const c = context.get(key(h));
      if (!c) break;
      const a = adjusted.get(key([...h, w])) ?? 0;
      p = (a > 0 ? a - D[k]![Math.min(a, 3)]! : 0) / c.total + (c.freed / c.total) * p;
    }
    return p;
  };
  return { prob, symbols: [...symbols] };
}

test('the 4-gram matches a naive Kneser-Ney written from the formulas, and each distribution sums to 1', () => {
  const train = readTitledSplit(FIXTURE, 'train', POEM_FORMS).map((p) => p.text);
  const held = readTitledSplit(FIXTURE, 'test', POEM_FORMS).map((p) => p.text);
  const judge = fluencyJudge(train);
  const naive = naiveKneserNey(train, 4);
  assert.equal(judge.symbols.length, naive.symbols.length);
  // contexts: a poem's start, inside train poems (long contexts seen) and inside held-out ones (backing off), and unseen characters
  const prefixes = ['', train[0]!.slice(0, 7), train[5]!.slice(0, 12), held[0]!.slice(0, 9), held[3]!.slice(0, 20), '龘龘', '。'];
  for (const prefix of prefixes) {
    const dist = judge.distribution(prefix);
    const sum = dist.reduce((s, p) => s + p, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `P(· | ${prefix || '<s>'}) sums to ${sum}`);
    assert.ok(dist.every((p) => p > 0), 'every symbol keeps some probability');
    const history = ['<s>', ...prefix];
    judge.symbols.forEach((w, i) => {
      const ref = naive.prob(history, w);
      assert.ok(Math.abs(dist[i]! - ref) <= 1e-9 * ref, `P(${w} | ${prefix || '<s>'}): ${dist[i]} against the reference ${ref}`);
    });
  }
});

test('scoring a text walks the same distributions; perplexity is per token (characters and </s>)', () => {
  const train = readTitledSplit(FIXTURE, 'train', POEM_FORMS).map((p) => p.text);
  const judge = fluencyJudge(train);
  const text = readTitledSplit(FIXTURE, 'test', FORMS)[0]!.text;
  let logProb = 0;
  const index = new Map(judge.symbols.map((s, i) => [s, i]));
  for (let i = 0; i <= text.length; i++) {
    const next = i < text.length ? text[i]! : '</s>';
    logProb += Math.log(judge.distribution(text.slice(0, i))[index.get(next) ?? index.get('<unk>')!]!);
  }
  const s = judge.score(text);
  assert.equal(s.tokens, text.length + 1);
  assert.ok(Math.abs(s.logProb - logProb) < 1e-9);
  assert.ok(Math.abs(judge.perplexity(text) - Math.exp(-logProb / s.tokens)) < 1e-9);
  assert.equal(judge.perplexity(`${text.slice(0, 5)} \n${text.slice(5)}`), judge.perplexity(text), 'whitespace is not a token');
  assert.throws(() => fluencyJudge([]), /at least one training text/);
  assert.throws(() => fluencyJudge(train, { order: 1 }), /order must be/);
});

test('topic judge: ties rank against the true title; distractors are drawn the same way each time, never the true title', () => {
  const train = readTitledSplit(FIXTURE, 'train', POEM_FORMS);
  const judge = topicJudge(train);
  const poem = train[0]!;
  assert.ok(judge.score(poem.title, poem.text) > 0, 'a train poem goes with its own title');
  assert.equal(judge.rankOfTrueTitle(poem.text, poem.title, [poem.title]), 2, 'a tie counts against the true title');
  assert.equal(judge.rankOfTrueTitle(poem.text, poem.title, []), 1);
  assert.equal(judge.score('', poem.text), 0, 'no title says nothing');
  const pool = train.map((p) => p.title);
  const d = drawDistractors(pool, 3, poem.title, 9, 7);
  assert.equal(d.length, 9);
  assert.equal(new Set(d).size, 9);
  assert.ok(!d.includes(poem.title) && !d.includes(''));
  assert.deepEqual(drawDistractors(pool, 3, poem.title, 9, 7), d, 'deterministic');
  assert.notDeepEqual(drawDistractors(pool, 4, poem.title, 9, 7), d, 'another poem meets others');
});

test('full corpus: real held-out poems are more fluent than shuffled ones; true titles rank first well above chance, shuffled titles at chance (needs chinese-poetry)', { timeout: 180_000 }, () => {
  const dir = fullCorpus();
  const train = readTitledSplit(dir, 'train', POEM_FORMS);
  const test = judgeSample(readTitledSplit(dir, 'test', FORMS), 300);

  const fluency = fluencyJudge(train.map((p) => p.text));
  const rng = new Rng(1);
  const scrambled = test.map((p) => shuffle([...p.text], rng).join(''));
  const real = fluency.corpusPerplexity(test.map((p) => p.text));
  const shuffledPpl = fluency.corpusPerplexity(scrambled);
  assert.ok(real > 50 && real < 400, `real test poems: perplexity ${real.toFixed(1)}`);
  assert.ok(shuffledPpl > 3 * real, `shuffled characters: ${shuffledPpl.toFixed(1)} against ${real.toFixed(1)}`);
  const better = test.filter((p, i) => fluency.perplexity(p.text) < fluency.perplexity(scrambled[i]!)).length;
  assert.ok(better >= 0.97 * test.length, `${better} of ${test.length} real poems beat their shuffled versions`);

  const topic = topicJudge(train);
  const pool = test.map((p) => p.title);
  const truth = topicFigure(topic, test, pool, 1);
  // each poem under the title of the poem half the sample away: as good as a random title
  const swapped = test.map((p, i) => ({ title: test[(i + 150) % test.length]!.title, text: p.text }));
  const control = topicFigure(topic, swapped, pool, 1);
  assert.ok(truth.poems > 250);
  assert.ok(truth.top1 > 0.35, `true titles first: ${(100 * truth.top1).toFixed(1)}%`);
  assert.ok(control.top1 > 0.03 && control.top1 < 0.18, `shuffled titles first: ${(100 * control.top1).toFixed(1)}% (chance 10%)`);
});
