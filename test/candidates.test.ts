// Choosing among candidates (src/domain/candidates.ts, docs/design.md §7): the figures a choice
// reports are the model's own probabilities, computed by another path (inspect's forward pass);
// the kept poem is the best candidate; N = 1 is the single sample; every mode and caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import { poemSeed, Rng } from '../src/nn/rng.ts';
import { conditionPrefix } from '../src/data/sequence.ts';
import { inspectPoem } from '../src/explain/inspect.ts';
import { generate } from '../src/poetry/generate.ts';
import { candidateStreams, choiceOf, repetition, CANDIDATE_WEIGHTS } from '../src/domain/candidates.ts';
import { writePoems, generateOptions, WriteError } from '../src/domain/write.ts';
import { API_LIMITS, DEFAULT_CANDIDATES } from '../src/domain/limits.ts';
import { isWellFormed } from '../src/poetry/forms.ts';

test('repetition counts repeated characters, bigrams and echoed lines per character', () => {
  assert.equal(repetition('白日依山尽，黄河入海流。'), 0);
  assert.equal(repetition('春风春雨，春风春雨。'), (6 + 2 + 2 * 1) / 8);
  assert.equal(repetition('明月照高楼，流光正徘徊。'), 0);
});

test('a choice: fluency and fit are the model\'s per-token log-probabilities (checked by inspect, f32), the best candidate is kept', async () => {
  const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));
  model.setDecodePrecision('f32');
  const opts = { form: 'qijue', title: '秋夜', seed: 11, candidates: 6 } as const;
  const [poem] = writePoems(model, opts);
  assert.ok(poem?.choice, 'a sampled poem says how it was chosen');
  assert.equal(poem.choice.candidates, 6);
  // the candidates, written alone from their streams (the poem's seed is poemSeed(11, 0))
  const base = generateOptions(opts);
  const written = candidateStreams(poemSeed(11, 0), 6).map((rng) => generate(model, base, rng));
  assert.ok(written.some((p) => p.text === poem.text), 'the kept poem is one of the candidates');
  // each candidate's figures by another path: inspect's log-probabilities at the positions it chose
  // (not the marks, which a qijue forces)
  const perToken = (title: string, text: string) => {
    const ins = inspectPoem(model, text, { prefix: conditionPrefix(model.vocab, 'qijue', title) });
    const chosen = ins.chars.filter((c) => !'，。'.includes(c.ch) && c.ch !== '<eos>');
    return chosen.reduce((s, c) => s + c.logprob, 0) / chosen.length;
  };
  const scores = written.map((p) => {
    const fluency = perToken(p.title, p.text);
    const fit = fluency - perToken('', p.text);
    return { fluency, fit, score: fit + CANDIDATE_WEIGHTS.fluency * fluency - CANDIDATE_WEIGHTS.repetition * repetition(p.text) };
  });
  const kept = written.findIndex((p) => p.text === poem.text);
  assert.ok(Math.abs(poem.choice.fluency - scores[kept]!.fluency) < 1e-4, `fluency ${poem.choice.fluency} vs ${scores[kept]!.fluency}`);
  assert.ok(Math.abs(poem.choice.fit - scores[kept]!.fit) < 1e-4, `fit ${poem.choice.fit} vs ${scores[kept]!.fit}`);
  for (const s of scores) assert.ok(s.score <= poem.choice.score + 1e-4, `a candidate scores ${s.score} > the kept ${poem.choice.score}`);
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
  for (const p of poems) assert.ok(['wujue', 'qijue', 'wulv', 'qilv'].includes(p.form) && isWellFormed(p.text, p.form) && p.text.startsWith('山'), `${p.form} ${p.text}`);
  assert.ok(new Set(poems.map((p) => p.form)).size > 1, 'the form is drawn per poem');
  // a start of nine characters and a mark fits no line of 5 or 7: free verse
  assert.equal(writePoems(model, { start: '白日依山尽黄河入海流，', seed: 1, candidates: 1 })[0]!.form, 'free');
  assert.equal(writePoems(model, { form: 'free', seed: 1, candidates: 1 })[0]!.form, 'free');
  assert.equal(writePoems(model, { form: 'qijue', title: '秋兴八首 其一', seed: 1, candidates: 1 })[0]!.title, '秋兴');
  assert.equal(writePoems(model, { form: 'qijue', title: '送友人 二首', seed: 1, candidates: 1 })[0]!.title, '送友人');
  assert.throws(() => writePoems(model, { title: '!!!' }), /^WriteError: title must have Han characters/);
});
