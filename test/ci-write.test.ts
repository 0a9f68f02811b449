// Writing 词 to a tune (src/poetry/plan-ci.ts, issue 19): the bundled model (trained with <ci>,
// so it reads the tune as a 词's title, <ci> TUNE <sep>) writes 词 that pass the strict checker (one 部 per
// rhyme group) for their format; the result's shape; the errors; the CLI's --cipai.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import { writePoems, WriteError } from '../src/domain/write.ts';
import { checkCi } from '../src/poetry/ci-check.ts';
import { findTune, formatOf } from '../src/poetry/cipu.ts';
import { PoetryError } from '../src/poetry/forms.ts';
import { readFileSync } from 'node:fs';
import { buildApp } from '../src/server/app.ts';
import { shiren } from './cli-helpers.ts';

const model = readModelFile(resolveModelFile(), await selectKernels({ engine: 'wasm', threads: 1 }));

for (const cipai of ['浣溪沙', '菩萨蛮', '西江月', '水调歌头', '归字谣']) {
  test(`${cipai}: written 词 pass the strict check of their format`, () => {
    const poems = writePoems(model, { form: 'ci', cipai, count: 2, seed: 11, candidates: 1 });
    const f = formatOf(findTune(cipai), 1);
    for (const p of poems) {
      const r = checkCi(p.text, { cipai, variant: 1, strictRhyme: true });
      assert.ok(r.pass, `${p.text}: ${r.faults.map((x) => x.message).join('; ')}`);
      assert.equal(p.cipai, f.tune);
      assert.equal(p.variant, 1);
      assert.equal(p.stanzas!.length, f.stanzas.length);
      assert.deepEqual(p.stanzas!.map((s) => [...s.join('').replace(/[，。]/g, '')].length), [...f.stanzas]);
      assert.deepEqual(p.stanzas!.flat(), p.lines);
      assert.equal(p.lines.join(''), p.text);
    }
  });
}

test('the alias finds the tune: 十六字令 is 归字谣; the title is the tune; the bundled model reads it under <ci>', () => {
  const [p] = writePoems(model, { cipai: '十六字令', seed: 3, candidates: 1 });
  assert.equal(p!.form, 'ci');
  assert.equal(p!.cipai, '归字谣');
  assert.equal(p!.title, '归字谣');
  assert.equal(p!.tuneRead, 'ci');
  assert.equal([...p!.text.replace(/[，。]/g, '')].length, 16);
});

test('another format of a tune (--variant) and candidates (the default when sampling) keep the format', () => {
  const tune = findTune('浣溪沙');
  const f = formatOf(tune, 2);
  const [p] = writePoems(model, { cipai: '浣溪沙', variant: 2, seed: 5, candidates: 2 });
  assert.equal(p!.variant, 2);
  assert.ok(p!.choice, 'chosen among candidates');
  assert.equal([...p!.text.replace(/[，。]/g, '')].length, f.slots.length);
  assert.ok(checkCi(p!.text, { cipai: '浣溪沙', variant: 2, strictRhyme: true }).pass, p!.text);
});

test('a start text is forced into the first characters', () => {
  const [p] = writePoems(model, { cipai: '浣溪沙', start: '春风', seed: 1, candidates: 1 });
  assert.ok(p!.text.startsWith('春风'));
});

test('errors: one line each', () => {
  const err = (opts: object, kind: new (...a: never[]) => Error, re: RegExp) => assert.throws(() => writePoems(model, opts), (e: Error) => e instanceof kind && re.test(e.message) && !e.message.includes('\n'));
  err({ cipai: '浣溪纱' }, PoetryError, /unknown 词牌 '浣溪纱'; did you mean .*浣溪沙/);
  err({ form: 'ci' }, WriteError, /form ci needs cipai/);
  err({ form: 'qijue', cipai: '浣溪沙' }, WriteError, /cipai needs form ci/);
  err({ variant: 2 }, WriteError, /variant needs cipai/);
  err({ cipai: '浣溪沙', title: '春日' }, WriteError, /title is its tune/);
  err({ cipai: '浣溪沙', variant: 99 }, PoetryError, /浣溪沙 has formats 1–\d+/);
  err({ cipai: '浣溪沙', acrostic: '春夏' }, PoetryError, /acrostic/);
});

test('shiren gen --cipai prints each 片 as a paragraph; --json gives tune, format, lines and 片', () => {
  const text = shiren(['gen', '--cipai', '西江月', '--seed', '2', '--candidates', '1', '--engine', 'wasm']);
  assert.equal(text.code, 0, text.stderr);
  const paragraphs = text.stdout.trim().split('\n\n');
  assert.equal(paragraphs.length, 2);
  assert.match(paragraphs[0]!, /^《西江月》 /);
  assert.match(text.stderr, /tune read as a 词's title \(<ci> TUNE <sep>\)/);
  const json = shiren(['gen', '--form', 'ci', '--cipai', '西江月', '--seed', '2', '--candidates', '1', '--engine', 'wasm', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const [p] = JSON.parse(json.stdout).poems;
  assert.equal(p.cipai, '西江月');
  assert.equal(p.variant, 1);
  assert.equal(typeof p.format, 'string');
  assert.equal(p.stanzas.length, 2);
  assert.deepEqual(p.stanzas.flat(), p.lines);
  const bad = shiren(['gen', '--cipai', '西江', '--engine', 'wasm']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown 词牌 '西江'/);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});

test('POST /api/generate writes a 词 (form ci, cipai, variant) as the library does; an unknown tune is a 400', async () => {
  const app = await buildApp({ model, modelBytes: readFileSync(resolveModelFile()) });
  try {
    const request = { form: 'ci', cipai: '菩萨蛮', variant: 1, seed: 4, candidates: 1 };
    const r = await app.inject({ method: 'POST', url: '/api/generate', payload: request });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), JSON.parse(JSON.stringify({ poems: writePoems(model, request) })));
    const bad = await app.inject({ method: 'POST', url: '/api/generate', payload: { cipai: '菩萨' } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error, /^unknown 词牌 '菩萨'/);
  } finally {
    await app.close();
  }
});
