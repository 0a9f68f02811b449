// Standard characters (src/data/standard.ts, tools/build-standard-chars.ts): the table on known
// pairs, the reviewed lists, the corpus builds (fixture and full) and the written poems.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { standardOf, standardPoem, toStandard } from '../src/data/standard.ts';
import { writePoems } from '../src/domain/write.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import { STANDARD_PAIRS } from '../src/data/standard-table.ts';
import { Vocab } from '../src/data/vocab.ts';
import { CONTROL_SYMBOLS } from '../src/data/sequence.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';
import { MOCK_CHARS } from './poetry-mock.ts';
import { fullCorpus } from './full-corpus.ts';

/** Every character of every file of a corpus folder that the table would still change. */
function variantsIn(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const split of readdirSync(dir).filter((f) => !f.endsWith('.json'))) {
    for (const file of readdirSync(join(dir, split))) {
      for (const ch of readFileSync(join(dir, split, file), 'utf8')) if (standardOf(ch) !== ch) found.set(ch, (found.get(ch) ?? 0) + 1);
    }
  }
  return found;
}

test('standard table: the variants of the issue and of the reviewed lists map to their standard forms', () => {
  const known: Record<string, string> = {
    // Unihan's links: semantic variants, a simplified form reached through one (廻 → 迴 → 回), Z variants
    疎: '疏', 鴈: '雁', 猨: '猿', 簷: '檐', 徧: '遍', 媿: '愧', 妬: '妒', 廻: '回', 讐: '仇', 劒: '剑', 慙: '惭', 晩: '晚',
    // reviewed additions (no Unihan link) and overrides (Unihan's choice is another word)
    嬾: '懒', 珮: '佩', 髪: '发', 毬: '球', 汚: '污', 髣: '仿', 鸜: '鸲', 狥: '徇',
  };
  for (const [variant, standard] of Object.entries(known)) assert.equal(standardOf(variant), standard, variant);
  // standard characters, the reviewed KEEP list (东菑 is a field) and non-Han text are left alone
  for (const ch of ['疏', '山', '乾', '干', '后', '菑', '寔', '刓', 'a', '，']) assert.equal(standardOf(ch), ch, ch);
  assert.equal(toStandard('疎影横斜，鴈字回时。'), '疏影横斜，雁字回时。');
});

test('standard table: well formed (pairs by code point, no variant twice, no target mapped again)', () => {
  const chars = [...STANDARD_PAIRS];
  assert.equal(chars.length % 2, 0);
  const variants = chars.filter((_, i) => i % 2 === 0);
  const targets = new Set(chars.filter((_, i) => i % 2 === 1));
  assert.ok(variants.length > 4000, `${variants.length} variants`);
  assert.deepEqual(variants, [...variants].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!), 'sorted by code point');
  assert.equal(new Set(variants).size, variants.length, 'no variant twice');
  for (const t of targets) assert.equal(standardOf(t), t, `${t} is a target and a variant`);
  const s = toStandard(STANDARD_PAIRS);
  assert.equal(toStandard(s), s, 'idempotent');
});

test('toStandard counts what it changes; standardPoem changes title, lines and text', () => {
  const counts = new Map<string, number>();
  assert.equal(toStandard('疎疎鴈山', counts), '疏疏雁山');
  assert.deepEqual([...counts], [['疎', 2], ['鴈', 1]]);
  const poem = { start: '疎', form: 'wujue', title: '廻鴈', lines: ['疎影横斜水，', '暗香浮动月。'], text: '疎影横斜水，暗香浮动月。' };
  assert.deepEqual(standardPoem(poem), { start: '疎', form: 'wujue', title: '回雁', lines: ['疏影横斜水，', '暗香浮动月。'], text: '疏影横斜水，暗香浮动月。' });
});

test('the tool rebuilds the committed table from Unihan (skipped without Debian unicode-data)', { timeout: 60_000 }, (t) => {
  if (!existsSync('/usr/share/unicode/Unihan_Variants.txt') && !existsSync('/usr/share/unicode/Unihan_Variants.txt.bz2')) {
    t.skip('no /usr/share/unicode/Unihan_Variants.txt(.bz2): apt-get install unicode-data');
    return;
  }
  const built = execFileSync(process.execPath, ['--import', 'tsx', 'tools/build-standard-chars.ts'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(built, readFileSync('src/data/standard-table.ts', 'utf8'), 'src/data/standard-table.ts is stale: rerun the tool');
});

test('the committed fixture corpus is in standard characters and counts what it mapped', () => {
  assert.deepEqual([...variantsIn('test/fixtures/corpus')], []);
  const stats = JSON.parse(readFileSync('test/fixtures/corpus/stats.json', 'utf8'));
  assert.equal(stats.standardised.top['疎→疏'], 1724);
});

test('full corpus: no character with a standard form is left (needs chinese-poetry)', { timeout: 120_000 }, () => {
  const dir = fullCorpus();
  assert.deepEqual([...variantsIn(dir)], []);
  const { standardised } = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8'));
  // measured: 21,206 occurrences of 507 distinct characters in the clean poems (about 1 in 134)
  assert.ok(standardised.characters > 20_000 && standardised.distinct > 450, JSON.stringify(standardised).slice(0, 200));
});

test('a model trained before the table (variants in its vocabulary) writes standard characters (poems and titles)', () => {
  // the bundled model is trained on the standard corpus: a tiny untrained one stands for an older model
  const variants = [...'疎鴈猨簷徧媿妬廻讐'];
  assert.ok(variants.every((ch) => standardOf(ch) !== ch), 'each is a variant');
  const vocab = Vocab.fromTexts([MOCK_CHARS + variants.join('') + '，。'], 1, CONTROL_SYMBOLS);
  const model = Model.create(createReferenceKernels('f32'), { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size }, vocab, 3);
  const poems = [...writePoems(model, { form: 'free', count: 40, seed: 1, candidates: 1 }), ...writePoems(model, { form: 'qijue', count: 40, seed: 2, candidates: 1 })];
  const text = poems.map((p) => p.title + p.text).join('');
  assert.deepEqual([...text].filter((ch) => standardOf(ch) !== ch), []);
  assert.ok(variants.some((ch) => text.includes(standardOf(ch))), 'some variant was written, and printed in its standard form');
  const bundled = readModelFile(resolveModelFile(), createReferenceKernels('f32'));
  assert.deepEqual(bundled.vocab.symbols.filter((sym) => standardOf(sym) !== sym), [], 'the bundled model knows standard characters only');
});
