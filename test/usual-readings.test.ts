// Usual readings only, when writing (src/poetry/pingshui-rare-tones.ts, tools/build-usual-tones.ts,
// prosody.ts writingToneOf): the table, the decoder that obeys it, the checker that names it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FORMS } from '../src/data/clean.ts';
import { Rng } from '../src/nn/rng.ts';
import { checkPoem } from '../src/poetry/check.ts';
import { generate } from '../src/poetry/generate.ts';
import { RARE_TONE_READINGS } from '../src/poetry/pingshui-rare-tones.ts';
import { PINGSHUI_GROUPS } from '../src/poetry/pingshui-table.ts';
import { toneIn, writingToneOf } from '../src/poetry/prosody.ts';
import { rhymeBook } from '../src/poetry/rhymebook.ts';
import { fullCorpus } from './full-corpus.ts';
import { BigramLM, MOCK_CHARS } from './poetry-mock.ts';

test('writingToneOf: the rare reading of a polyphonic character is gone, the rest as the book has it', () => {
  // the examples, and one whose 平 reading is the rare one
  for (const [ch, tone] of [['风', '平'], ['何', '平'], ['生', '平'], ['望', '仄'], ['不', '仄']] as const) {
    assert.equal(toneIn(ch, 'pingshui'), 'either', ch);
    assert.equal(writingToneOf(ch), tone, ch);
  }
  // both readings usual (看 思 过), a reviewed exception (相), one reading only (山 月), another book
  for (const ch of ['看', '思', '过', '相', '燕']) assert.equal(writingToneOf(ch), 'either', ch);
  assert.equal(writingToneOf('山'), '平');
  assert.equal(writingToneOf('月'), '仄');
  assert.equal(writingToneOf('风', 'xinyun'), toneIn('风', 'xinyun'));
});

test('the rare-tone table names only polyphonic characters of the 平水韵', () => {
  const book = rhymeBook('pingshui');
  const entries = Object.entries(RARE_TONE_READINGS);
  assert.ok(entries.length > 150, `${entries.length} characters`);
  for (const [ch, rare] of entries) {
    assert.equal(book.toneOf(ch), 'either', ch);
    assert.ok(rare === '平' || rare === '仄');
  }
});

test('the decoder writes only usual readings: no poem of the mock model has a note', () => {
  // as check.test.ts's poems written by construction: enough characters of every 平 group that no
  // constraint is relaxed, and polyphonic ones whose rare reading the decoder must not use
  const extra = PINGSHUI_GROUPS.filter((g) => g[2] === '平').map((g) => [...g[3]].slice(0, 10).join('')).join('');
  const model = new BigramLM({ chars: [...new Set(MOCK_CHARS + extra + '风何生望不中间闲如')].join('') + '，。' });
  let checked = 0;
  for (const form of FORMS) {
    for (let seed = 0; seed < 6; seed++) {
      const poem = generate(model, { form, temperature: 1.2 }, new Rng(seed));
      const r = checkPoem(poem.text, { form });
      assert.deepEqual([r.pass, r.notes], [true, []], `${form} seed ${seed}: ${poem.text}`);
      checked++;
    }
  }
  assert.equal(checked, 24);
});

test('the checker stays lenient and names a rare reading in its notes', () => {
  const dengLou = '白日依山尽，黄河入海流。欲穷千里目，更上一层楼。';
  assert.deepEqual(checkPoem(dengLou).notes, []);
  const rareTone = checkPoem('白风依山尽，黄河入海流。欲穷千里目，更上一层楼。');
  assert.equal(rareTone.pass, true);
  assert.deepEqual(rareTone.notes, ['风 (line 1, char 2) fits here only as 仄, a rare reading (usually 平)']);
  // 渭城曲 with 烟 for 新 (the poem itself breaks 粘 in line 3: the checker's fault, not a note)
  const rareRhyme = checkPoem('渭城朝雨浥轻尘，客舍青青柳色烟。劝君更尽一杯酒，西出阳关无故人。');
  assert.deepEqual(rareRhyme.faults.map((f) => f.kind), ['nian']);
  assert.equal(rareRhyme.rhymeGroup, '真');
  assert.deepEqual(rareRhyme.notes, ['烟 (line 2) rhymes in 上平十一真 only through a rare reading']);
  // notes belong to the 平水韵's tables: none by another book
  assert.deepEqual(checkPoem('白风依山尽，黄河入海流。欲穷千里目，更上一层楼。', { book: 'xinyun' }).notes, []);
});

test('tools/build-usual-tones.ts rebuilds the committed table from the corpus (needs chinese-poetry)', { timeout: 180_000 }, () => {
  const out = `${fullCorpus()}/rare-tones.ts`;
  execFileSync(process.execPath, ['--import', 'tsx', 'tools/build-usual-tones.ts', '--corpus', fullCorpus(), '--out', out]);
  assert.equal(readFileSync(out, 'utf8'), readFileSync('src/poetry/pingshui-rare-tones.ts', 'utf8'), 'src/poetry/pingshui-rare-tones.ts is stale: rerun the tool');
});
