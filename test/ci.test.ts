/**
 * 词 by 词牌 (issue 19, data and checking): the 词谱 (cipu.ts), 词林正韵 (cilin.ts), the checker
 * (ci-check.ts) on named 词, constructed faults and the 谱's own examples, the Song 词 reader
 * (songci.ts), and `shiren check --cipai` / `shiren cipai`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STANZA_BREAK } from '../src/data/clean.ts';
import { stanzaBreaks, tuneOfRhythmic } from '../src/poetry/songci.ts';
import { checkCi, checkText, parseCipaiHeader } from '../src/poetry/ci-check.ts';
import { cilinReadings, rhymeBuOf, tongyaOf } from '../src/poetry/cilin.ts';
import { allTunes, CipaiError, findTune, formatOf } from '../src/poetry/cipu.ts';
import { PoetryError } from '../src/poetry/forms.ts';
import { shiren } from './cli-helpers.ts';

// 晏殊《浣溪沙》, 辛弃疾《西江月·夜行黄沙道中》, 苏轼《水调歌头》 (上片)
const HUANXISHA = '一曲新词酒一杯，去年天气旧亭台。夕阳西下几时回？无可奈何花落去，似曾相识燕归来。小园香径独徘徊。';
const XIJIANGYUE = '明月别枝惊鹊，清风半夜鸣蝉。稻花香里说丰年，听取蛙声一片。七八个星天外，两三点雨山前。旧时茅店社林边，路转溪桥忽见。';

test('the 词谱: 817 tunes, 2,524 formats, each slot a tone, rhymes inside the pattern', () => {
  const tunes = allTunes();
  assert.equal(tunes.length, 817);
  assert.equal(tunes.reduce((n, t) => n + t.formats.length, 0), 2524);
  for (const t of tunes) {
    for (const f of t.formats) {
      assert.equal(f.stanzas.reduce((a, b) => a + b, 0), f.slots.length, `${t.name} ${f.index + 1}`);
      assert.equal(f.stanzas.length, { 单调: 1, 双调: 2, 三段: 3, 四段: 4 }[t.stanzaKind], `${t.name} ${t.stanzaKind}`);
      for (const g of f.rhymeGroups) for (const p of g.positions) assert.ok(f.slots[p]?.rhyme, `${t.name} ${f.index + 1} rhyme ${p}`);
    }
  }
});

test('tunes by name, alias and traditional name; an unknown one suggests near names', () => {
  assert.equal(findTune('十六字令').name, '归字谣');
  assert.equal(findTune('蒼梧謠').name, '归字谣');
  assert.equal(findTune('《浣溪沙》').name, '浣溪沙');
  assert.throws(() => findTune('浣沙溪'), (e) => e instanceof CipaiError && e instanceof PoetryError && /unknown 词牌 '浣沙溪'; did you mean 浣溪沙/.test(e.message));
  assert.throws(() => formatOf(findTune('浣溪沙'), 99), /浣溪沙 has formats 1–\d+; there is no --variant 99/);
});

test('formats: 片 lengths, 叶 and 换韵 groups, pauses', () => {
  const stanzas = (name: string) => findTune(name).formats[0]!.stanzas.join('+');
  assert.equal(stanzas('浣溪沙'), '21+21');
  assert.equal(stanzas('菩萨蛮'), '24+20');
  assert.equal(stanzas('水调歌头'), '48+47');
  assert.equal(stanzas('沁园春'), '56+58');
  const xjy = findTune('西江月').formats[0]!;
  assert.deepEqual(xjy.rhymeGroups.map((g) => [g.tone, g.xie]), [['平', [24, 49]]]);
  assert.equal(xjy.slots[5]!.pause, '句');
  const psm = findTune('菩萨蛮').formats[0]!;
  assert.deepEqual(psm.rhymeGroups.map((g) => g.tone), ['仄', '平', '仄', '平']);
  // couyun writes some rhyme tones as letters before 韵 (荷叶杯): they are no characters
  for (const f of findTune('荷叶杯').formats) assert.equal(f.pattern.length, f.slots.length);
});

test('词林正韵: the 部 split what the 平水韵 merges, 上 去 rhyme together, 入 has 部 15–19', () => {
  assert.deepEqual(rhymeBuOf('灰', '平'), [3]);
  assert.deepEqual(rhymeBuOf('来', '平'), [5]);
  assert.deepEqual(rhymeBuOf('元', '平'), [7]);
  assert.deepEqual(rhymeBuOf('魂', '平'), [6]);
  assert.deepEqual(rhymeBuOf('涯', '平'), [3, 10]); // 支 and 佳 readings
  assert.deepEqual(rhymeBuOf('街', '平'), [5]);
  assert.deepEqual(rhymeBuOf('雪', '仄'), [18]);
  assert.deepEqual(rhymeBuOf('屋', '仄'), [15]);
  assert.ok(cilinReadings('纸').some((r) => r.bu === 3 && r.tone === '上'));
  assert.ok(cilinReadings('寄').some((r) => r.bu === 3 && r.tone === '去'));
  assert.deepEqual(tongyaOf(3), [3, 4, 5]);
  assert.deepEqual(tongyaOf(2), [2]);
});

test('named 词 pass their tune; a text may name its tune in a first line', () => {
  const hxs = checkCi(HUANXISHA, { cipai: '浣溪沙' });
  assert.ok(hxs.pass, JSON.stringify(hxs.faults));
  assert.equal(hxs.variant, 1);
  assert.deepEqual(hxs.stanzas, [21, 21]);
  assert.equal(hxs.rhymeGroup, '第三部'); // 杯 回 徘徊 (灰) with 台 来 (咍): 通押
  const strict = checkCi(HUANXISHA, { cipai: '浣溪沙', strictRhyme: true });
  // strictly, 来 (咍 only) is out; 台 has a 之 reading in 第三部 too
  assert.deepEqual(strict.faults.map((f) => [f.line, f.pos, f.kind]), [[5, 7, 'rhyme']]);
  const xjy = checkCi(XIJIANGYUE, { cipai: '西江月' });
  assert.ok(xjy.pass, JSON.stringify(xjy.faults));
  assert.equal(xjy.rhymeGroup, '第七部');
  assert.deepEqual(parseCipaiHeader(`词牌：西江月\n${XIJIANGYUE}`), { cipai: '西江月', body: XIJIANGYUE });
  assert.equal((checkText(`词牌：西江月\n${XIJIANGYUE}`) as { cipai?: string }).cipai, '西江月');
  assert.equal(checkText('白日依山尽，黄河入海流。欲穷千里目，更上一层楼。').form, 'wujue');
});

test('faults: a wrong tone, a rhyme outside the 部, a wrong length, a 片 break off the format', () => {
  // 稻花香里说丰年 → 稻花香里说丰收: 收 (尤, 第十二部) among 蝉 年 前 边 (第七部)
  const rhyme = checkCi(XIJIANGYUE.replace('丰年', '丰收'), { cipai: '西江月' });
  assert.deepEqual(rhyme.faults.map((f) => [f.line, f.pos, f.kind]), [[3, 7, 'rhyme']]);
  // 明月 → 明星 keeps the tone; 清风 → 春风 (平 for 平) too; 夜 → 宵 puts 平 where the 谱 has 仄
  const tone = checkCi(XIJIANGYUE.replace('半夜', '半宵'), { cipai: '西江月', variant: 1 });
  assert.deepEqual(tone.faults.map((f) => [f.line, f.pos, f.kind]), [[2, 4, 'tone']]);
  const short = checkCi(HUANXISHA.replace('一曲新词酒一杯', '一曲新词一杯'), { cipai: '浣溪沙' });
  assert.equal(short.variant, null);
  assert.equal(short.faults[0]!.kind, 'shape');
  assert.match(short.faults[0]!.message, /浣溪沙 has 42\/44\/46 characters; this text has 41/);
  assert.deepEqual([short.faults[1]!.line, short.faults[1]!.kind], [1, 'shape']);
  const breaks = checkCi(HUANXISHA.replace('台。', `台。${STANZA_BREAK}`), { cipai: '浣溪沙' });
  assert.deepEqual(breaks.faults.map((f) => f.kind), ['shape']);
  assert.ok(checkCi(HUANXISHA.replace('回？', `回？\n\n`), { cipai: '浣溪沙' }).pass);
});

test('the 谱\'s own examples pass their formats (≥ 95%)', () => {
  let n = 0, pass = 0;
  for (const t of allTunes()) for (const f of t.formats) {
    n++;
    if (checkCi(f.example, { cipai: t.name, variant: f.index + 1 }).pass) pass++;
  }
  assert.ok(pass / n >= 0.95, `${pass}/${n}`);
});

test('Song 词: the tune from rhythmic (A・B, traditional), 片 breaks at the format\'s', () => {
  assert.equal(tuneOfRhythmic('望江南・忆江南').title, '忆江南'); // the 谱's usual name
  assert.equal(tuneOfRhythmic('酹江月・念奴娇').title, '念奴娇');
  assert.equal(tuneOfRhythmic('失调名').tune, undefined);
  assert.deepEqual(stanzaBreaks(HUANXISHA, findTune('浣溪沙')), [21]);
  assert.deepEqual(stanzaBreaks(XIJIANGYUE, findTune('西江月')), [25]);
  // a 词 missing a character in its second 片 keeps its break where a sentence ends there
  assert.deepEqual(stanzaBreaks(HUANXISHA.replace('小园香径', '小园香'), findTune('浣溪沙')), [21]);
});

test('shiren check --cipai: text, --json, exit codes; shiren cipai', () => {
  const ok = shiren(['check', '--cipai', '浣溪沙', HUANXISHA]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /ci · 浣溪沙 · format 1 \(钦定词谱 正体, 片 21\+21\) · 第三部 \(词林正韵\) · pass/);
  const bad = shiren(['check', '--json', `词牌：西江月\n${XIJIANGYUE.replace('丰年', '丰收')}`]);
  assert.equal(bad.code, 3, bad.stderr);
  const [r] = JSON.parse(bad.stdout).poems;
  assert.deepEqual([r.form, r.cipai, r.variant, r.pass, r.faults[0].kind], ['ci', '西江月', 1, false, 'rhyme']);
  const unknown = shiren(['check', '--cipai', '浣沙溪', HUANXISHA]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^shiren: unknown 词牌 '浣沙溪'; did you mean 浣溪沙/);
  const one = shiren(['cipai', '十六字令']);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^归字谣 \(苍梧谣 十六字令/);
  const all = shiren(['cipai', '--json']);
  assert.equal(JSON.parse(all.stdout).tunes.length, 817);
});
