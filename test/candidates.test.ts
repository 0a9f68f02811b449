// Choosing among candidates (src/domain/candidates.ts, docs/design.md §7): the figures a choice
// reports are the model's own probabilities, computed by another path (inspect's forward pass);
// the kept poem is the best candidate; N = 1 is the single sample; every mode and caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import { poemSeed, Rng } from '../src/nn/rng.ts';
import { conditionPrefix } from '../src/data/sequence.ts';
import { generate } from '../src/poetry/generate.ts';
import { candidateStreams, choiceOf, repetition, CANDIDATE_WEIGHTS } from '../src/domain/candidates.ts';
import { writePoems, generateOptions, WriteError, type WriteOptions } from '../src/domain/write.ts';
import { makePlan } from '../src/poetry/plan-ci.ts';
import { replayMeasure } from './measure-helpers.ts';
import { BOS, EOS } from '../src/data/vocab.ts';
import { API_LIMITS, DEFAULT_CANDIDATES } from '../src/domain/limits.ts';
import { isWellFormed } from '../src/poetry/forms.ts';
import type { Form } from '../src/data/clean.ts';

test('repetition counts repeated characters, bigrams and echoed lines per character', () => {
  assert.equal(repetition('白日依山尽，黄河入海流。'), 0);
  assert.equal(repetition('春风春雨，春风春雨。'), (6 + 2 + 2 * 1) / 8);
  assert.equal(repetition('明月照高楼，流光正徘徊。'), 0);
});

test('a choice on a title it wrote: the model writes one title (from candidate 0\'s stream) and the candidates are written on it with their twins; fit and fluency replayed by full steps (f32); the best is kept', async () => {
  const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));
  model.setDecodePrecision('f32');
  const opts = { form: 'qijue', seed: 11, candidates: 6 } as const;
  let candidates: { poem: { text: string; title: string }; choice: { fit: number; fluency: number; score: number } }[] = [];
  const [poem] = writePoems(model, opts, { onCandidates: (_, c) => (candidates = c) });
  assert.ok(poem?.choice, 'a sampled poem says how it was chosen');
  assert.equal(poem.choice.candidates, 6);
  // the title, written alone from candidate 0's stream (the poem's seed is poemSeed(11, 0))
  const base = generateOptions(opts);
  const title = generate(model, { ...base, titleOnly: true }, candidateStreams(poemSeed(11, 0), 6)[0]!).title;
  assert.ok([...title].length >= 2, `a title: '${title}'`);
  assert.equal(poem.title, title);
  assert.ok(candidates.some((c) => c.poem.text === poem.text), 'the kept poem is one of the candidates');
  // each candidate's figures by another path: full steps, the plan replayed, at the positions it
  // chose (not the marks, which a qijue forces)
  const perToken = (t: string, text: string) => perTokenAmong(model, opts, [BOS, ...conditionPrefix(model.vocab, 'qijue', t)], text);
  for (const c of candidates) {
    assert.equal(c.poem.title, title);
    const fluency = perToken(title, c.poem.text);
    const fit = fluency - perToken('', c.poem.text);
    assert.ok(Math.abs(c.choice.fluency - fluency) < 1e-4, `fluency ${c.choice.fluency} vs ${fluency}`);
    assert.ok(Math.abs(c.choice.fit - fit) < 1e-4, `fit ${c.choice.fit} vs ${fit}`);
    assert.ok(Math.abs(c.choice.score - (fit + CANDIDATE_WEIGHTS.fluency * fluency - CANDIDATE_WEIGHTS.repetition * repetition(c.poem.text))) < 1e-4);
    assert.ok(c.choice.score <= poem.choice.score, `a candidate scores ${c.choice.score} > the kept ${poem.choice.score}`);
  }
});

/** Per-token log P of the body's chosen tokens among the ids the plan allowed (test/measure-helpers.ts). */
function perTokenAmong(model: ReturnType<typeof readModelFile>, opts: WriteOptions, prefix: number[], text: string): number {
  const { sum, count } = replayMeasure(model, makePlan(model.vocab, generateOptions(opts)), prefix, [...model.vocab.encode(text), EOS]);
  return sum / count;
}

test('a choice on a given title: its untitled twin measures fit and fluency among the ids the rules allowed (replayed by full steps), guidance pulls towards the title, the best is kept', async () => {
  const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));
  model.setDecodePrecision('f32');
  const vocab = model.vocab;
  const opts = { form: 'qijue', title: '秋夜', seed: 11, candidates: 6, guidance: 1 } as const;
  let candidates: { poem: { text: string }; choice: { fit: number; fluency: number; score: number }; steps: readonly number[]; untitledSteps?: readonly number[] }[] = [];
  const [poem] = writePoems(model, opts, { onCandidates: (_, c) => (candidates = c) });
  assert.equal(candidates.length, 6);
  for (const c of candidates) {
    // the per-token figures the tools read add up to the choice's
    const mean = (a: readonly number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    assert.equal(c.steps.length, c.untitledSteps!.length);
    assert.ok(Math.abs(mean(c.steps) - c.choice.fluency) < 1e-9 && Math.abs(mean(c.steps) - mean(c.untitledSteps!) - c.choice.fit) < 1e-9);
    const fluency = perTokenAmong(model, opts, [BOS, ...conditionPrefix(vocab, 'qijue', '秋夜')], c.poem.text);
    const fit = fluency - perTokenAmong(model, opts, [BOS, ...conditionPrefix(vocab, 'qijue', '')], c.poem.text);
    assert.ok(Math.abs(c.choice.fluency - fluency) < 1e-4, `fluency ${c.choice.fluency} vs ${fluency}`);
    assert.ok(Math.abs(c.choice.fit - fit) < 1e-4, `fit ${c.choice.fit} vs ${fit}`);
    assert.ok(c.choice.score <= poem!.choice!.score, 'the kept poem scores best');
  }
  assert.ok(candidates.some((c) => c.poem.text === poem!.text));
  // guidance 0 samples from the model's own distribution: the candidates are the single samples of their streams
  const plain: string[] = [];
  writePoems(model, { ...opts, guidance: 0 }, { onCandidates: (_, c) => plain.push(...c.map((x) => x.poem.text)) });
  const base = generateOptions(opts);
  assert.deepEqual(plain, candidateStreams(poemSeed(11, 0), 6).map((rng) => generate(model, base, rng).text));
  // and guidance raises the candidates' fit (3 titles × 8 candidates)
  const meanFit = (guidance: number) => {
    let sum = 0, n = 0;
    for (const title of ['秋夜', '送友人', '江上']) writePoems(model, { form: 'wujue', title, seed: 3, candidates: 8, guidance }, { onCandidates: (_, c) => c.forEach((x) => ((sum += x.choice.fit), n++)) });
    return sum / n;
  };
  const [g0, g2] = [meanFit(0), meanFit(2)];
  assert.ok(g2 > g0, `mean fit with guidance 2 (${g2}) above guidance 0 (${g0})`);
  assert.throws(() => generateOptions({ guidance: -1 }), /^WriteError: guidance must be a number from 0 to 10, got -1/);
});

test('candidates 1 is the single sample of before; the default applies when sampling only; a seed gives the same poem alone or with others', async () => {
  const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));
  const one = writePoems(model, { form: 'wujue', seed: 4, count: 2, candidates: 1 });
  one.forEach((p, i) => assert.deepEqual(p, generate(model, { form: 'wujue' }, new Rng(poemSeed(4, i)))));
  assert.equal(writePoems(model, { form: 'wujue', seed: 4 })[0]!.choice?.candidates, DEFAULT_CANDIDATES);
  assert.equal(writePoems(model, { form: 'wujue', greedy: true })[0]!.choice, undefined);
  assert.equal(writePoems(model, { form: 'wujue', beam: 3 })[0]!.choice, undefined);
  // poem 1 of a call of 3 is poem 1 of a call of 2: its own seed alone decides
  const three = writePoems(model, { form: 'qijue', acrostic: '春秋山水', seed: 8, count: 3, candidates: 4 });
  const two = writePoems(model, { form: 'qijue', acrostic: '春秋山水', seed: 8, count: 2, candidates: 4 });
  assert.deepEqual(three.slice(0, 2), two);
  for (const p of three) assert.deepEqual([...p.lines].map((l) => l[0]), [...'春秋山水']);
});

test('candidates: one-line errors for what cannot be asked', () => {
  assert.throws(() => generateOptions({ candidates: 0 }), /^WriteError: candidates must be an integer from 1 to/);
  assert.throws(() => generateOptions({ candidates: 4, greedy: true }), (e: Error) => e instanceof WriteError && /candidates need sampling/.test(e.message));
  assert.throws(() => generateOptions({ candidates: 4, beam: 2 }), /candidates need sampling/);
  assert.throws(() => generateOptions({ count: 20, candidates: 64 }, API_LIMITS), /at most 320 poems × candidates per request, asked for 20 × 64/);
  assert.doesNotThrow(() => generateOptions({ count: 20 }, API_LIMITS));
});

test('choiceOf: an untitled poem or an unconditional model has no fit; a poem that chose nothing scores 0', () => {
  assert.deepEqual(choiceOf(2, { logprob: -8, tokens: 2 }, undefined, '山水，'), { candidates: 2, fit: 0, fluency: -4, repetition: 0, score: CANDIDATE_WEIGHTS.fluency * -4 });
  assert.equal(choiceOf(2, { logprob: 0, tokens: 0 }, { logprob: 0, tokens: 0 }, '山水，').score, 0);
});

test('what a newcomer meets: no --form writes a regulated form the model picks (free when the start fits none); a title is cleaned as the corpus cleans titles', async () => {
  const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));
  const poems = writePoems(model, { start: '山', count: 8, seed: 3, candidates: 1 });
  for (const p of poems) assert.ok(['wujue', 'qijue', 'wulv', 'qilv'].includes(p.form) && isWellFormed(p.text, p.form as Form) && p.text.startsWith('山'), `${p.form} ${p.text}`);
  assert.ok(new Set(poems.map((p) => p.form)).size > 1, 'the form is drawn per poem');
  // a start of nine characters and a mark fits no line of 5 or 7: free verse
  assert.equal(writePoems(model, { start: '白日依山尽黄河入海流，', seed: 1, candidates: 1 })[0]!.form, 'free');
  assert.equal(writePoems(model, { form: 'free', seed: 1, candidates: 1 })[0]!.form, 'free');
  assert.equal(writePoems(model, { form: 'qijue', title: '秋兴八首 其一', seed: 1, candidates: 1 })[0]!.title, '秋兴');
  assert.equal(writePoems(model, { form: 'qijue', title: '送友人 二首', seed: 1, candidates: 1 })[0]!.title, '送友人');
  assert.throws(() => writePoems(model, { title: '!!!' }), /^WriteError: title must have Han characters/);
});
