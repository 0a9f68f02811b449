/** The rhyme books: readings, tone classes and groups of spot characters in the 平水韵 and 中华新韵. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PINGSHUI_GROUPS } from '../src/poetry/pingshui-table.ts';
import { rhymeBook } from '../src/poetry/rhymebook.ts';

const pingshui = rhymeBook('pingshui');
const xinyun = rhymeBook('xinyun');

test('the table: 106 groups, 30 of them 平, in book order', () => {
  assert.equal(PINGSHUI_GROUPS.length, 106);
  const count = (tone: string) => PINGSHUI_GROUPS.filter((g) => g[2] === tone).length;
  assert.deepEqual([count('平'), count('上'), count('去'), count('入')], [30, 29, 30, 17]);
  assert.equal(pingshui.pingGroups.join(''), '东冬江支微鱼虞齐佳灰真文元寒删先萧肴豪歌麻阳庚青蒸尤侵覃盐咸');
  assert.equal(pingshui.labelOf('庚'), '下平八庚');
});

test('group heads rhyme in their own group, in simplified and traditional form', () => {
  for (const head of pingshui.pingGroups) assert.ok(pingshui.pingGroupsOf(head).includes(head), head);
  for (const [trad, group] of [['東', '东'], ['魚', '鱼'], ['齊', '齐'], ['刪', '删'], ['蕭', '萧'], ['陽', '阳'], ['鹽', '盐']]) {
    assert.ok(pingshui.pingGroupsOf(trad).includes(group), trad);
  }
  // the 同用 merges: 冬+鍾, 支+脂+之, 文+欣, 庚+耕+清, 鹽+添+嚴
  for (const [ch, group] of [['钟', '冬'], ['脂', '支'], ['之', '支'], ['欣', '文'], ['耕', '庚'], ['清', '庚'], ['添', '盐'], ['严', '盐']]) {
    assert.ok(pingshui.pingGroupsOf(ch).includes(group), `${ch} in ${group}`);
  }
  // and what it keeps apart (中华新韵 merges them)
  assert.deepEqual(pingshui.pingGroupsOf('东'), ['东']);
  assert.deepEqual(pingshui.pingGroupsOf('冬'), ['冬']);
  assert.ok(!pingshui.pingGroupsOf('寒').includes('删'));
});

test('入声 characters are 仄 by the 平水韵, 平 by their Mandarin reading in 中华新韵', () => {
  const entering: Record<string, string> = { 白: '陌', 国: '职', 十: '缉', 石: '陌', 月: '月', 雪: '屑', 独: '屋', 一: '质' };
  for (const [ch, group] of Object.entries(entering)) {
    assert.equal(pingshui.toneOf(ch), '仄', ch);
    assert.ok(pingshui.readingsOf(ch).some((r) => r.tone === '入' && r.group === group), `${ch} 入声 ${group}`);
    assert.deepEqual(pingshui.pingGroupsOf(ch), [], `${ch} cannot rhyme`);
  }
  for (const ch of '白国十石独一') assert.equal(xinyun.toneOf(ch), '平', `${ch} in 中华新韵`);
});

test('characters with both tones are either; each keeps its readings', () => {
  const both: Record<string, [string, string]> = { 看: ['寒', '翰'], 思: ['支', '寘'], 望: ['阳', '漾'], 忘: ['阳', '漾'], 过: ['歌', '箇'], 听: ['青', '径'] };
  for (const [ch, [ping, ze]] of Object.entries(both)) {
    assert.equal(pingshui.toneOf(ch), 'either', ch);
    const groups = pingshui.readingsOf(ch).map((r) => r.group);
    assert.ok(groups.includes(ping) && groups.includes(ze), `${ch}: ${groups}`);
    assert.ok(pingshui.pingGroupsOf(ch).includes(ping));
  }
});

test('spot tones and the overrides', () => {
  for (const ch of '盐旁施潜') assert.equal(pingshui.toneOf(ch) === '仄', false, `${ch} has a 平 reading`);
  for (const ch of '阐坞仿喻') assert.equal(pingshui.toneOf(ch), '仄', ch);
  assert.equal(pingshui.toneOf('蕴'), 'either', '蕴 also 於云切 文韻');
  for (const ch of '嫡捏盒瞎踢') assert.equal(pingshui.toneOf(ch), '仄', `${ch} (old 入声)`);
  // later characters the 廣韻 lacks are unknown, never guessed
  for (const ch of '擦碟') assert.equal(pingshui.toneOf(ch), 'unknown', ch);
  // overrides: variant forms and readings the 廣韻 data lacks
  assert.ok(pingshui.pingGroupsOf('间').includes('删'));
  assert.ok(pingshui.pingGroupsOf('窗').includes('江'));
  assert.ok(pingshui.pingGroupsOf('涯').includes('麻'));
  assert.equal(pingshui.toneOf('，'), 'unknown');
  assert.equal(pingshui.toneOf('a'), 'unknown');
});

test('中华新韵: one primary reading, 14 groups, no neighbours', () => {
  assert.equal(xinyun.pingGroups.length, 14);
  assert.deepEqual(xinyun.readingsOf('东'), [{ tone: '平', group: '庚' }]);
  assert.deepEqual(xinyun.readingsOf('看'), [{ tone: '去', group: '寒' }]);
  assert.equal(xinyun.labelOf('庚'), '十一庚');
  assert.deepEqual(xinyun.neighboursOf('庚'), []);
  assert.deepEqual(pingshui.neighboursOf('东'), ['冬']);
  assert.ok(pingshui.neighboursOf('元').includes('文') && pingshui.neighboursOf('元').includes('寒'));
});

test('writing avoids rare 平 readings as rhymes; the checker still accepts them', async () => {
  const { rhymeGroupsOf, writingRhymeGroupsOf } = await import('../src/poetry/prosody.ts');
  for (const [ch, rare, usual] of [['烟', '真', '先'], ['台', '支', '灰'], ['才', '咸', '灰']] as const) {
    assert.ok(rhymeGroupsOf(ch).includes(rare), `${ch} has a ${rare} reading in the book`);
    assert.ok(!writingRhymeGroupsOf(ch).includes(rare), `${ch} is not written as a ${rare} rhyme`);
    assert.ok(writingRhymeGroupsOf(ch).includes(usual), `${ch} is written as a ${usual} rhyme`);
  }
  assert.deepEqual(writingRhymeGroupsOf('东'), rhymeGroupsOf('东'));
  assert.deepEqual(writingRhymeGroupsOf('烟', 'xinyun'), rhymeGroupsOf('烟', 'xinyun'));
});

test('the committed 中华新韵 table is what pinyin-pro gives now (tools/build-xinyun-table.ts)', async () => {
  const { pinyin } = await import('pinyin-pro');
  const { xinyunReadingOf } = await import('../src/poetry/rhymebook.ts');
  const { readSplit } = await import('../src/data/corpus.ts');
  const chars = new Set(readSplit('test/fixtures/corpus', 'train', ['wujue', 'qijue', 'wulv', 'qilv']).join('').replace(/[，。]/g, ''));
  const book = rhymeBook('xinyun');
  let checked = 0;
  for (const ch of chars) {
    const syllable = pinyin(ch, { toneType: 'none', type: 'array' })[0]!;
    const expected = xinyunReadingOf(syllable, pinyin(ch, { pattern: 'num', type: 'array' })[0]!);
    assert.deepEqual(book.readingsOf(ch), expected ? [expected] : [], ch);
    checked++;
  }
  assert.ok(checked > 1500, `${checked} characters`);
});
