/**
 * Prosody of classical Chinese verse: the tone class (平/仄) and rhyme group of a character, the
 * standard 平仄 patterns of the four regulated forms, and the checker rule of docs/design.md §7.
 *
 * Tones. A character's class comes from its primary Mandarin reading (pinyin-pro: tones 1, 2 → 平;
 * 3, 4 → 仄), corrected by a committed table (tone-table.ts, derived from the 平仄 annotations of
 * chinese-poetry by tools/make-tone-table.ts) for the ~580 old 入声 characters Mandarin reads level
 * (白 一 国 …, all 仄 in verse), the ~90 characters with a classical 平 reading Mandarin lost, and
 * ~110 characters used with both readings in Tang verse (看 思 过 …), which are 'either'. A
 * character with no reading (not Han) is 'either' too: the checker never fails a poem on it.
 *
 * Rhymes. Groups are the 14 rhymes of 中华新韵 built from the Mandarin finals of a character's readings
 * (麻 a ia ua · 波 o e uo · 皆 ie üe · 开 ai uai · 微 ei ui · 豪 ao iao · 尤 ou iu · 寒 an ian uan
 * üan · 文 en in un ün · 唐 ang iang uang · 庚 eng ing ueng ong iong · 齐 i ü er · 支 zhi…si ·
 * 姑 u). Not 平水韵: a table of its 106 rhymes was not available in a form we could build and check,
 * while Tang rhyme characters are 平声 and mostly keep their old final in Mandarin.
 *
 * Patterns and checker. A five-character line is one of A 仄仄平平仄, B 平平仄仄平, C 平平平仄仄,
 * D 仄仄仄平平; a seven-character line prefixes the two opposite tones of its first. A quatrain
 * begins with one of the four lines and follows the rules of opposition and adhesion (A B C D,
 * D B C D, C D A B, B D A B); a regulated octave repeats its quatrain with line 5 unrhymed. A line
 * fits a pattern when the even positions and the last match it (positions 1, 3 and 5 of seven are
 * free, as 1 and 3 of five), unless the free choice makes 孤平 (a 平平仄仄平-type line whose last
 * five characters keep a single 平 before the rhyme) or 三平尾 (the last three characters all 平).
 *
 * Dimension letters: C characters per line (5 or 7), L lines (4 or 8).
 */
import { pinyin } from 'pinyin-pro';
import { FORM_SHAPE, type RegulatedForm } from '../data/clean.ts';
import { CLASSICAL_BOTH, CLASSICAL_PING, CLASSICAL_ZE } from './tone-table.ts';

/** A character's tone class; 'either' matches both 平 and 仄. */
export type Tone = '平' | '仄' | 'either';

const toneCache = new Map<string, Tone>();

/** The classical tone class of one character (see the file comment for the rule). */
export function toneOf(ch: string): Tone {
  let tone = toneCache.get(ch);
  if (tone) return tone;
  if (CLASSICAL_ZE.includes(ch)) tone = '仄';
  else if (CLASSICAL_PING.includes(ch)) tone = '平';
  else if (CLASSICAL_BOTH.includes(ch)) tone = 'either';
  else tone = mandarinTone(ch);
  toneCache.set(ch, tone);
  return tone;
}

function mandarinTone(ch: string): Tone {
  if (!/^\p{Script=Han}$/u.test(ch)) return 'either';
  const t = pinyin(ch, { pattern: 'num', type: 'array' })[0];
  return t === '1' || t === '2' ? '平' : t === '3' || t === '4' ? '仄' : 'either';
}

/** The 14 rhyme groups of 中华新韵. */
export const RHYME_GROUPS = ['麻', '波', '皆', '开', '微', '豪', '尤', '寒', '文', '唐', '庚', '齐', '支', '姑'] as const;
export type RhymeGroup = (typeof RHYME_GROUPS)[number];

/** Standard final (after the initial, with y/w spelled out and ü restored) → rhyme group. */
const FINAL_GROUP: Record<string, RhymeGroup> = {
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

const rhymeCache = new Map<string, readonly RhymeGroup[]>();

/**
 * The 中华新韵 rhyme groups of a character, over all its readings (primary first), so that a
 * character read two ways in verse rhymes either way (还 huán/hái); empty for non-Han characters.
 */
export function rhymeGroupsOf(ch: string): readonly RhymeGroup[] {
  let groups = rhymeCache.get(ch);
  if (groups) return groups;
  const found = new Set<RhymeGroup>();
  if (/^\p{Script=Han}$/u.test(ch)) {
    for (const syllable of pinyin(ch, { toneType: 'none', type: 'array', multiple: true })) {
      const group = FINAL_GROUP[finalOf(syllable)];
      if (group) found.add(group);
    }
  }
  groups = [...found];
  rhymeCache.set(ch, groups);
  return groups;
}

/** Whether two characters rhyme: some reading of each falls in the same group. */
export function rhymes(a: string, b: string): boolean {
  const groups = rhymeGroupsOf(b);
  return rhymeGroupsOf(a).some((g) => groups.includes(g));
}

/** Five-character line types; seven-character lines prefix the two opposite tones. */
const LINE5 = { A: '仄仄平平仄', B: '平平仄仄平', C: '平平平仄仄', D: '仄仄仄平平' } as const;
type LineType = keyof typeof LINE5;
/** The quatrain that each first line starts (opposition and adhesion). */
const QUATRAINS: Record<LineType, LineType[]> = { A: ['A', 'B', 'C', 'D'], D: ['D', 'B', 'C', 'D'], C: ['C', 'D', 'A', 'B'], B: ['B', 'D', 'A', 'B'] };
/** The unrhymed line type with the same second-character tone (line 5 of an octave). */
const UNRHYMED: Record<LineType, LineType> = { A: 'A', D: 'A', C: 'C', B: 'C' };

/** One standard 平仄 pattern of a regulated form. */
export interface TonePattern {
  /** e.g. 'qijue 平起首句入韵' */
  readonly name: string;
  /** L line patterns of C marks 平/仄. */
  readonly lines: readonly string[];
  /** Whether the first line rhymes (ends in 平). */
  readonly firstLineRhymes: boolean;
}

function linePattern(type: LineType, chars: number): string {
  const five = LINE5[type];
  if (chars === 5) return five;
  const opposite = five[0] === '平' ? '仄仄' : '平平';
  return opposite + five;
}

/** The four standard patterns of a form (平起/仄起 × first line rhymed or not). */
export function tonePatterns(form: RegulatedForm): TonePattern[] {
  const { chars, lines } = FORM_SHAPE[form];
  return (['A', 'D', 'C', 'B'] as LineType[]).map((first) => {
    const quatrain = QUATRAINS[first];
    const types = lines === 4 ? quatrain : [...quatrain, UNRHYMED[first], ...quatrain.slice(1)];
    const patterns = types.map((t) => linePattern(t, chars));
    const rhymes = patterns[0].endsWith('平');
    return { name: `${form} ${patterns[0][1]}起首句${rhymes ? '' : '不'}入韵`, lines: patterns, firstLineRhymes: rhymes };
  });
}

/** Whether position i (0-based) of a line of C characters may differ from the pattern. */
function isFreePosition(i: number, chars: number): boolean {
  return i % 2 === 0 && i < chars - 1;
}

/**
 * The checker rule of docs/design.md §7: whether a line's tones fit a line pattern. 'either' matches any
 * mark, counts as 平 against 孤平 and as 仄 against 三平尾 (the checker gives ambiguity the benefit).
 */
export function lineFits(tones: readonly Tone[], pattern: string): boolean {
  const C = pattern.length;
  if (tones.length !== C) return false;
  for (let i = 0; i < C; i++) {
    if (!isFreePosition(i, C) && tones[i] !== 'either' && tones[i] !== pattern[i]) return false;
  }
  if (pattern[C - 1] === '平' && pattern[C - 2] === '仄') {
    // 孤平 (only the 平平仄仄平 type can suffer it): one 平 left before the rhyme in the last five
    let level = 0;
    for (let i = C - 5; i < C - 1; i++) if (tones[i] !== '仄') level++;
    if (level < 2) return false;
  }
  // 三平尾
  return !(tones[C - 3] === '平' && tones[C - 2] === '平' && tones[C - 1] === '平');
}

/**
 * Whether some completion of the tones `prefix` (its first characters) still fits `pattern`:
 * the test constrained decoding runs before each character (at most 2^7 completions).
 */
export function prefixFits(prefix: readonly Tone[], pattern: string): boolean {
  const rest = pattern.length - prefix.length;
  if (rest < 0) return false;
  const line = [...prefix] as Tone[];
  for (let bits = 0; bits < 1 << rest; bits++) {
    for (let j = 0; j < rest; j++) line[prefix.length + j] = (bits >> j) & 1 ? '仄' : '平';
    if (lineFits(line, pattern)) return true;
  }
  return false;
}

/** The tones of each line of a poem given as lines of characters (punctuation removed). */
export function lineTones(lines: readonly string[]): Tone[][] {
  return lines.map((line) => [...line].map(toneOf));
}

/** The first standard pattern of `form` that every line fits, or undefined. */
export function matchPattern(lines: readonly string[], form: RegulatedForm): TonePattern | undefined {
  const tones = lineTones(lines);
  return tonePatterns(form).find(
    (p) => p.lines.length === tones.length && p.lines.every((line, i) => lineFits(tones[i], line)),
  );
}
