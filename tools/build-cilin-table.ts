/**
 * Builds the 词林正韵 table src/poetry/cilin-table.ts from the 廣韻 data of the npm package tshet-uinh
 * (dev dependency, as tools/build-rhyme-book.ts builds the 平水韵):
 *   node --import tsx tools/build-cilin-table.ts
 *
 * 词林正韵 (戈载, 1821) has 19 部: 1–14 hold the 平 上 去 of a rhyme family (平 rhymes with 平, 上 and
 * 去 rhyme together), 15–19 the 入声. It groups the 206 rhymes of the 廣韻 (BU below), so every 廣韻
 * reading of a character (字頭, its simplified form by OpenCC, and OpenCC's traditional forms of that)
 * gives one reading (部, tone). Unlike the 平水韵 it keeps 灰 (部3) apart from 咍 (部5) and 元 (部7) apart
 * from 魂痕 (部6). Four rhymes are split between two 部 ("半"), decided per reading:
 * - 佳 蟹 卦 夬: 部10 (with 麻) when the character's Mandarin final is a / ia / ua (佳 涯 崖 娃 罢 挂 画
 *   话) or it is a 合口 佳 reading (蜗 娲); else 部5 (街 鞋 柴 蟹 买 卖 债 快).
 * - 泰: 部3 (with 队 灰) when 合口 (会 外 最) or its Mandarin final is ei / uei (贝 沛); else 部5 (泰 带 盖 大).
 * The Mandarin reading is pinyin-pro's (a dev dependency), only for these four rhymes.
 * 尤 侯 (and 有 厚 宥 候) readings with a labial initial (浮 否 妇 负 富 母 亩 谋) are in 部4 as well
 * as 部12: they had become -u by the Song, and 词林正韵 lists them in both (the 谱's examples rhyme
 * 否 妇 负 富 with 鱼 虞).
 * CILIN_OVERRIDES adds a few readings the 廣韻 data lacks (样, 祇 as 只, 粗 = 麤; each with its source);
 * tools/pingshui-overrides.ts's variant forms ('=X': the readings of X) are applied too, and its
 * added readings where the 平水韵 group names one 部 (or CLEAR_BU below says which).
 */
import { writeFileSync } from 'node:fs';
import { pinyin } from 'pinyin-pro';
import { toSimplified } from '../src/data/clean.ts';
import { PINGSHUI_OVERRIDES } from './pingshui-overrides.ts';
import { guangyunReadings, lookupKeys } from './guangyun.ts';

type Tone = '平' | '上' | '去' | '入';

/** 部 → [平, 上, 去] 廣韻 rhymes (部 1–14), or 入 rhymes (部 15–19). '*' marks a split rhyme. */
const BU: Record<number, [string, string, string] | string> = {
  1: ['東冬鍾', '董腫', '送宋用'],
  2: ['江陽唐', '講養蕩', '絳漾宕'],
  3: ['支脂之微齊灰', '紙旨止尾薺賄', '寘至志未霽祭隊廢*泰'],
  4: ['魚虞模', '語麌姥', '御遇暮'],
  5: ['皆咍*佳', '駭海*蟹', '怪代*泰*卦*夬'],
  6: ['真諄臻文欣魂痕', '軫準吻隱混很', '震稕問焮慁恨'],
  7: ['元寒桓刪山先仙', '阮旱緩潸產銑獮', '願翰換諫襇霰線'],
  8: ['蕭宵肴豪', '篠小巧晧', '嘯笑效号'],
  9: ['歌戈', '哿果', '箇過'],
  10: ['麻*佳', '馬*蟹', '禡*卦*夬'],
  11: ['庚耕清青蒸登', '梗耿靜迥拯等', '映諍勁徑證嶝'],
  12: ['尤侯幽', '有厚黝', '宥候幼'],
  13: ['侵', '寑', '沁'],
  14: ['覃談鹽添嚴咸銜凡', '感敢琰忝儼豏檻范', '勘闞豔㮇釅陷鑑梵'],
  15: '屋沃燭',
  16: '覺藥鐸',
  17: '質術櫛陌麥昔錫職德緝',
  18: '物迄月沒曷末黠鎋屑薛葉怗',
  19: '合盍業洽狎乏',
};

/**
 * Readings the 廣韻 data lacks under the form the 词 use, found by checking the 谱's example 词
 * (each [characters, '部 tone', reason]); the 集韵 (1039) gives most of them.
 */
const CILIN_OVERRIDES: readonly (readonly [chars: string, reading: string, reason: string])[] = [
  ['样樣', '2 去', '樣 余亮切 漾韵: the data has no 樣 at all'],
  ['阿', '9 上', '阿 倚可切 哿韵 (集韵; 阿那)'],
  ['祇祗', '3 上', 'written for 只/秖 (諸氏切 紙韵), the Song "only"'],
  ['恍', '2 上', 'variant of 怳 (許往切 養韵)'],
  ['娆嬈', '8 平', '嬈 如招切 宵韵 (集韵)'],
  ['澌', '3 平', '澌 相支切 支韵 (集韵)'],
  ['粗', '4 平', 'variant of 麤 (倉胡切 模韵)'],
  ['攒攢', '7 平', '攢 徂丸切 桓韵 (集韵)'],
  ['桁', '2 去', '桁 下浪切 宕韵 (集韵)'],
  ['挨', '5 平', '挨 於開切 咍韵 (集韵)'],
  ['够夠', '12 去', '夠 古候切 候韵 (集韵)'],
  ['冥', '11 去', '冥 莫定切 径韵 (集韵)'],
  ['么', '9 平', 'simplified text writes 麼 (莫婆切 戈韵) as 么, which the data has only as 幺 (萧)'],
  ['他', '10 平', 'the Song 词 rhyme 他 with 麻 (浣溪沙: 暮鸦 京华 生涯 … 却怜他); the 廣韻 has only 託何切 歌'],
];

/** 部 of an override's 平水韵 group, where the group spans two 部: by character. */
const CLEAR_BU: Record<string, number> = { 腮: 5, 滚: 6, 滾: 6 };
/** 平水韵 group → 部, for groups wholly inside one 部 (the overrides' targets). */
const PINGSHUI_BU: Record<string, number> = {
  东: 1, 冬: 1, 江: 2, 阳: 2, 支: 3, 微: 3, 齐: 3, 鱼: 4, 虞: 4, 真: 6, 文: 6, 寒: 7, 删: 7, 先: 7, 萧: 8, 肴: 8, 豪: 8, 歌: 9, 麻: 10,
  庚: 11, 青: 11, 蒸: 11, 尤: 12, 侵: 13, 覃: 14, 盐: 14, 咸: 14, 董: 1, 肿: 1, 讲: 2, 养: 2, 纸: 3, 尾: 3, 荠: 3, 语: 4, 麌: 4,
  轸: 6, 吻: 6, 旱: 7, 潸: 7, 铣: 7, 筱: 8, 巧: 8, 皓: 8, 哿: 9, 马: 10, 梗: 11, 迥: 11, 有: 12, 寝: 13, 感: 14, 琰: 14, 豏: 14,
  送: 1, 宋: 1, 绛: 2, 漾: 2, 寘: 3, 未: 3, 霁: 3, 御: 4, 遇: 4, 震: 6, 问: 6, 翰: 7, 谏: 7, 霰: 7, 啸: 8, 效: 8, 号: 8, 箇: 9,
  祃: 10, 敬: 11, 径: 11, 宥: 12, 沁: 13, 勘: 14, 艳: 14, 陷: 14,
  屋: 15, 沃: 15, 觉: 16, 药: 16, 质: 17, 陌: 17, 锡: 17, 职: 17, 缉: 17, 物: 18, 月: 18, 曷: 18, 黠: 18, 屑: 18, 叶: 18, 合: 19, 洽: 19,
};
const PINGSHUI_TONE: Record<string, Tone> = {};
for (const [g, b] of Object.entries(PINGSHUI_BU)) {
  const ping = '东冬江阳支微齐鱼虞真文寒删先萧肴豪歌麻庚青蒸尤侵覃盐咸';
  const shang = '董肿讲养纸尾荠语麌轸吻旱潸铣筱巧皓哿马梗迥有寝感琰豏';
  PINGSHUI_TONE[g] = b >= 15 ? '入' : ping.includes(g) ? '平' : shang.includes(g) ? '上' : '去';
}

/** 廣韻 rhyme → its (部, tone) choices; a split rhyme has two. */
function rhymeMap(): Map<string, { bu: number; tone: Tone }[]> {
  const map = new Map<string, { bu: number; tone: Tone }[]>();
  const add = (rhymes: string, bu: number, tone: Tone): void => {
    for (const r of rhymes.replaceAll('*', '')) map.set(r, [...(map.get(r) ?? []), { bu, tone }]);
  };
  for (const [b, rows] of Object.entries(BU)) {
    if (typeof rows === 'string') add(rows, Number(b), '入');
    else (['平', '上', '去'] as const).forEach((tone, i) => add(rows[i]!, Number(b), tone));
  }
  if (map.size !== 206) throw new Error(`expected the 206 rhymes of the 廣韻, got ${map.size}`);
  return map;
}

const mandarinFinal = (ch: string): string => pinyin(ch, { pattern: 'final', toneType: 'none', type: 'array' })[0] ?? '';

/** The 部 of a reading in a split rhyme (see the file comment). */
function splitBu(rhyme: string, ch: string, hu: string | null): number {
  const fin = mandarinFinal(toSimplified(ch));
  if (rhyme === '泰') return hu === '合' || fin === 'ei' || fin === 'ui' || fin === 'uei' ? 3 : 5;
  return ['a', 'ia', 'ua'].includes(fin) || (rhyme === '佳' && hu === '合') ? 10 : 5;
}


function build(): Map<string, Set<string>> {
  const rhymes = rhymeMap();
  const rows = new Map<string, Set<string>>(); // "部 tone" → characters
  const readings = new Map<string, Set<string>>(); // character → "部 tone"
  const put = (ch: string, key: string): void => {
    if ([...ch].length !== 1) return;
    rows.set(key, (rows.get(key) ?? new Set()).add(ch));
    readings.set(ch, (readings.get(ch) ?? new Set()).add(key));
  };
  const putKeys = (ch: string, key: string): void => {
    for (const k of lookupKeys(ch)) put(k, key);
  };
  // as tools/build-rhyme-book.ts: the 廣韻 readings through tools/guangyun.ts
  for (const { ch, rhyme, position } of guangyunReadings()) {
    const choices = rhyme === undefined ? undefined : rhymes.get(rhyme);
    if (!choices) throw new Error(`${ch}: rhyme ${rhyme} outside the 206`);
    const choice = choices.length === 1 ? choices[0]! : choices.find((c) => c.bu === splitBu(rhyme!, ch, position.呼))!;
    putKeys(ch, `${choice.bu} ${choice.tone}`);
    if (choice.bu === 12 && /^[尤侯]$/.test(position.韻) && position.屬於('脣音')) putKeys(ch, `4 ${choice.tone}`);
  }
  for (const [ch, target] of PINGSHUI_OVERRIDES) {
    if (target.startsWith('=')) {
      for (const key of readings.get(target.slice(1)) ?? []) putKeys(ch, key);
      continue;
    }
    const bu = CLEAR_BU[ch] ?? PINGSHUI_BU[target];
    if (bu === undefined) throw new Error(`override ${ch} → ${target}: the group spans two 部; add the character to CLEAR_BU`);
    putKeys(ch, `${bu} ${PINGSHUI_TONE[target]}`);
  }
  for (const [chars, reading, reason] of CILIN_OVERRIDES) {
    if (!reason || !/^\d+ [平上去入]$/.test(reading)) throw new Error(`override ${chars}: bad reading or no reason`);
    for (const ch of chars) putKeys(ch, reading);
  }
  return rows;
}

const rows = build();
const keys = Object.keys(BU).flatMap((b) => (Number(b) >= 15 ? [`${b} 入`] : ['平', '上', '去'].map((t) => `${b} ${t}`)));
const chars = new Set([...rows.values()].flatMap((s) => [...s]));
const out = `/**
 * 词林正韵: [部, tone, characters], 部 1–14 in 平 上 去, 15–19 入声. Generated by
 * tools/build-cilin-table.ts from the 廣韻 data of tshet-uinh; do not edit by hand. Characters appear
 * in simplified and traditional form; a character with several readings is in several rows.
 * ${chars.size} characters.
 */
export const CILIN_TABLE: readonly (readonly [bu: number, tone: '平' | '上' | '去' | '入', chars: string])[] = [
${keys.map((k) => { const [b, t] = k.split(' '); return `  [${b}, '${t}', '${[...(rows.get(k) ?? [])].join('')}'],`; }).join('\n')}
];
`;
writeFileSync(new URL('../src/poetry/cilin-table.ts', import.meta.url), out);
console.log(`wrote src/poetry/cilin-table.ts: ${chars.size} characters, ${[...rows.values()].reduce((n, s) => n + s.size, 0)} readings`);
