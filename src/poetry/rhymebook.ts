/**
 * Rhyme books: a character's readings (tone 平/上/去/入 and rhyme group), its tone class for
 * 平仄, its 平声 rhyme groups, and the neighbouring groups (邻韵). Two books behind one interface,
 * chosen by name and never mixed within a poem:
 *
 * - `pingshui` (default): the 平水韵 of Tang regulated verse, 106 groups (30 平声). Readings come
 *   from pingshui-table.ts (the 廣韻 readings of tshet-uinh merged by the 同用 rules, built by
 *   tools/build-rhyme-book.ts), so a character keeps every reading the dictionary gives it: 看 is
 *   寒 (平) and 翰 (去), 白 is 陌 (入). Group names are the simplified heads (东 冬 … 咸; 董 … 洽).
 * - `xinyun`: 中华新韵, 14 groups (麻 波 皆 开 微 豪 尤 寒 文 唐 庚 齐 支 姑) from the finals of the
 *   character's primary Mandarin reading, modern tones (1, 2 → 平; 3 → 上; 4 → 去), no 入声
 *   correction: the book for poems written to modern pronunciation. One reading each, from
 *   xinyun-table.ts (built by tools/build-xinyun-table.ts with pinyin-pro and `xinyunReadingOf`
 *   below, so neither start-up nor the page loads a pinyin dictionary).
 *
 * Tone class: '平' when every reading is 平, '仄' when none is, 'either' when the character has
 * both (a polyphonic character fits a position when one of its readings does), 'unknown' when
 * the book has no reading (not Han, or missing from the book).
 */
import { isHan } from '../data/clean.ts';
import { RHYME_BOOKS, type RhymeBookName } from './book-names.ts';
import { PINGSHUI_GROUPS } from './pingshui-table.ts';
import { XINYUN_TABLE } from './xinyun-table.ts';

export { RHYME_BOOKS, type RhymeBookName };

/** The four tones of Middle Chinese (xinyun uses 平 上 去 only). */
export type FourTone = '平' | '上' | '去' | '入';
/** A character's 平仄 class in a book (see the file comment). */
export type ToneClass = '平' | '仄' | 'either' | 'unknown';

/** One reading of a character: its tone and its rhyme group (a group name of the book). */
export interface Reading {
  readonly tone: FourTone;
  readonly group: string;
}

export interface RhymeBook {
  readonly name: RhymeBookName;
  /** The 平声 rhyme groups, in book order (the groups a regulated poem may rhyme in). */
  readonly pingGroups: readonly string[];
  /** Every group name of the book, in book order (平水韵: 东 … 咸, 董 … 豏, 送 … 陷, 屋 … 洽). */
  readonly groups: readonly string[];
  /** Every reading of a character ([] when the book has none). */
  readingsOf(ch: string): readonly Reading[];
  /** The character's 平仄 class. */
  toneOf(ch: string): ToneClass;
  /** The groups of the character's 平 readings (the groups it can rhyme in). */
  pingGroupsOf(ch: string): readonly string[];
  /** The neighbouring groups (邻韵) of a 平 group: allowed for the first line's rhyme only. */
  neighboursOf(group: string): readonly string[];
  /** A group's display name (平水韵: 下平八庚; 中华新韵: 十一庚). */
  labelOf(group: string): string;
}

function toneClass(readings: readonly Reading[]): ToneClass {
  if (readings.length === 0) return 'unknown';
  const ping = readings.some((r) => r.tone === '平');
  const ze = readings.some((r) => r.tone !== '平');
  return ping && ze ? 'either' : ping ? '平' : '仄';
}

/** Builds a book from a reading function, memoising per character. */
function makeBook(
  name: RhymeBookName,
  pingGroups: readonly string[],
  groups: readonly string[],
  read: (ch: string) => Reading[],
  neighbours: ReadonlyMap<string, readonly string[]>,
  labels: ReadonlyMap<string, string>,
): RhymeBook {
  const cache = new Map<string, { readings: readonly Reading[]; tone: ToneClass; ping: readonly string[] }>();
  const entry = (ch: string) => {
    let e = cache.get(ch);
    if (!e) {
      const readings = isHan(ch) ? read(ch) : [];
      e = { readings, tone: toneClass(readings), ping: [...new Set(readings.filter((r) => r.tone === '平').map((r) => r.group))] };
      cache.set(ch, e);
    }
    return e;
  };
  return {
    name,
    pingGroups,
    groups,
    readingsOf: (ch) => entry(ch).readings,
    toneOf: (ch) => entry(ch).tone,
    pingGroupsOf: (ch) => entry(ch).ping,
    neighboursOf: (group) => neighbours.get(group) ?? [],
    labelOf: (group) => labels.get(group) ?? group,
  };
}

/**
 * 邻韵 of the 平水韵: groups whose rhymes are close enough that a poet may take the first line's
 * rhyme from the neighbour (Wang Li,《汉语诗律学》 §14: 东冬, 江阳, 支微齐, 鱼虞, 佳灰, 真文元,
 * 元寒删先, 萧肴豪, 歌麻, 庚青蒸, 覃盐咸).
 */
const PINGSHUI_NEIGHBOURS = ['东冬', '江阳', '支微齐', '鱼虞', '佳灰', '真文元', '元寒删先', '萧肴豪', '歌麻', '庚青蒸', '覃盐咸'];

function neighbourMap(cliques: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const clique of cliques) {
    for (const g of clique) {
      const others = [...clique].filter((h) => h !== g);
      map.set(g, [...new Set([...(map.get(g) ?? []), ...others])]);
    }
  }
  return map;
}

let pingshuiBook: RhymeBook | undefined;
function pingshui(): RhymeBook {
  if (pingshuiBook) return pingshuiBook;
  const readings = new Map<string, Reading[]>();
  for (const [group, , tone, chars] of PINGSHUI_GROUPS) {
    for (const ch of chars) {
      const list = readings.get(ch) ?? [];
      list.push({ tone, group });
      readings.set(ch, list);
    }
  }
  const pingGroups = PINGSHUI_GROUPS.filter(([, , tone]) => tone === '平').map(([group]) => group);
  const labels = new Map(PINGSHUI_GROUPS.map(([group, full]) => [group, full]));
  pingshuiBook = makeBook('pingshui', pingGroups, PINGSHUI_GROUPS.map(([group]) => group), (ch) => readings.get(ch) ?? [], neighbourMap(PINGSHUI_NEIGHBOURS), labels);
  return pingshuiBook;
}

/** The 14 groups of 中华新韵, in order. */
export const XINYUN_GROUPS = ['麻', '波', '皆', '开', '微', '豪', '尤', '寒', '文', '唐', '庚', '齐', '支', '姑'] as const;
const XINYUN_NUMBERS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二', '十三', '十四'];

/** Standard final (after the initial, with y/w spelled out and ü restored) → 中华新韵 group. */
const FINAL_GROUP: Record<string, (typeof XINYUN_GROUPS)[number]> = {
  a: '麻', ia: '麻', ua: '麻',
  o: '波', e: '波', uo: '波',
  ie: '皆', üe: '皆', ê: '皆',
  ai: '开', uai: '开',
  ei: '微', uei: '微',
  ao: '豪', iao: '豪',
  ou: '尤', iou: '尤',
  an: '寒', ian: '寒', uan: '寒', üan: '寒',
  en: '文', in: '文', uen: '文', ün: '文',
  ang: '唐', iang: '唐', uang: '唐',
  eng: '庚', ing: '庚', ueng: '庚', ong: '庚', iong: '庚',
  i: '齐', ü: '齐', er: '齐',
  '-i': '支',
  u: '姑',
};

const INITIAL = /^(zh|ch|sh|[bpmfdtnlgkhjqxrzcs])/;

/** The standard final of a toneless pinyin syllable (e.g. 'xue' → 'üe', 'shi' → '-i', 'wei' → 'uei'). */
export function finalOf(syllable: string): string {
  const s = syllable.replace(/v/g, 'ü');
  if (s.startsWith('y')) {
    const rest = s.slice(1);
    if (rest.startsWith('u')) return 'ü' + rest.slice(1); // yu yue yuan yun
    if (rest === 'ou') return 'iou';
    return rest.startsWith('i') ? rest : 'i' + rest; // yi yin ying | ya ye yao yan yang yong
  }
  if (s.startsWith('w')) {
    const rest = s.slice(1);
    if (rest === 'u') return 'u';
    return { ei: 'uei', en: 'uen', eng: 'ueng' }[rest] ?? 'u' + rest;
  }
  const m = INITIAL.exec(s);
  const initial = m ? m[1] : '';
  let fin = s.slice(initial.length);
  if (fin === 'i' && /^(zh|ch|sh|r|z|c|s)$/.test(initial)) return '-i';
  if (/^[jqx]$/.test(initial) && fin.startsWith('u')) fin = 'ü' + fin.slice(1);
  return { iu: 'iou', ui: 'uei', un: /^[jqx]$/.test(initial) ? 'ün' : 'uen' }[fin] ?? fin;
}

const MANDARIN_TONE: Record<string, FourTone> = { '1': '平', '2': '平', '3': '上', '4': '去' };

/**
 * The 中华新韵 reading of a primary Mandarin reading — toneless syllable ('xue') and tone digit
 * ('2') — or null when it has none (a neutral tone, an unknown final): the rule the table is built by.
 */
export function xinyunReadingOf(syllable: string, toneDigit: string): Reading | null {
  const tone = MANDARIN_TONE[toneDigit];
  const group = FINAL_GROUP[finalOf(syllable)];
  return tone && group ? { tone, group } : null;
}

let xinyunBook: RhymeBook | undefined;
function xinyun(): RhymeBook {
  if (!xinyunBook) {
    const readings = new Map<string, Reading[]>();
    for (const [group, tone, chars] of XINYUN_TABLE) for (const ch of chars) readings.set(ch, [{ tone, group }]);
    xinyunBook = makeBook('xinyun', XINYUN_GROUPS, XINYUN_GROUPS, (ch) => readings.get(ch) ?? [], new Map(), new Map(XINYUN_GROUPS.map((g, i) => [g, XINYUN_NUMBERS[i] + g])));
  }
  return xinyunBook;
}

/** The rhyme book of a name (built on first use). */
export function rhymeBook(name: RhymeBookName = 'pingshui'): RhymeBook {
  return name === 'xinyun' ? xinyun() : pingshui();
}
