/** Prosody (tones, rhymes, patterns, checker), forms and the quality figures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyForm, isWellFormed, lineEnd, parseForm, poemLines, wellFormedForm, PoetryError } from '../src/poetry/forms.ts';
import { lineFits, matchPattern, prefixFits, rhymeGroupsOf, rhymes, tonePatterns, toneIn, toneOf } from '../src/poetry/prosody.ts';
import { finalOf } from '../src/poetry/rhymebook.ts';
import { distinct2, novelty, qualityFigures, rhymeRate, toneCompliance, trainLineSet } from '../src/poetry/metrics.ts';
import { bareLines } from '../src/poetry/forms.ts';

const DENG_GUAN_QUE_LOU = '白日依山尽，黄河入海流。欲穷千里目，更上一层楼。';
const JING_YE_SI = '床前明月光，疑是地上霜。举头望明月，低头思故乡。';
const QING_MING = '清明时节雨纷纷，路上行人欲断魂。借问酒家何处有，牧童遥指杏花村。';

test('tone classes by the 平水韵: 入声 characters are 仄, two readings are either, unknown is free', () => {
  for (const ch of '东明前山花春人') assert.equal(toneOf(ch), '平', ch);
  for (const ch of '去月上海尽里') assert.equal(toneOf(ch), '仄', ch);
  // 入声 characters that Mandarin reads in tone 1 or 2 are 仄 in verse
  for (const ch of '白一国竹十节石独') assert.equal(toneOf(ch), '仄', ch);
  // a classical 平 reading Mandarin lost, and characters used both ways
  assert.equal(toneOf('俱'), '平');
  for (const ch of '看思过为') assert.equal(toneOf(ch), 'either', ch);
  assert.equal(toneOf('，'), 'either');
  // 中华新韵: the primary Mandarin reading only
  assert.equal(toneIn('白', 'xinyun'), '平');
  assert.equal(toneIn('看', 'xinyun'), '仄');
});

test('finals and rhyme groups', () => {
  const cases: Record<string, string> = {
    xue: 'üe', shi: '-i', si: '-i', wei: 'uei', gui: 'uei', yu: 'ü', yuan: 'üan', jun: 'ün', lun: 'uen',
    you: 'iou', liu: 'iou', yi: 'i', wu: 'u', ying: 'ing', zhong: 'ong', xiong: 'iong', qu: 'ü', lv: 'ü', er: 'er', ya: 'ia',
  };
  for (const [syllable, fin] of Object.entries(cases)) assert.equal(finalOf(syllable), fin, syllable);
  assert.deepEqual(rhymeGroupsOf('东'), ['东']);
  assert.deepEqual(rhymeGroupsOf('东', 'xinyun'), ['庚']);
  assert.deepEqual(rhymeGroupsOf('家'), ['麻']);
  assert.deepEqual(rhymeGroupsOf('，'), []);
  assert.deepEqual(rhymeGroupsOf('月'), [], '入声: no 平 reading');
  assert.ok(rhymes('光', '霜'));
  assert.ok(rhymes('流', '楼'));
  assert.ok(rhymes('山', '还'));
  assert.ok(!rhymes('光', '月'));
  assert.ok(!rhymes('东', '冬'), 'the 平水韵 keeps 东 and 冬 apart');
  assert.ok(rhymes('东', '冬', 'xinyun'));
});

test('the standard patterns of the four forms', () => {
  const wujue = tonePatterns('wujue');
  assert.equal(wujue.length, 4);
  assert.deepEqual(wujue.find((p) => p.name === 'wujue 仄起首句不入韵')!.lines, ['仄仄平平仄', '平平仄仄平', '平平平仄仄', '仄仄仄平平']);
  assert.deepEqual(tonePatterns('qijue').find((p) => p.name === 'qijue 平起首句入韵')!.lines, [
    '平平仄仄仄平平', '仄仄平平仄仄平', '仄仄平平平仄仄', '平平仄仄仄平平',
  ]);
  const wulv = tonePatterns('wulv').find((p) => p.name === 'wulv 平起首句入韵')!;
  assert.deepEqual(wulv.lines, ['平平仄仄平', '仄仄仄平平', '仄仄平平仄', '平平仄仄平', '平平平仄仄', '仄仄仄平平', '仄仄平平仄', '平平仄仄平']);
  for (const form of ['wujue', 'qijue', 'wulv', 'qilv'] as const) {
    const patterns = tonePatterns(form);
    assert.deepEqual(patterns.map((p) => p.firstLineRhymes).sort(), [false, false, true, true]);
    // every even line ends in 平 (the rhyme), every odd line but a rhymed first one in 仄
    for (const p of patterns) p.lines.forEach((line, i) => assert.equal(line.at(-1), i % 2 === 1 || (i === 0 && p.firstLineRhymes) ? '平' : '仄'));
  }
});

test('the checker: positions 1/3/5 free except for 孤平 and 三平尾', () => {
  const t = (s: string) => [...s] as ('平' | '仄')[];
  assert.ok(lineFits(t('平平仄仄平'), '平平仄仄平'));
  assert.ok(lineFits(t('仄平平仄平'), '平平仄仄平'), 'position 3 rescues position 1');
  assert.ok(!lineFits(t('仄平仄仄平'), '平平仄仄平'), '孤平');
  assert.ok(lineFits(t('平仄仄平平'), '仄仄仄平平'));
  assert.ok(!lineFits(t('仄仄平平平'), '仄仄仄平平'), '三平尾');
  assert.ok(!lineFits(t('平平平平仄'), '仄仄平平仄'), 'position 2 is strict');
  assert.ok(lineFits(t('仄平仄仄平平仄'), '平平仄仄平平仄'), 'positions 1, 3, 5 free in seven');
  assert.ok(!lineFits(t('平仄仄平仄仄平'), '仄仄平平仄仄平'), '孤平 in seven: position 3');
  assert.ok(lineFits(['either', '仄', 'either', '平', '平'], '仄仄仄平平'));
  assert.ok(prefixFits(t('仄平'), '平平仄仄平'));
  assert.ok(!prefixFits(t('仄平仄'), '平平仄仄平'), 'no completion avoids 孤平');
  assert.ok(!prefixFits(t('仄仄平平'), '仄仄仄平平'), '三平尾 is certain');
  assert.ok(lineFits(t('平平仄平仄'), '平平平仄仄'), '特定格式');
  assert.ok(lineFits(t('仄仄平平仄平仄'), '仄仄平平平仄仄'), '特定格式 in seven');
  assert.ok(!lineFits(t('仄平仄平仄'), '平平平仄仄'), '特定格式 needs 平 at position 1');
  assert.ok(!lineFits(t('仄仄平仄仄'), '仄仄平平仄'), '拗 at position 4 needs the next line (对句相救)');
  assert.ok(lineFits(t('仄仄仄平仄'), '仄仄平平仄'), '半拗 at position 3 is free');
});

test('known poems: 登鹳雀楼 and 清明 are regulated, 静夜思 is not', () => {
  assert.equal(matchPattern(bareLines(DENG_GUAN_QUE_LOU), 'wujue')?.name, 'wujue 仄起首句不入韵');
  assert.equal(matchPattern(bareLines(QING_MING), 'qijue')?.name, 'qijue 平起首句入韵');
  assert.equal(matchPattern(bareLines(JING_YE_SI), 'wujue'), undefined);
});

test('forms: well-formedness, lines, classification', () => {
  assert.ok(isWellFormed(DENG_GUAN_QUE_LOU, 'wujue'));
  assert.ok(isWellFormed(JING_YE_SI, 'wujue'), '静夜思 has the shape of a wujue');
  assert.ok(isWellFormed(QING_MING, 'qijue'));
  assert.ok(!isWellFormed(QING_MING, 'wujue'));
  assert.ok(!isWellFormed('白日依山尽。黄河入海流，欲穷千里目，更上一层楼。', 'wujue'), 'marks must alternate');
  assert.ok(!isWellFormed('白日依山尽，黄河入海流。欲穷千里目，更上一层楼', 'wujue'), 'last mark missing');
  assert.ok(!isWellFormed('白日依山尽，黄河入海流。', 'wujue'));
  assert.ok(isWellFormed('白日依山尽，黄河入海流！', 'free'));
  assert.ok(!isWellFormed('白日依山尽，黄河', 'free'), 'a free poem ends in 。？！');
  assert.ok(!isWellFormed('，。', 'free'));
  assert.equal(wellFormedForm(QING_MING), 'qijue');
  assert.equal(wellFormedForm('白日依山尽，黄河入海流！'), 'free');
  assert.equal(classifyForm(DENG_GUAN_QUE_LOU), 'wujue');
  assert.deepEqual(poemLines('白日依山尽，黄河入海流。欲穷'), ['白日依山尽，', '黄河入海流。', '欲穷']);
  assert.deepEqual([0, 1, 2, 3].map((i) => lineEnd(i, 4)), ['，', '。', '，', '。']);
  assert.equal(lineEnd(2, 3), '。', 'an odd count still ends in 。');
  assert.equal(parseForm('qilv'), 'qilv');
  assert.throws(() => parseForm('sonnet'), PoetryError);
});

test('quality figures', () => {
  const train = trainLineSet([DENG_GUAN_QUE_LOU]);
  assert.ok(train.has('白日依山尽'));
  const poems = [
    { text: DENG_GUAN_QUE_LOU, form: 'wujue' as const },
    { text: JING_YE_SI, form: 'wujue' as const },
    { text: '白日依山尽，黄河', form: 'free' as const },
  ];
  const q = qualityFigures(poems, train);
  assert.equal(q.poems, 3);
  assert.equal(q.wellFormed, 2 / 3);
  assert.equal(q.regulated, 2 / 3);
  assert.equal(q.toneCompliance, 1 / 2);
  assert.equal(toneCompliance([QING_MING, JING_YE_SI]), 1 / 2);
  assert.ok(Number.isNaN(toneCompliance(['白日依山尽。'])));
  // line 4 rhymes with line 2 in both quatrains (流/楼, 霜/乡)
  assert.equal(rhymeRate([DENG_GUAN_QUE_LOU, JING_YE_SI]), 1);
  assert.equal(rhymeRate(['白日依山尽，黄河入海流。欲穷千里目，更上一层月。']), 0);
  // 5 of the 10 lines are train lines (the four of 登鹳雀楼 and 白日依山尽 again)
  assert.equal(novelty([DENG_GUAN_QUE_LOU, JING_YE_SI, '白日依山尽，黄河'], train), 5 / 10);
  assert.equal(distinct2(['白日白日。']), 2 / 3);
  assert.equal(q.distinct2, distinct2(poems.map((p) => p.text)));
});
