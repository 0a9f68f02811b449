// Revision (issue 20): keep what the user likes, rewrite the rest. The template reader
// (src/poetry/keep.ts) and its errors; the plans (kept characters forced where they stand, the
// 平仄 pattern and rhyme group adapted to them and known ahead); the look-ahead (a candidate's
// fluency measures the kept characters, checked against inspect's log-probabilities); the library,
// the CLI and the API (`kept` in the answer; the caps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import { conditionPrefix } from '../src/data/sequence.ts';
import { readTitledSplit } from '../src/data/corpus.ts';
import { Rng } from '../src/nn/rng.ts';
import { parseKeep, templateOf, TemplateError } from '../src/poetry/keep.ts';
import { checkPoem } from '../src/poetry/check.ts';
import { checkCi } from '../src/poetry/ci-check.ts';
import { rhymes } from '../src/poetry/prosody.ts';
import { PoetryError, bareLines, isWellFormed } from '../src/poetry/forms.ts';
import { BOS, EOS, UnknownCharacterError } from '../src/data/vocab.ts';
import { writePoems, generateOptions, WriteError, WritingLoop, planPoems, type Poem } from '../src/domain/write.ts';
import { API_LIMITS, LIMITS } from '../src/domain/limits.ts';
import { CANDIDATE_WEIGHTS, repetition } from '../src/domain/candidates.ts';
import { buildApp } from '../src/server/app.ts';
import { readFileSync } from 'node:fs';
import { FIXTURE_CORPUS, shiren } from './cli-helpers.ts';
import { replayMeasure } from './measure-helpers.ts';
import { makePlan } from '../src/poetry/plan-ci.ts';

const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));

/** The kept characters of a poem, as (line, index) → character, from its `kept`. */
const keptChars = (p: Poem) => p.kept!.flatMap((idx, i) => idx.map((j) => `${i}:${j}:${[...p.lines[i]!][j]}`));
/** The same from a template: every Han character with its line and index. */
const templateChars = (t: string) => parseKeep(t).lines.flatMap((line, i) => line.flatMap((c, j) => (c === null ? [] : [`${i}:${j}:${c}`])));

test('a template: ＿ _ ？ ? mark what is written; its shape is its form; line breaks and no marks at all', () => {
  const t = parseKeep('白日依山尽，＿_？?＿。欲穷千里目，更上一层楼。');
  assert.equal(t.form, 'wujue');
  assert.deepEqual(t.lines[1], [null, null, null, null, null]);
  assert.deepEqual(t.lines[0], [...'白日依山尽']);
  assert.deepEqual(t.marks, ['，', '。', '，', '。']);
  // no line ends: laid out by its count (28 → qijue); lines by line breaks; marks made canonical
  assert.equal(parseKeep('＿'.repeat(27) + '山').form, 'qijue');
  assert.deepEqual(parseKeep('＿＿＿＿＿\n＿＿＿＿＿\n＿＿＿＿＿\n＿＿＿＿楼').marks, ['，', '。', '，', '。']);
  assert.equal(parseKeep('＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿＿；＿＿＿＿楼').form, 'wujue');
  assert.equal(parseKeep('＿'.repeat(56)).form, 'qilv');
  // free: its own lines and marks, the last closing the poem
  const free = parseKeep('春风＿＿＿！＿＿，花开？', 'free');
  assert.deepEqual(free.lines.map((l) => l.length), [5, 2, 3]);
  assert.deepEqual(free.marks, ['！', '，', '。']);
  // the page's template: the poem's lines with the kept indices
  assert.equal(templateOf(['白日依山尽，', '黄河入海流。'], [[0, 4], []]), '白＿＿＿尽，＿＿＿＿＿。');
});

test('template errors are one line saying what and where', () => {
  const bad: [string, string | undefined, RegExp][] = [
    ['白日依山尽，＿＿＿＿。欲穷千里目，更上一层楼。', undefined, /^line 2 has 4 characters where a wujue's lines have 5: .*needs form free$/],
    ['白日依山尽，＿＿＿＿＿。欲穷千里目，更上一层楼。', 'qijue', /^the template is a wujue \(4 lines of 5\), not a qijue$/],
    ['＿＿＿＿＿＿＿，＿＿＿＿＿＿＿。', 'qijue', /^the template has 2 lines; a qijue has 4 lines of 7 characters$/],
    ['＿＿＿＿＿＿', undefined, /^the template has 6 characters and no line ends: a wujue has 20, a qijue 28/],
    ['白日依山尽，黄河入海流。', undefined, /^the template marks nothing to write/],
    ['', undefined, /^the template is empty/],
    ['，＿＿＿＿＿', undefined, /^the template's mark '，' \(character 1\) closes an empty line/],
    ['白日a山尽', undefined, /^the template's 'a' \(character 3\) is neither a Han character/],
    ['＿＿＿＿＿，，', 'free', /closes an empty line/],
  ];
  for (const [template, form, message] of bad) {
    assert.throws(() => parseKeep(template, form as never), (e: Error) => e instanceof TemplateError && e instanceof PoetryError && message.test(e.message) && !e.message.includes('\n'), `${template}: ${message}`);
  }
});

test('a kept line stays verbatim, the rest is written under the rules: the poem passes check and rhymes with the kept line', () => {
  for (const [keep, title] of [
    ['白日依山尽，＿＿＿＿＿。欲穷千里目，更上一层楼。', '登鹳雀楼'],
    ['＿＿＿＿＿＿＿，千里江陵一日还。＿＿＿＿＿＿＿，＿＿＿＿＿＿＿。', '早发白帝城'],
    ['＿＿＿＿＿，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿＿。国破山河在，城春草木深。＿＿＿＿＿，＿＿＿＿＿。', '春望'],
  ] as const) {
    const poems = writePoems(model, { keep, title, seed: 3, count: 3, candidates: 4 });
    for (const p of poems) {
      assert.deepEqual(keptChars(p), templateChars(keep), p.text);
      assert.equal(p.title, title);
      const check = checkPoem(p.text);
      assert.ok(check.pass, `${p.text}: ${check.faults.map((f) => f.message).join('; ')}`);
    }
  }
});

test('look-ahead of the rules: scattered kept characters of real poems that pass check give poems that pass check', () => {
  // each kept character fixes its tone, so the characters before it are chosen to fit the line with it
  // (孤平, 三平尾, the pattern); a kept rhyme sets the group that earlier rhymes follow
  const real = (['wujue', 'qijue', 'wulv', 'qilv'] as const).flatMap((form) => readTitledSplit(FIXTURE_CORPUS, 'test', [form]).filter((p) => checkPoem(p.text).pass).slice(0, 6));
  assert.ok(real.length >= 20);
  const rng = new Rng(5);
  let rhymeKept = 0;
  for (const p of real) {
    const lines = bareLines(p.text);
    const kept = lines.map((line, i) => [...line].flatMap((_, j) => (rng.next() < 0.3 || (i === lines.length - 1 && j === line.length - 1) ? [j] : [])));
    if (kept.at(-1)!.length) rhymeKept++;
    const keep = templateOf(lines.map((l, i) => l + (i % 2 ? '。' : '，')), kept);
    if (model.vocab.unknown(keep.replace(/＿/gu, '')).length) continue;
    const [poem] = writePoems(model, { keep, title: p.title, seed: 1, candidates: 2 });
    assert.deepEqual(keptChars(poem!), templateChars(keep));
    const check = checkPoem(poem!.text);
    assert.ok(check.pass, `${keep} → ${poem!.text}: ${check.faults.map((f) => f.message).join('; ')}`);
  }
  assert.ok(rhymeKept >= 20);
});

test('single kept characters: a kept rhyme at the end sets the group of the rhymes before it', () => {
  const keep = '＿＿＿＿＿，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿楼。';
  for (const p of writePoems(model, { keep, seed: 8, count: 4, candidates: 2 })) {
    const lines = bareLines(p.text);
    assert.equal(lines[3]!.at(-1), '楼');
    assert.ok(rhymes(lines[1]!.at(-1)!, '楼'), p.text);
    assert.ok(checkPoem(p.text).pass, p.text);
  }
});

test('a kept character that breaks the rules is kept, and the rules around it adapt', () => {
  // 仄 rhymes (月, 雪) where a 平 rhyme belongs: kept; the other even lines still rhyme with each other
  const keep = '＿＿＿＿＿，＿＿＿＿月。＿＿＿＿＿，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿＿。';
  for (const p of writePoems(model, { keep, seed: 2, count: 3, candidates: 2 })) {
    const ends = bareLines(p.text).map((l) => l.at(-1)!);
    assert.equal(ends[1], '月');
    assert.ok([3, 5, 7].every((i) => rhymes(ends[i]!, ends[3]!)), p.text);
    // the faults are the kept character's own: the rest follows the pattern
    const faults = checkPoem(p.text).faults.filter((f) => !(f.line === 2 && f.pos === 5) && f.kind !== 'rhyme');
    assert.deepEqual(faults, [], p.text);
  }
  // a kept line of no pattern (all 平) is kept; the other lines still follow one
  const flat = writePoems(model, { keep: '春风吹花开，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿＿。', seed: 4, candidates: 2 })[0]!;
  assert.equal(bareLines(flat.text)[0], '春风吹花开');
  assert.ok(checkPoem(flat.text).faults.every((f) => f.line === 1 || f.kind === 'nian' || f.kind === 'dui'), flat.text);
  // a rhyme group asked for that a kept rhyme is not in: one line saying which
  assert.throws(() => writePoems(model, { keep: '＿＿＿＿＿，＿＿＿＿楼。＿＿＿＿＿，＿＿＿＿＿。', rhymeGroup: '东', seed: 1 }),
    (e: Error) => e instanceof PoetryError && /^the kept rhyme '楼' \(line 2\) does not rhyme in 东/.test(e.message));
});

test('look-ahead: a candidate\'s fluency counts the kept characters\' log-probabilities (full distribution; those it chose among the allowed ids; replayed by full steps); keepLookAhead false counts only those it chose', async () => {
  model.setDecodePrecision('f32');
  try {
    const keep = '＿＿＿＿＿，＿＿＿＿＿。欲穷千里目，更上一层楼。';
    const title = '登楼';
    for (const lookAhead of [true, false]) {
      const requests = planPoems(model, { keep, title, seed: 6, candidates: 4 });
      requests.forEach((r) => (r.opts.keepLookAhead = lookAhead));
      const loop = new WritingLoop<number>(model);
      let poem: Poem | undefined;
      loop.addRequests(0, requests, 4, { done: (p) => (poem = p[0]), failed: (e) => { throw e; } });
      while (loop.size) loop.step();
      const perToken = (t: string) => {
        const { sum, count } = replayMeasure(model, makePlan(model.vocab, requests[0]!.opts), [BOS, ...conditionPrefix(model.vocab, 'wujue', t)], [...model.vocab.encode(poem!.text), EOS], lookAhead);
        return { mean: sum / count, n: count };
      };
      const titled = perToken(title);
      assert.equal(titled.n, lookAhead ? 20 : 10);
      assert.ok(Math.abs(poem!.choice!.fluency - titled.mean) < 1e-4, `fluency ${poem!.choice!.fluency} vs ${titled.mean}`);
      const fit = titled.mean - perToken('').mean;
      assert.ok(Math.abs(poem!.choice!.fit - fit) < 1e-4, `fit ${poem!.choice!.fit} vs ${fit}`);
      assert.ok(Math.abs(poem!.choice!.score - (fit + CANDIDATE_WEIGHTS.fluency * titled.mean - repetition(poem!.text))) < 1e-4);
    }
  } finally {
    model.setDecodePrecision('int8');
  }
});

test('a 词 to a tune keeps its kept lines; its 片 and format hold; a template of the wrong count says the tune\'s', () => {
  const keep = '一曲新词酒一杯，去年天气旧亭台，＿＿＿＿＿＿＿。＿＿＿＿＿＿＿，＿＿＿＿＿＿＿，小园香径独徘徊。';
  const [p] = writePoems(model, { keep, cipai: '浣溪沙', seed: 2, candidates: 2 });
  assert.equal(p!.form, 'ci');
  assert.equal(p!.stanzas!.length, 2);
  assert.deepEqual(p!.kept, [[0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5, 6], [], [], [], [0, 1, 2, 3, 4, 5, 6]]);
  assert.ok(p!.text.startsWith('一曲新词酒一杯') && p!.text.endsWith('小园香径独徘徊。'), p!.text);
  assert.ok(checkCi(p!.text, { cipai: '浣溪沙', variant: 1 }).pass, p!.text);
  assert.throws(() => writePoems(model, { keep: '一曲＿＿', cipai: '浣溪沙', seed: 1 }), (e: Error) => e instanceof PoetryError && /^the template has 4 characters; a 浣溪沙 \(format 1, .*\) has 42$/.test(e.message));
});

test('a free template keeps its lines and marks', () => {
  const [p] = writePoems(model, { keep: '春风＿＿＿！＿＿＿＿，花开？？。', form: 'free', seed: 2, candidates: 2 });
  assert.equal(p!.form, 'free');
  assert.deepEqual(p!.lines.map((l) => [...l].length), [6, 5, 5]);
  assert.deepEqual(p!.lines.map((l) => l.at(-1)), ['！', '，', '。']);
  assert.deepEqual(p!.kept, [[0, 1], [], [0, 1]]);
  assert.ok(isWellFormed(p!.text, 'free'));
  // tones need a regulated form
  assert.throws(() => writePoems(model, { keep: '春风＿＿＿！', form: 'free', tones: true }), /tones needs a regulated form/);
});

test('keep: what it takes and refuses (start, acrostic, unknown characters named, the caps)', () => {
  assert.throws(() => generateOptions({ keep: '＿＿', start: '山' }), (e: Error) => e instanceof WriteError && /^keep takes no start text/.test(e.message));
  assert.throws(() => generateOptions({ keep: '＿＿', acrostic: '春夏秋冬' }), (e: Error) => e instanceof WriteError && /^keep takes no acrostic/.test(e.message));
  assert.throws(() => generateOptions({ keep: '＿'.repeat(LIMITS.keepChars + 1) }), (e: Error) => e instanceof WriteError && /^keep must be a template of at most 320 characters/.test(e.message));
  assert.throws(() => generateOptions({ keep: 5 as unknown as string }), WriteError);
  assert.ok(API_LIMITS.keepChars >= 300, 'a long 词 with its marks fits the API');
  assert.throws(() => writePoems(model, { keep: '＿＿＿＿＿，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿𠀀。', seed: 1 }),
    (e: Error) => e instanceof UnknownCharacterError && /in the template.*𠀀/.test(e.message));
  // candidates 1 (one sample) keeps the kept characters too; greedy and beam search as well
  for (const extra of [{ candidates: 1 }, { greedy: true }, { beam: 3 }]) {
    const [p] = writePoems(model, { keep: '白日依山尽，＿＿＿＿＿。欲穷千里目，更上一层楼。', seed: 1, ...extra });
    assert.ok(p!.text.startsWith('白日依山尽，') && p!.text.endsWith('欲穷千里目，更上一层楼。'), p!.text);
    assert.ok(checkPoem(p!.text).pass, p!.text);
  }
});

test('gen --keep: the poem, --json marks the kept characters; a bad template exits 1 with one line', () => {
  const keep = '白日依山尽，＿＿＿＿＿。欲穷千里目，更上一层楼。';
  const r = shiren(['gen', '--keep', keep, '--seed', '1', '--candidates', '2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [p] = JSON.parse(r.stdout).poems;
  assert.deepEqual(p.kept, [[0, 1, 2, 3, 4], [], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]);
  assert.equal(p.form, 'wujue');
  const text = shiren(['gen', '--keep', keep, '--seed', '1', '--candidates', '2', '--title', '登楼']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^《登楼》\n白日依山尽，\n.{5}。\n欲穷千里目，\n更上一层楼。\n$/u);
  for (const [args, message] of [
    [['--keep', '白日依山尽，＿＿＿＿。欲穷千里目，更上一层楼。'], /^shiren: line 2 has 4 characters where a wujue's lines have 5/],
    [['山', '--keep', '＿＿＿＿＿，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿＿。'], /^shiren: --keep takes no start text/],
    [['--keep', '＿＿＿＿＿，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿＿。', '--form', 'qijue'], /^shiren: the template is a wujue \(4 lines of 5\), not a qijue/],
  ] as const) {
    const bad = shiren(['gen', ...args, '--seed', '1']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, message);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  }
});

test('POST /api/generate takes keep (schema-checked, capped) and answers with kept', async () => {
  const app = await buildApp({ model, modelBytes: readFileSync(resolveModelFile()) });
  try {
    const ok = await app.inject({ method: 'POST', url: '/api/generate', payload: { keep: '＿＿＿＿＿，＿＿＿＿＿。＿＿＿＿＿，＿＿＿＿楼。', seed: 1, candidates: 2 } });
    assert.equal(ok.statusCode, 200, ok.body);
    const [p] = ok.json().poems;
    assert.deepEqual(p.kept, [[], [], [], [4]]);
    assert.equal(bareLines(p.text)[3].at(-1), '楼');
    for (const payload of [{ keep: '' }, { keep: '＿'.repeat(API_LIMITS.keepChars + 1) }, { keep: 3 }]) {
      const bad = await app.inject({ method: 'POST', url: '/api/generate', payload });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.ok(bad.json().error);
    }
    const wrong = await app.inject({ method: 'POST', url: '/api/generate', payload: { keep: '白日依山尽，＿＿＿＿。欲穷千里目，更上一层楼。' } });
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.match(wrong.json().error, /^line 2 has 4 characters/);
  } finally {
    await app.close();
  }
});
