/**
 * Builds the 平水韵 rhyme table src/poetry/pingshui-table.ts from the 廣韻 data of the npm package
 * tshet-uinh (dev dependency; its data is not committed, only the table made from it):
 *   node --import tsx tools/build-rhyme-book.ts [--validate]
 *
 * How. Every 廣韻 entry (字頭, 韻目 = one of the 206 rhymes) gives the character one reading; the
 * 206 rhymes merge into the 106 groups of the 平水韵 by MERGE below: the 同用 rules of the 廣韻
 * plus the later merges the 平水韵 made where the 同用 table keeps rhymes apart (文+欣, 吻+隱,
 * 問+焮, 物+迄, 鹽+添+嚴, 咸+銜+凡, 琰+忝+儼, 豏+檻+范, 豔+㮇+釅, 陷+鑑+梵, 葉+怗+業, 洽+狎+乏,
 * 迥+拯+等, 徑+證+嶝). A character is keyed by its 字頭 (traditional), by that form converted to
 * simplified (OpenCC t → cn, so a simplified character pools the readings of every traditional form
 * it stands for: 干 gets 乾's 先 reading), and by OpenCC's standard traditional form of the
 * simplified key when that differs (爲/為). tools/pingshui-overrides.ts, each entry with its reason,
 * gives variant forms the corpus uses the readings of the form the 廣韻 data keys (間 = 閒), and adds
 * the few readings the 平水韵 has and the 廣韻 data lacks (涯 in 麻, 強 in 养).
 *
 * --validate compares the table with the Wikisource transcription in ../shared/data/pingshui/
 * (traditional keys; it has scrape errors, see its README) and prints the disagreements, the
 * 平/仄 ones ranked by the characters' frequency in the corpus (data/corpus/train) when present.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { toSimplified } from '../src/data/clean.ts';
import { PINGSHUI_OVERRIDES } from './pingshui-overrides.ts';
import { guangyunReadings, lookupKeys } from './guangyun.ts';

type Tone = '平' | '上' | '去' | '入';

/**
 * The 106 groups in book order: [name (simplified head), full name, tone, 廣韻 rhymes merged].
 * The full names follow the book's sections (上平 and 下平 are both 平声).
 */
const MERGE: [string, string, Tone, string][] = [
  // 上平声
  ['东', '上平一东', '平', '東'], ['冬', '上平二冬', '平', '冬鍾'], ['江', '上平三江', '平', '江'],
  ['支', '上平四支', '平', '支脂之'], ['微', '上平五微', '平', '微'], ['鱼', '上平六鱼', '平', '魚'],
  ['虞', '上平七虞', '平', '虞模'], ['齐', '上平八齐', '平', '齊'], ['佳', '上平九佳', '平', '佳皆'],
  ['灰', '上平十灰', '平', '灰咍'], ['真', '上平十一真', '平', '真諄臻'], ['文', '上平十二文', '平', '文欣'],
  ['元', '上平十三元', '平', '元魂痕'], ['寒', '上平十四寒', '平', '寒桓'], ['删', '上平十五删', '平', '刪山'],
  // 下平声
  ['先', '下平一先', '平', '先仙'], ['萧', '下平二萧', '平', '蕭宵'], ['肴', '下平三肴', '平', '肴'],
  ['豪', '下平四豪', '平', '豪'], ['歌', '下平五歌', '平', '歌戈'], ['麻', '下平六麻', '平', '麻'],
  ['阳', '下平七阳', '平', '陽唐'], ['庚', '下平八庚', '平', '庚耕清'], ['青', '下平九青', '平', '青'],
  ['蒸', '下平十蒸', '平', '蒸登'], ['尤', '下平十一尤', '平', '尤侯幽'], ['侵', '下平十二侵', '平', '侵'],
  ['覃', '下平十三覃', '平', '覃談'], ['盐', '下平十四盐', '平', '鹽添嚴'], ['咸', '下平十五咸', '平', '咸銜凡'],
  // 上声
  ['董', '上声一董', '上', '董'], ['肿', '上声二肿', '上', '腫'], ['讲', '上声三讲', '上', '講'],
  ['纸', '上声四纸', '上', '紙旨止'], ['尾', '上声五尾', '上', '尾'], ['语', '上声六语', '上', '語'],
  ['麌', '上声七麌', '上', '麌姥'], ['荠', '上声八荠', '上', '薺'], ['蟹', '上声九蟹', '上', '蟹駭'],
  ['贿', '上声十贿', '上', '賄海'], ['轸', '上声十一轸', '上', '軫準'], ['吻', '上声十二吻', '上', '吻隱'],
  ['阮', '上声十三阮', '上', '阮混很'], ['旱', '上声十四旱', '上', '旱緩'], ['潸', '上声十五潸', '上', '潸產'],
  ['铣', '上声十六铣', '上', '銑獮'], ['筱', '上声十七筱', '上', '篠小'], ['巧', '上声十八巧', '上', '巧'],
  ['皓', '上声十九皓', '上', '晧'], ['哿', '上声二十哿', '上', '哿果'], ['马', '上声二十一马', '上', '馬'],
  ['养', '上声二十二养', '上', '養蕩'], ['梗', '上声二十三梗', '上', '梗耿靜'], ['迥', '上声二十四迥', '上', '迥拯等'],
  ['有', '上声二十五有', '上', '有厚黝'], ['寝', '上声二十六寝', '上', '寑'], ['感', '上声二十七感', '上', '感敢'],
  ['琰', '上声二十八琰', '上', '琰忝儼'], ['豏', '上声二十九豏', '上', '豏檻范'],
  // 去声
  ['送', '去声一送', '去', '送'], ['宋', '去声二宋', '去', '宋用'], ['绛', '去声三绛', '去', '絳'],
  ['寘', '去声四寘', '去', '寘至志'], ['未', '去声五未', '去', '未'], ['御', '去声六御', '去', '御'],
  ['遇', '去声七遇', '去', '遇暮'], ['霁', '去声八霁', '去', '霽祭'], ['泰', '去声九泰', '去', '泰'],
  ['卦', '去声十卦', '去', '卦怪夬'], ['队', '去声十一队', '去', '隊代廢'], ['震', '去声十二震', '去', '震稕'],
  ['问', '去声十三问', '去', '問焮'], ['愿', '去声十四愿', '去', '願慁恨'], ['翰', '去声十五翰', '去', '翰換'],
  ['谏', '去声十六谏', '去', '諫襇'], ['霰', '去声十七霰', '去', '霰線'], ['啸', '去声十八啸', '去', '嘯笑'],
  ['效', '去声十九效', '去', '效'], ['号', '去声二十号', '去', '号'], ['箇', '去声二十一箇', '去', '箇過'],
  ['祃', '去声二十二祃', '去', '禡'], ['漾', '去声二十三漾', '去', '漾宕'], ['敬', '去声二十四敬', '去', '映諍勁'],
  ['径', '去声二十五径', '去', '徑證嶝'], ['宥', '去声二十六宥', '去', '宥候幼'], ['沁', '去声二十七沁', '去', '沁'],
  ['勘', '去声二十八勘', '去', '勘闞'], ['艳', '去声二十九艳', '去', '豔㮇釅'], ['陷', '去声三十陷', '去', '陷鑑梵'],
  // 入声
  ['屋', '入声一屋', '入', '屋'], ['沃', '入声二沃', '入', '沃燭'], ['觉', '入声三觉', '入', '覺'],
  ['质', '入声四质', '入', '質術櫛'], ['物', '入声五物', '入', '物迄'], ['月', '入声六月', '入', '月沒'],
  ['曷', '入声七曷', '入', '曷末'], ['黠', '入声八黠', '入', '黠鎋'], ['屑', '入声九屑', '入', '屑薛'],
  ['药', '入声十药', '入', '藥鐸'], ['陌', '入声十一陌', '入', '陌麥昔'], ['锡', '入声十二锡', '入', '錫'],
  ['职', '入声十三职', '入', '職德'], ['缉', '入声十四缉', '入', '緝'], ['合', '入声十五合', '入', '合盍'],
  ['叶', '入声十六叶', '入', '葉怗業'], ['洽', '入声十七洽', '入', '洽狎乏'],
];


/** 廣韻 rhyme (韻目) → index of its group in MERGE. */
function rhymeIndex(): Map<string, number> {
  const index = new Map<string, number>();
  MERGE.forEach(([, , , rhymes], i) => {
    for (const r of rhymes) {
      if (index.has(r)) throw new Error(`rhyme ${r} in two groups`);
      index.set(r, i);
    }
  });
  if (index.size !== 206 || MERGE.length !== 106) throw new Error(`expected 206 rhymes in 106 groups, got ${index.size} in ${MERGE.length}`);
  return index;
}

/** The characters of each group, in 廣韻 order then overrides; a Set per group. */
function buildGroups(): Set<string>[] {
  const index = rhymeIndex();
  const groups = MERGE.map(() => new Set<string>());
  const add = (ch: string, g: number): void => {
    if ([...ch].length !== 1) return; // a t→cn conversion that is not one character
    groups[g].add(ch);
  };
  const addKeys = (ch: string, g: number): void => {
    for (const key of lookupKeys(ch)) add(key, g);
  };
  let unknownRhyme = 0;
  for (const { ch, rhyme } of guangyunReadings()) {
    const g = rhyme === undefined ? undefined : index.get(rhyme);
    if (g === undefined) {
      unknownRhyme++;
      continue;
    }
    addKeys(ch, g);
  }
  if (unknownRhyme) throw new Error(`${unknownRhyme} entries with a rhyme outside the 206`);
  for (const [ch, target, reason] of PINGSHUI_OVERRIDES) {
    if (!reason) throw new Error(`override ${ch}: no reason`);
    const targets = target.startsWith('=')
      ? groups.flatMap((set, g) => (set.has(target.slice(1)) ? [g] : []))
      : [MERGE.findIndex(([n]) => n === target)];
    if (targets.length === 0 || targets.includes(-1)) throw new Error(`override ${ch}: ${target} has no reading`);
    for (const g of targets) addKeys(ch, g);
  }
  return groups;
}

function writeTable(groups: Set<string>[]): void {
  const rows = MERGE.map(([name, full, tone], i) => `  ['${name}', '${full}', '${tone}', '${[...groups[i]].join('')}'],`);
  const chars = new Set(groups.flatMap((g) => [...g]));
  const out = `/**
 * The 平水韵: 106 groups in book order, each [name, full name, tone, characters]. Generated by
 * tools/build-rhyme-book.ts from the 廣韻 data of tshet-uinh (206 rhymes merged by the 同用 rules)
 * plus tools/pingshui-overrides.ts; do not edit by hand. Characters appear in simplified and
 * traditional form; a character in several groups has several readings. ${chars.size} characters.
 */
export const PINGSHUI_GROUPS: readonly (readonly [name: string, fullName: string, tone: '平' | '上' | '去' | '入', chars: string])[] = [
${rows.join('\n')}
];
`;
  writeFileSync(new URL('../src/poetry/pingshui-table.ts', import.meta.url), out);
  console.log(`wrote src/poetry/pingshui-table.ts: ${chars.size} characters, ${groups.reduce((n, g) => n + g.size, 0)} readings`);
}

/** Character frequencies in the training corpus (empty when it is not built). */
function corpusCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const form of ['wujue', 'qijue', 'wulv', 'qilv']) {
    const file = new URL(`../data/corpus/train/${form}.txt`, import.meta.url);
    if (!existsSync(file)) continue;
    for (const ch of readFileSync(file, 'utf8')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  return counts;
}

/** Compares with the Wikisource transcription (traditional characters) and prints the figures. */
function validate(groups: Set<string>[]): void {
  const file = new URL('../../shared/data/pingshui/pingshui-wikisource.json', import.meta.url);
  const book = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, Record<string, string[]>>>;
  const theirs = Object.values(book).flatMap((part) => Object.values(part).flatMap((section) => Object.values(section).map((s) => new Set([...s.join('')]))));
  if (theirs.length !== 106) throw new Error(`wikisource: ${theirs.length} groups`);
  const counts = corpusCounts();
  const freq = (ch: string): number => counts.get(toSimplified(ch)) ?? 0;
  const isPing = (g: number): boolean => MERGE[g][2] === '平';
  const ours = new Map<string, number[]>();
  groups.forEach((set, g) => set.forEach((ch) => ours.set(ch, [...(ours.get(ch) ?? []), g])));
  const theirMap = new Map<string, number[]>();
  theirs.forEach((set, g) => set.forEach((ch) => theirMap.set(ch, [...(theirMap.get(ch) ?? []), g])));

  let entries = 0, agree = 0, absent = 0;
  const missingReading: [string, number][] = [];
  const classOf = (gs: number[]): string => (gs.some(isPing) ? (gs.some((g) => !isPing(g)) ? 'both' : '平') : '仄');
  const toneDisagree: string[] = [];
  for (const [ch, gs] of theirMap) {
    const mine = ours.get(ch);
    for (const g of gs) {
      entries++;
      if (!mine) absent++;
      else if (mine.includes(g)) agree++;
      else missingReading.push([ch, g]);
    }
    if (mine && classOf(mine) !== classOf(gs) && !(classOf(mine) === 'both')) toneDisagree.push(ch);
  }
  const byFreq = (a: string, b: string): number => freq(b) - freq(a);
  const name = (g: number): string => MERGE[g][0];
  console.log(`wikisource: ${theirMap.size} characters, ${entries} (character, group) entries`);
  console.log(`  agree ${agree}; character not in our table ${absent}; reading missing from ours ${missingReading.length}`);
  const pingMissing = missingReading.filter(([, g]) => isPing(g)).sort((a, b) => byFreq(a[0], b[0]));
  console.log(`  of which 平 readings missing from ours: ${pingMissing.length}; most frequent in the corpus:`);
  console.log('   ', pingMissing.slice(0, 60).map(([ch, g]) => `${ch}:${name(g)}(ours ${ours.get(ch)!.map(name).join('')}, ${freq(ch)})`).join(' '));
  console.log(`  characters whose 平/仄 class differs (ours not 'both'): ${toneDisagree.length}; most frequent:`);
  console.log('   ', toneDisagree.sort(byFreq).slice(0, 40).map((ch) => `${ch}:ours ${ours.get(ch)!.map(name).join('')}/theirs ${theirMap.get(ch)!.map(name).join('')}(${freq(ch)})`).join(' '));
  let extra = 0;
  for (const [ch, gs] of ours) if (theirMap.has(ch)) extra += gs.filter((g) => !theirMap.get(ch)!.includes(g)).length;
  console.log(`  readings in ours that wikisource lacks (for its characters; the 廣韻 keeps rare 又音): ${extra}`);
}

const groups = buildGroups();
writeTable(groups);
if (process.argv.includes('--validate')) validate(groups);
