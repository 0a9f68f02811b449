// The page's pure 词 and 对联 helpers (web/src/ci-data.ts, ci.ts, duilian.ts), in Node: the tune
// list and its search (names, aliases, traditional names; the tunes with Song 词 first), a format as
// the page draws it, the lines of each 片, a checked 词's lines, and a pasted 对联's two lines.
// The page itself is driven in test/web.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tuneEntries, tuneFormats } from '../web/src/ci-data.ts';
import { ciTextLines, lineGroups, searchTunes } from '../web/src/ci.ts';
import { pairOf } from '../web/src/duilian.ts';
import { allTunes, findTune } from '../src/poetry/cipu.ts';
import { checkCi } from '../src/poetry/ci-check.ts';
import { SONGCI_COUNTS } from '../src/poetry/songci-counts.ts';

const entries = tuneEntries();
const names = (query: string) => searchTunes(query, entries).map((m) => m.entry.name);

test('every tune of the 谱 is listed once, the ones with the most Song 词 first', () => {
  assert.equal(entries.length, allTunes().length);
  assert.equal(new Set(entries.map((e) => e.name)).size, entries.length);
  assert.deepEqual(entries.slice(0, 4).map((e) => e.name), ['浣溪沙', '水调歌头', '鹧鸪天', '菩萨蛮']);
  assert.equal(entries[0]!.count, SONGCI_COUNTS['浣溪沙']);
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1]!.count >= entries[i]!.count, `${entries[i - 1]!.name} before ${entries[i]!.name}`);
  // the counts name tunes of the 谱 only (the usual names), and sum to what the corpus stats count
  for (const name of Object.keys(SONGCI_COUNTS)) assert.equal(findTune(name).name, name);
  assert.equal(Object.values(SONGCI_COUNTS).reduce((a, b) => a + b, 0), 19_050);
  const huanxisha = entries[0]!;
  assert.equal(huanxisha.formats, findTune('浣溪沙').formats.length);
});

test('the search finds a name by its start, an alias, a traditional name; an equal name first', () => {
  assert.equal(names('浣溪')[0], '浣溪沙');
  assert.ok(names('浣溪').includes('山花子'), names('浣溪').join(' ')); // 摊破浣溪沙, its alias, holds it
  // an alias finds its tune, and says which name it found
  const [alias] = searchTunes('十六字令', entries);
  assert.deepEqual([alias!.entry.name, alias!.via], ['归字谣', '十六字令']);
  assert.equal(searchTunes('苍梧', entries)[0]!.entry.name, '归字谣');
  // a traditional name
  assert.equal(names('蝶戀花')[0], '蝶恋花');
  // an equal name before the tunes whose names start with or hold it; 《》 and spaces ignored
  assert.equal(names(' 《菩萨蛮》 ')[0], '菩萨蛮');
  assert.equal(searchTunes('菩萨蛮', entries)[0]!.via, undefined);
  // prefix matches before the ones holding the query anywhere
  const found = names('江');
  const firstInner = found.findIndex((n) => !n.startsWith('江') && !findTune(n).aliases.some((a) => a.startsWith('江')));
  assert.ok(firstInner > 0 && found.slice(firstInner).every((n) => !n.startsWith('江')), found.slice(0, 12).join(' '));
  assert.equal(searchTunes('', entries).length, entries.length);
  assert.deepEqual(names('没有这个调'), []);
});

test("a tune's formats as the page draws them: tones, 韵 and 叶, 片, label", () => {
  const formats = tuneFormats('十六字令');
  assert.equal(formats.length, findTune('归字谣').formats.length);
  const [first] = formats;
  assert.equal(first!.variant, 1);
  assert.equal(first!.label, '钦定词谱 正体');
  assert.equal(first!.slots.map((s) => s.tone).join(''), findTune('归字谣').formats[0]!.pattern);
  assert.deepEqual(first!.slots.flatMap((s, i) => (s.rhyme ? [i] : [])), [0, 7, 15]);
  // 西江月 rhymes in 平 with a 叶 in 仄 at each 片's end
  const xijiang = tuneFormats('西江月')[0]!;
  const f = findTune('西江月').formats[0]!;
  assert.deepEqual(xijiang.slots.flatMap((s, i) => (s.rhyme === '叶' ? [i] : [])), [...f.rhymeGroups.flatMap((g) => g.xie)].sort((a, b) => a - b));
  assert.deepEqual(xijiang.stanzas, [...f.stanzas]);
  // 菩萨蛮 changes its rhyme: the groups are numbered
  assert.deepEqual([...new Set(tuneFormats('菩萨蛮')[0]!.slots.flatMap((s) => (s.group ? [s.group] : [])))], [1, 2, 3, 4]);
  assert.throws(() => tuneFormats('浣溪纱'), /^CipaiError: unknown 词牌 '浣溪纱'; did you mean .*浣溪沙/);
});

test('the lines of each 片: a 片 closes at the line that reaches its characters', () => {
  assert.deepEqual(lineGroups([7, 7, 7, 7, 7, 7], [21, 21]), [3, 3]);
  assert.deepEqual(lineGroups([7, 7, 7, 7, 7, 7], [42]), [6]);
  assert.deepEqual(lineGroups([7, 7, 5, 5, 5, 5, 5, 5], [24, 20]), [4, 4]); // 菩萨蛮 7 7 5 5 | 5 5 5 5
  assert.deepEqual(lineGroups([3, 3, 3, 3], [4, 4, 4]), [2, 1, 1]); // a line running past a 片 end stays in it
});

test("a checked 词's lines: cut as the checker cut them, each with its mark, a 词牌 line left out", () => {
  const text = '词牌：浣溪沙\n一曲新词酒一杯，去年天气旧亭台。夕阳西下几时回？\n\n无可奈何花落去，似曾相识燕归来。小园香径独徘徊。';
  const check = checkCi(text, { cipai: '浣溪沙' });
  assert.equal(check.pass, true);
  assert.deepEqual(ciTextLines(check.text, check.tones), [
    '一曲新词酒一杯，', '去年天气旧亭台。', '夕阳西下几时回？', '无可奈何花落去，', '似曾相识燕归来。', '小园香径独徘徊。',
  ]);
  // lines cut at spaces too, with no mark after them
  const spaced = checkCi('一曲新词酒一杯 去年天气旧亭台', { cipai: '浣溪沙' });
  assert.deepEqual(ciTextLines(spaced.text, spaced.tones), ['一曲新词酒一杯', '去年天气旧亭台']);
});

test('a pasted 对联 is two lines, one a line or parted by a mark; else a one-line error', () => {
  assert.deepEqual(pairOf('海阔凭鱼跃\n天高任鸟飞'), ['海阔凭鱼跃', '天高任鸟飞']);
  assert.deepEqual(pairOf(' 海阔凭鱼跃，天高任鸟飞。\n'), ['海阔凭鱼跃', '天高任鸟飞']);
  assert.throws(() => pairOf('海阔凭鱼跃'), /^Error: a 对联 is two lines, the 上联 and the 下联 \(one a line, or parted by ，\); got 1$/);
  assert.throws(() => pairOf('一，二，三'), /got 3$/);
});
