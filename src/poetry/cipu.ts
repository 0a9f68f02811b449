/**
 * The 词谱 as typed formats: 817 tunes (词牌), 2,524 formats (体) from 《钦定词谱》 and 龙榆生
 * 《唐宋词格律》, parsed from cipu-table.ts (couyun's data, MIT; assets/cipu/README.md explains it).
 * Browser-safe: no Node module, the table is a plain module.
 *
 * A format is a list of slots, one per character of the 词, in order:
 *   { tone: 平 | 仄 | 中 (either), pause?: the mark after the character where a piece ends —
 *     句 (line end, no rhyme) 读 (pause inside a line) 韵 (rhyme) 叶 (a rhyme in the other tone)
 *     叠 / 重 (the piece repeats the one before), rhyme?: { group, xie }, change?: 换韵 here }
 * plus its rhyme groups (one 部 each: `tone` 平 or 仄, `positions` of the rhyming characters,
 * `xie` those of them in the other tone) and its 片 (stanzas: `stanzas` holds each 片's length).
 *
 * The 谱 does not mark the 片 break; it is inferred: a 双调 tune breaks at the end of the piece
 * (an entry of the 谱's `lines`, which ends at a rhyme) nearest to half of the characters, a 三段 /
 * 四段 one at the piece ends nearest to its thirds / quarters (浣溪沙 21+21, 菩萨蛮 24+20, 水调歌头
 * 48+47, 沁园春 56+58, 清平乐 22+24, 忆秦娥 21+25, 雨霖铃 50+53).
 *
 * Lookup: `findTune` by the usual name, an alias (十六字令 = 归字谣) or a traditional name; an
 * unknown name throws a CipaiError that suggests near names.
 */
import { CIPU_TABLE, type CipuFormatRow, type CipuRow } from './cipu-table.ts';
import { PoetryError } from './forms.ts';

export type SlotTone = '平' | '仄' | '中';
export type PauseMark = '句' | '读' | '韵' | '叶' | '叠' | '重';

export interface CiSlot {
  readonly tone: SlotTone;
  /** The mark after this character, where a piece of the 谱 ends here. */
  readonly pause?: PauseMark;
  /** This character rhymes: the index of its group in `rhymeGroups`; `xie` when it is a 叶. */
  readonly rhyme?: { readonly group: number; readonly xie: boolean };
  /** The piece ending here repeats the characters before it (叠 / 重). */
  readonly repeat?: boolean;
  /** The rhyme changes at this piece (换韵). */
  readonly change?: boolean;
  /** The 片 (stanza) ends here. */
  readonly stanzaEnd?: boolean;
}

export interface CiRhymeGroup {
  /** couyun's key of the group (e.g. '0', '-1'). */
  readonly key: string;
  /** The tone the group rhymes in: the tone of its positions that are not 叶. */
  readonly tone: '平' | '仄';
  /** 0-based positions of its rhyming characters, in order (叶 included). */
  readonly positions: readonly number[];
  /** Those of `positions` that are 叶 (the other tone, same 部). */
  readonly xie: readonly number[];
}

export type CipuBook = '钦定词谱' | '唐宋词格律';

export interface CiFormat {
  /** The tune's usual name. */
  readonly tune: string;
  /** 0-based index among the tune's formats (the `--variant` is this + 1). */
  readonly index: number;
  readonly book: CipuBook;
  /** 1 for the book's 正体, then 又一体 in the book's order. */
  readonly variant: number;
  /** One of 平 仄 中 per character. */
  readonly pattern: string;
  readonly slots: readonly CiSlot[];
  readonly rhymeGroups: readonly CiRhymeGroup[];
  /** Characters in each 片, in order (sum = pattern length). */
  readonly stanzas: readonly number[];
  /** The pieces of the 谱 as written (pattern characters and marks), e.g. '中仄中平中仄平韵'. */
  readonly lines: readonly string[];
  /** The book's example 词 for this format, with its punctuation. */
  readonly example: string;
}

export interface CiTune {
  readonly id: number;
  /** Usual name (simplified). */
  readonly name: string;
  /** Other simplified names (归字谣: 苍梧谣, 十六字令). */
  readonly aliases: readonly string[];
  /** The names in traditional characters. */
  readonly traditional: readonly string[];
  /** 单调 双调 三段 四段. */
  readonly stanzaKind: string;
  /** 平 仄 换 叶 as couyun lists them. */
  readonly rhymeKinds: readonly string[];
  readonly formats: readonly CiFormat[];
}

/** An unknown tune, a variant out of range, or a malformed 谱 entry: a one-line user error. */
export class CipaiError extends PoetryError {
  override name = 'CipaiError';
}

const BOOKS: readonly CipuBook[] = ['钦定词谱', '唐宋词格律'];
const MARKS = '句读韵叶叠重';
/** Which of two marks on one character wins (韵 over 句: '句叠韵' ends in a rhyme). */
const MARK_RANK: Record<PauseMark, number> = { 读: 0, 句: 1, 叠: 2, 重: 2, 叶: 3, 韵: 3 };
const STANZA_COUNT: Record<string, number> = { 单调: 1, 双调: 2, 三段: 3, 四段: 4 };

interface MutableSlot {
  tone: SlotTone;
  pause?: PauseMark;
  rhyme?: { group: number; xie: boolean };
  repeat?: boolean;
  change?: boolean;
  stanzaEnd?: boolean;
}

/** Slots of the pieces (normalised by tools/build-cipu-table.ts: tones and marks only) and the slot count at each piece end. */
function parsePieces(tune: string, lines: readonly string[]): { slots: MutableSlot[]; ends: number[] } {
  const slots: MutableSlot[] = [];
  const ends: number[] = [];
  for (const line of lines) {
    const chars = [...line];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === '换') {
        // 换韵 / 换叶: the rhyme changes at this piece
        if (slots.length) slots.at(-1)!.change = true;
        continue;
      }
      if (c === '平' || c === '仄' || c === '中') slots.push({ tone: c });
      else if (MARKS.includes(c)) {
        const last = slots.at(-1);
        if (!last) throw new CipaiError(`词谱 ${tune}: a mark before any character in '${line}'`);
        const mark = c as PauseMark;
        if (mark === '叠' || mark === '重') last.repeat = true;
        if (!last.pause || MARK_RANK[mark] >= MARK_RANK[last.pause]) last.pause = mark;
      }
    }
    ends.push(slots.length);
  }
  return { slots, ends };
}

/** The 片 lengths: piece ends nearest to k/n of the length (see the file comment). */
function inferStanzas(length: number, ends: readonly number[], count: number): number[] {
  const breaks: number[] = [];
  let from = 0;
  for (let k = 1; k < count; k++) {
    const target = (length * k) / count;
    const candidates = ends.filter((e) => e > from && e < length);
    if (candidates.length === 0) break;
    const best = candidates.reduce((a, b) => (Math.abs(b - target) < Math.abs(a - target) ? b : a));
    breaks.push(best);
    from = best;
  }
  const bounds = [0, ...breaks, length];
  return bounds.slice(1).map((b, i) => b - bounds[i]!);
}

function parseFormat(tune: string, stanzaKind: string, index: number, row: CipuFormatRow): CiFormat {
  const [book, variant, linesJoined, groupsText, example] = row;
  const lines = linesJoined.split('|');
  const { slots, ends } = parsePieces(tune, lines);
  // groups in order of their first rhyme (the table's keys come in couyun's numbering: 0, 1, -1, -2)
  const parts = groupsText.split(';').filter(Boolean).map((part) => part.split(':') as [string, string]);
  parts.sort((a, b) => Math.min(...a[1].split(',').map((p) => Math.abs(Number(p)))) - Math.min(...b[1].split(',').map((p) => Math.abs(Number(p)))));
  const rhymeGroups: CiRhymeGroup[] = parts.map(([key, list], g) => {
    const signed = list.split(',').map(Number);
    const positions = signed.map(Math.abs);
    const xie = signed.filter((p) => p < 0).map(Math.abs);
    for (const p of signed) {
      const slot = slots[Math.abs(p)];
      if (!slot) throw new CipaiError(`词谱 ${tune} format ${index + 1}: rhyme position ${p} beyond its ${slots.length} characters`);
      slot.rhyme = { group: g, xie: p < 0 };
    }
    // the group's tone: its positions that are not 叶 (a 中 among them does not decide)
    const tones = signed.filter((p) => p >= 0).map((p) => slots[p]!.tone).filter((t) => t !== '中');
    const ping = tones.filter((t) => t === '平').length;
    return { key, tone: ping * 2 >= tones.length && ping > 0 ? '平' : '仄', positions: [...positions].sort((a, b) => a - b), xie };
  });
  const stanzas = inferStanzas(slots.length, ends, STANZA_COUNT[stanzaKind] ?? 1);
  let at = 0;
  for (const n of stanzas) {
    at += n;
    slots[at - 1]!.stanzaEnd = true;
  }
  return {
    tune, index, book: BOOKS[book]!, variant, pattern: slots.map((s) => s.tone).join(''), slots, rhymeGroups, stanzas, lines, example,
  };
}

/** A tune whose formats are parsed on first use (all 2,524 take a few hundred ms; one tune, well under 1). */
function parseTune(row: CipuRow): CiTune {
  const [id, names, trad, stanzaKind, kinds, rows] = row;
  const [name, ...aliases] = names.split('|') as [string, ...string[]];
  let formats: CiFormat[] | undefined;
  return {
    id, name, aliases, traditional: trad.split('|'), stanzaKind, rhymeKinds: kinds.split('|'),
    get formats() {
      return (formats ??= rows.map((f, i) => parseFormat(name, stanzaKind, i, f)));
    },
  };
}

let tunes: CiTune[] | undefined;
let byName: Map<string, CiTune> | undefined;

/** Every tune of the 谱, in couyun's order (names at once, formats per tune on first use). */
export function allTunes(): readonly CiTune[] {
  return (tunes ??= CIPU_TABLE.map(parseTune));
}

/** The number of formats of a tune without parsing them. */
export function formatCount(tune: CiTune): number {
  return CIPU_TABLE[allTunes().indexOf(tune)]?.[5].length ?? tune.formats.length;
}

/** name, alias or traditional name → tune; a name two tunes share keeps the first tune's. */
function nameIndex(): Map<string, CiTune> {
  if (byName) return byName;
  byName = new Map();
  for (const t of allTunes()) for (const n of [t.name, ...t.aliases, ...t.traditional]) if (!byName.has(n)) byName.set(n, t);
  return byName;
}

/** The tune of a name (usual, alias or traditional), or undefined. Surrounding 《》 and spaces are ignored. */
export function lookupTune(name: string): CiTune | undefined {
  return nameIndex().get(name.trim().replace(/^《(.*)》$/u, '$1').trim());
}

/** Levenshtein distance over code points (names are short). */
function distance(a: string, b: string): number {
  const x = [...a], y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[y.length]!;
}

/** Up to `n` known names nearest to `name` (edit distance, then shared characters). */
export function nearNames(name: string, n = 3): string[] {
  const chars = new Set(name);
  const scored = [...nameIndex().keys()].map((k) => ({ k, d: distance(name, k), shared: [...new Set(k)].filter((c) => chars.has(c)).length }));
  scored.sort((a, b) => a.d - b.d || b.shared - a.shared || a.k.localeCompare(b.k));
  return scored.filter((s) => s.shared > 0).slice(0, n).map((s) => s.k);
}

/** The tune of a name, or a CipaiError suggesting near names. */
export function findTune(name: string): CiTune {
  const tune = lookupTune(name);
  if (tune) return tune;
  const near = nearNames(name.trim());
  throw new CipaiError(`unknown 词牌 '${name.trim()}'${near.length ? `; did you mean ${near.join(', ')}?` : ''} (\`shiren cipai\` lists the ${allTunes().length} tunes)`);
}

/** Format `variant` (1-based) of a tune, or a CipaiError naming the range. */
export function formatOf(tune: CiTune, variant: number): CiFormat {
  const f = tune.formats[variant - 1];
  if (!f || !Number.isInteger(variant)) throw new CipaiError(`${tune.name} has formats 1–${tune.formats.length}; there is no --variant ${variant}`);
  return f;
}

/** A format's short label: '钦定词谱 正体' or '钦定词谱 又一体 3' or '唐宋词格律'. */
export function formatLabel(f: CiFormat): string {
  return f.variant === 1 ? `${f.book}${f.book === '钦定词谱' ? ' 正体' : ''}` : `${f.book} 又一体 ${f.variant - 1}`;
}

/** The 谱 pieces of a format with 平仄 marks and the punctuation a 词 of it takes: ， at 句 读, 。 at a rhyme and a 片 end. */
export function punctuationAfter(slot: CiSlot): '，' | '。' | '' {
  if (slot.stanzaEnd || slot.pause === '韵' || slot.pause === '叶' || ((slot.pause === '叠' || slot.pause === '重') && slot.rhyme)) return '。';
  return slot.pause ? '，' : '';
}
