/**
 * Writing 下联 (issue 20): DuilianPlan (src/poetry/plan-duilian.ts), writeDuilian
 * (src/domain/duilian.ts), `shiren duilian` and POST /api/duilian. Every written 下联 passes
 * checkDuilian for a set of 上联 (叠字, 4 to 11 characters, polyphonic ends) on the bundled model
 * (the 'duilian' reading: it was trained with <duilian>) and on a tiny untrained model without the
 * symbol (the 'lvshi' reading of a model trained before 对联); the 上联 a model reads; the one-line errors; the CLI's --json shape.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shiren, tinyModel } from './cli-helpers.ts';
import { MOCK_CHARS } from './poetry-mock.ts';
import { BOS, EOS, UnknownCharacterError, Vocab } from '../src/data/vocab.ts';
import { CONTROL_SYMBOLS, SEP, formSymbol } from '../src/data/sequence.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';
import { loadModel } from '../src/domain/model.ts';
import { writeDuilian } from '../src/domain/duilian.ts';
import { WriteError } from '../src/domain/write.ts';
import { checkDuilian } from '../src/poetry/duilian.ts';
import { PoetryError } from '../src/poetry/forms.ts';
import { DuilianPlan, MAX_DUILIAN_CHARS } from '../src/poetry/plan-duilian.ts';
import { buildApp } from '../src/server/app.ts';

const bundled = await loadModel(undefined, { engine: 'wasm', threads: 1 });

const UPPERS = ['海阔凭鱼跃', '明月松间照', '两个黄鹂鸣翠柳', '风风雨雨年年暮', '春眠不觉晓', '落霞与孤鹜齐飞去', '山重水复', '人来人往', '读书好', '家事国事天下事', '清风明月本无价近水远山皆有情看'.slice(0, 11)];

test('every 下联 the bundled model writes passes checkDuilian and has the 上联\'s length', () => {
  for (const upper of UPPERS) {
    let result;
    try {
      result = writeDuilian(bundled, { upper, count: 4, candidates: 2, seed: 7 });
    } catch (err) {
      // a 上联 of the list that ends in 平 is refused for that, and for nothing else
      assert.match((err as Error).message, /ends in 平/, upper);
      continue;
    }
    assert.equal(result.reading, 'duilian');
    assert.equal(result.pairs.length, 4);
    for (const p of result.pairs) {
      assert.equal(p.upper, upper);
      assert.equal([...p.lower].length, [...upper].length, `${upper} / ${p.lower}`);
      const check = checkDuilian(p.upper, p.lower);
      assert.ok(check.pass, `${upper} / ${p.lower}: ${check.faults.map((f) => f.message).join('; ')}`);
      assert.equal(p.choice?.candidates, 2);
    }
  }
});

test('greedy and sampled 下联 reproduce by seed; a 上联 with a closing mark is read without it', () => {
  const a = writeDuilian(bundled, { upper: '海阔凭鱼跃，', count: 3, seed: 11 });
  const b = writeDuilian(bundled, { upper: '海阔凭鱼跃', count: 3, seed: 11 });
  assert.deepEqual(a, b);
  const greedy = writeDuilian(bundled, { upper: '海阔凭鱼跃', temperature: 0 });
  assert.equal(greedy.pairs[0]!.choice, undefined);
  assert.ok(checkDuilian('海阔凭鱼跃', greedy.pairs[0]!.lower).pass);
});

/** A tiny untrained title-conditioned model of the forms before 词 and 对联 (no <ci>, no <duilian>). */
function lvshiModel(): Model {
  const vocab = Vocab.fromTexts([MOCK_CHARS + '海阔凭鱼跃两个黄鹂鸣翠柳，。'], 1, CONTROL_SYMBOLS.filter((s) => s !== formSymbol('duilian') && s !== formSymbol('ci')));
  return Model.create(createReferenceKernels('f32'), { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size }, vocab, 3);
}

test('a model trained before 对联 reads the 上联 as the first line of a 律诗 couplet: <wulv|qilv> <sep>, then 上联， forced; its 下联 pass', () => {
  const model = lvshiModel();
  const v = model.vocab;
  const five = new DuilianPlan(v, '海阔凭鱼跃');
  const seven = new DuilianPlan(v, '两个黄鹂鸣翠柳');
  assert.equal(five.reading, 'lvshi');
  assert.deepEqual(five.opening.tokens, [v.id(formSymbol('wulv')), v.id(SEP)]);
  assert.deepEqual(seven.opening.tokens, [v.id(formSymbol('qilv')), v.id(SEP)]);
  assert.equal(five.lead, 6);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((p) => five.slotAt(p)), [...v.encode('海阔凭鱼跃，')].map((forced) => ({ forced })));
  assert.deepEqual(five.slotAt(11), { forced: v.id('。') });
  assert.deepEqual(five.slotAt(12), { forced: EOS });
  assert.equal(five.capacity, 13);
  for (const upper of ['海阔凭鱼跃', '两个黄鹂鸣翠柳']) {
    const r = writeDuilian(model, { upper, count: 3, candidates: 2, seed: 2 });
    assert.equal(r.reading, 'lvshi');
    for (const p of r.pairs) assert.ok(checkDuilian(upper, p.lower).pass, `${upper} / ${p.lower}`);
  }
});

/** A tiny untrained title-conditioned model whose vocabulary has the <duilian> symbol. */
function duilianModel(): Model {
  const vocab = Vocab.fromTexts([MOCK_CHARS + '海阔凭鱼跃，。'], 1, CONTROL_SYMBOLS);
  return Model.create(createReferenceKernels('f32'), { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size }, vocab, 3);
}

test('a model trained with <duilian> reads <bos> <duilian> 上联 <sep> 下联, and its 下联 pass too', () => {
  const model = duilianModel();
  const v = model.vocab;
  const plan = new DuilianPlan(v, '白日依山尽');
  assert.equal(plan.reading, 'duilian');
  assert.deepEqual(plan.opening.tokens, [v.id(formSymbol('duilian')), ...v.encode('白日依山尽'), v.id(SEP)]);
  assert.deepEqual(plan.opening.untitled, [v.id(formSymbol('duilian')), v.id(SEP)]);
  assert.equal(plan.lead, 0);
  assert.notEqual(BOS, v.id(formSymbol('duilian')));
  for (const upper of ['白日依山尽', '海阔凭鱼跃', '欲穷千里目']) {
    const r = writeDuilian(model, { upper, count: 5, candidates: 3, seed: 2 });
    assert.equal(r.reading, 'duilian');
    for (const p of r.pairs) assert.ok(checkDuilian(upper, p.lower).pass, `${upper} / ${p.lower}`);
  }
});

test('one-line errors: a 上联 ending in 平, marks inside, too long, unknown characters, bad fields', () => {
  assert.throws(() => writeDuilian(bundled, { upper: '天高任鸟飞' }), (e: Error) => e instanceof PoetryError && /ends in 平 \(飞\)/.test(e.message) && !e.message.includes('\n'));
  assert.throws(() => writeDuilian(bundled, { upper: '海阔凭鱼跃，天高任鸟飞' }), (e: Error) => e instanceof PoetryError && /several clauses/.test(e.message));
  assert.throws(() => writeDuilian(bundled, { upper: '一二三四五六七八九十百千' }), (e: Error) => e instanceof PoetryError && new RegExp(`more than the ${MAX_DUILIAN_CHARS}`).test(e.message));
  assert.throws(() => writeDuilian(bundled, { upper: '海阔凭鱼𠀀跃' }), UnknownCharacterError);
  assert.throws(() => writeDuilian(bundled, { upper: '' }), WriteError);
  assert.throws(() => writeDuilian(bundled, { upper: '海阔凭鱼跃', count: 0 }), (e: Error) => e instanceof WriteError && /^count must/.test(e.message));
  assert.throws(() => writeDuilian(bundled, { upper: '海阔凭鱼跃', temperature: 0, candidates: 4 }), /candidates need sampling/);
});

test('shiren duilian --json: {"reading","pairs":[{"upper","lower","choice"}]}; the banner says the reading; errors are one line', () => {
  const r = shiren(['duilian', '海阔凭鱼跃', '--count', '2', '--candidates', '2', '--seed', '5', '--json', '--engine', 'wasm']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { reading: string; pairs: { upper: string; lower: string; choice?: { candidates: number } }[] };
  assert.deepEqual(Object.keys(out), ['reading', 'pairs']);
  assert.equal(out.reading, 'duilian');
  assert.equal(out.pairs.length, 2);
  for (const p of out.pairs) {
    assert.deepEqual(Object.keys(p), ['upper', 'lower', 'choice']);
    assert.ok(checkDuilian(p.upper, p.lower).pass);
  }
  // the same seed writes the same 下联 in the library
  assert.deepEqual(out, JSON.parse(JSON.stringify(writeDuilian(bundled, { upper: '海阔凭鱼跃', count: 2, candidates: 2, seed: 5 }))));
  const plain = shiren(['duilian', '海阔凭鱼跃', '--seed', '5', '--engine', 'wasm']);
  assert.equal(plain.code, 0);
  assert.equal(plain.stdout.trim().split('\n').length, 1);
  assert.match(plain.stderr, /the 上联 read as the <duilian> title/);
  const bad = shiren(['duilian', '天高任鸟飞', '--engine', 'wasm']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^shiren: the 上联 ends in 平 \(飞\)[^\n]*\n$/);
});

test('POST /api/duilian answers as duilian --json; a 上联 ending in 平 is a 400 with one line', async () => {
  const { model, dir } = tinyModel('海阔凭鱼跃天高任鸟飞');
  const app = await buildApp({ model, modelBytes: new Uint8Array(0), webRoot: join(dir, 'none') });
  try {
    const ok = await app.inject({ method: 'POST', url: '/api/duilian', payload: { upper: '海阔凭鱼跃', count: 2, seed: 3, candidates: 2 } });
    assert.equal(ok.statusCode, 200, ok.body);
    const body = ok.json() as { reading: string; pairs: { upper: string; lower: string }[] };
    assert.equal(body.pairs.length, 2);
    for (const p of body.pairs) assert.ok(checkDuilian(p.upper, p.lower).pass, p.lower);
    assert.deepEqual(body, JSON.parse(JSON.stringify(writeDuilian(model, { upper: '海阔凭鱼跃', count: 2, seed: 3, candidates: 2 }))));
    const bad = await app.inject({ method: 'POST', url: '/api/duilian', payload: { upper: '天高任鸟飞' } });
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as { error: string }).error, /^the 上联 ends in 平/);
    const unknownField = await app.inject({ method: 'POST', url: '/api/duilian', payload: { upper: '海阔凭鱼跃', beam: 3 } });
    assert.equal(unknownField.statusCode, 400);
  } finally {
    await app.close();
  }
});
