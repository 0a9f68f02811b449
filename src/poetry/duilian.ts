/**
 * 对联 (issue 20): whether a 下联 answers a 上联 (`checkDuilian`, behind `shiren check --duilian`,
 * POST /api/check and the library), and what each position of a 下联 must be for a given 上联
 * (`duilianSlots`, the constraints a decoder writes under).
 *
 * A line is one clause of Han characters (marks at its end are dropped). Couplets of several
 * clauses (两鬓风霜，途次早行之客) are refused with a 'shape' fault: their rhythm is set by words (a
 * leading 领字, 之 and 而 on the beat), which the even-position rule below does not follow — on
 * 声律启蒙's 89 such pairs it failed 25, where its 5- and 7-character pairs pass 174 of 176. The rules:
 * - length: the 下联 has the 上联's number of characters ('length').
 * - 平仄: at the even positions (2, 4, 6, … 1-based) the two lines have opposite tones ('tone'),
 *   but for the two 律句 variants of lvShiVariant; the 上联 ends in 仄 and the 下联 in 平
 *   (仄起平收, 'end'). A 上联 that ends in 平 is a fault of its own (it reads as a 下联), and
 *   duilianSlots refuses it.
 * - repeats: a character of the 上联 does not come back in the 下联 ('repeat') unless the 上联
 *   repeats it and the 下联 has it at exactly the same positions (规则重字: 人来人往 / 人去人留);
 *   and each line repeats a character where, and only where, the other does (叠字 answer 叠字:
 *   萧萧 against 滚滚, 'pattern').
 * Tones come from one rhyme book (rhymebook.ts). A polyphonic character fits where one of its
 * readings fits, and a character the book lacks fits anywhere (check.ts gives the same benefit):
 * opposition fails only where both characters have one tone class and it is the same.
 *
 * Positions are 1-based over a line's characters; `line` is 1 (上联), 2 (下联) or 0 (the pair).
 */
import { PUNCTUATION, isHan } from '../data/clean.ts';
import { TONE_MARK } from './check.ts';
import { PoetryError } from './forms.ts';
import { rhymeBook, type RhymeBook, type RhymeBookName } from './rhymebook.ts';

export const DUILIAN_FAULT_KINDS = ['shape', 'length', 'tone', 'end', 'repeat', 'pattern'] as const;
export type DuilianFaultKind = (typeof DUILIAN_FAULT_KINDS)[number];

export interface DuilianFault {
  /** 1 the 上联, 2 the 下联, 0 the pair. */
  readonly line: 0 | 1 | 2;
  /** 1-based character position, 0 for the whole line or pair. */
  readonly pos: number;
  readonly kind: DuilianFaultKind;
  readonly message: string;
}

export interface DuilianCheck {
  /** The lines as given. */
  upper: string;
  lower: string;
  pass: boolean;
  /** Tone marks of each line's characters: 平 仄, 中 (both readings), ？ (not in the book). */
  tones: [string, string];
  faults: DuilianFault[];
}

export interface DuilianOptions {
  /** The rhyme book of the tones, by name (default 'pingshui') or as a book. */
  book?: RhymeBookName | RhymeBook;
}

/** Reads a line (see the file comment): its characters, or why it is not one. */
function readLine(text: string, name: string): { chars: string[] } | { error: string } {
  const chars = [...text.replace(/\s+/gu, '')];
  while (chars.length && PUNCTUATION.includes(chars.at(-1)!)) chars.pop();
  for (const ch of chars) {
    if (PUNCTUATION.includes(ch)) return { error: `the ${name} has several clauses ('${ch}' inside it): only couplets of one clause a line are checked` };
    if (!isHan(ch)) return { error: `'${ch}' in the ${name} is not a Han character` };
  }
  return chars.length ? { chars } : { error: `the ${name} has no Han characters` };
}

/** A definite tone (平 or 仄), or undefined for a character with both readings or none. */
type Tone2 = '平' | '仄' | undefined;
function definite(book: RhymeBook, ch: string): Tone2 {
  const t = book.toneOf(ch);
  return t === '平' || t === '仄' ? t : undefined;
}

/** The 0-based positions whose tones the two lines oppose: the even ones but the last (the end rule). */
function opposedPositions(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < n - 1; i += 2) out.push(i);
  return out;
}

/**
 * Whether position i (0-based) of a five- or seven-character pair may keep one tone in both lines
 * by the 律句 variants the poem checker accepts (prosody.ts), both at position 4 of the
 * five-character core (6 of seven): 特定格式 平平仄平仄 answered by 仄仄仄平平 (the 上联's core
 * position 3 not 平, 1 not 仄), and 对句相救 仄仄平仄仄 answered by 平平平仄平 (the 下联's core
 * position 3 not 仄). So a couplet of a poem that passes `shiren check` passes here on its tones.
 */
function lvShiVariant(tU: readonly Tone2[], tL: readonly Tone2[], i: number): boolean {
  const o = tU.length - 5;
  if ((tU.length !== 5 && tU.length !== 7) || i !== o + 3) return false;
  if (tU[i] === '平') return tU[o + 2] !== '平' && tU[o] !== '仄';
  return tL[o + 2] !== '仄';
}

/** For each position, the first position of the line with the same character. */
function firstOf(chars: readonly string[]): number[] {
  return chars.map((ch) => chars.indexOf(ch));
}

/** 'position 2' or 'positions 1 and 3' of 0-based positions. */
const positions = (ps: readonly number[]): string => `position${ps.length > 1 ? 's' : ''} ${ps.map((p) => p + 1).join(' and ')}`;

/** Checks a pair (see the file comment); never throws on bad input: it gets a 'shape' fault. */
export function checkDuilian(upper: string, lower: string, opts: DuilianOptions = {}): DuilianCheck {
  const book = typeof opts.book === 'object' ? opts.book : rhymeBook(opts.book ?? 'pingshui');
  const up = readLine(upper, '上联');
  const low = readLine(lower, '下联');
  const marks = (line: { chars: string[] } | { error: string }): string => ('chars' in line ? line.chars.map((ch) => TONE_MARK[book.toneOf(ch)]).join('') : '');
  const result: DuilianCheck = { upper, lower, pass: false, tones: [marks(up), marks(low)], faults: [] };
  const faults = result.faults;
  if ('error' in up || 'error' in low) {
    for (const [i, line] of [up, low].entries()) if ('error' in line) faults.push({ line: (i + 1) as 1 | 2, pos: 0, kind: 'shape', message: line.error });
    return result;
  }
  const U = up.chars;
  const L = low.chars;
  const aligned = U.length === L.length;
  if (!aligned) faults.push({ line: 0, pos: 0, kind: 'length', message: `the 上联 has ${U.length} characters, the 下联 ${L.length}` });
  // 平仄: opposed positions, then the ends (仄起平收)
  if (aligned) {
    const tU = U.map((ch) => definite(book, ch));
    const tL = L.map((ch) => definite(book, ch));
    for (const i of opposedPositions(U.length)) {
      const a = tU[i];
      if (a !== undefined && a === tL[i] && !lvShiVariant(tU, tL, i)) {
        faults.push({ line: 2, pos: i + 1, kind: 'tone', message: `${L[i]} is ${a} like ${U[i]} above: position ${i + 1} takes the tone opposite to the 上联's` });
      }
    }
  }
  const upperEnd = definite(book, U.at(-1)!);
  const lowerEnd = definite(book, L.at(-1)!);
  if (upperEnd === '平') {
    const swapped = lowerEnd === '仄' ? '; the two lines may be swapped' : '';
    faults.push({ line: 1, pos: U.length, kind: 'end', message: `the 上联 ends in 平 (${U.at(-1)}): a 上联 ends in 仄 and its 下联 in 平 (仄起平收)${swapped}` });
  }
  if (lowerEnd === '仄') faults.push({ line: 2, pos: L.length, kind: 'end', message: `the 下联 ends in 仄 (${L.at(-1)}): it ends in 平, answering the 上联's 仄 (仄起平收)` });
  // repeats: characters of the 上联 in the 下联, then the repeat pattern of each line
  for (const [j, ch] of L.entries()) {
    if (L.indexOf(ch) !== j || !U.includes(ch)) continue;
    const inUpper = U.flatMap((c, i) => (c === ch ? [i] : []));
    const inLower = L.flatMap((c, i) => (c === ch ? [i] : []));
    if (inUpper.length >= 2 && inUpper.join() === inLower.join()) continue; // 规则重字
    for (const p of inLower) {
      faults.push({ line: 2, pos: p + 1, kind: 'repeat', message: `${ch} of the 上联 (${positions(inUpper)}) comes back in the 下联` });
    }
  }
  if (aligned) {
    const firstU = firstOf(U);
    const firstL = firstOf(L);
    for (let i = 0; i < U.length; i++) {
      if (firstU[i] === firstL[i]) continue;
      if (firstU[i]! < i) {
        faults.push({ line: 2, pos: i + 1, kind: 'pattern', message: `the 上联 repeats ${U[i]} at ${positions([firstU[i]!, i])}: the 下联 repeats a character there too (叠字 answer 叠字), not ${L[firstU[i]!]} and ${L[i]}` });
      } else {
        faults.push({ line: 2, pos: i + 1, kind: 'pattern', message: `the 下联 repeats ${L[i]} at ${positions([firstL[i]!, i])} where the 上联 has ${U[firstL[i]!]} and ${U[i]}` });
      }
    }
  }
  faults.sort((a, b) => a.line - b.line || a.pos - b.pos);
  result.pass = faults.length === 0;
  return result;
}

/** What one position of the 下联 must be (duilianSlots). */
export interface DuilianSlot {
  /** The tone the character must be able to take (a repeated one: the tone any of its positions needs); null: free. */
  readonly tone: '平' | '仄' | null;
  /**
   * The earlier position (0-based) whose character this one repeats, where the 上联 repeats its
   * character (叠字 answer 叠字); null: a character unlike every earlier one of the 下联.
   */
  readonly sameAs: number | null;
}

/** The constraints of a 下联 for one 上联. */
export interface DuilianSlots {
  /** The 上联's characters (marks dropped). */
  readonly upper: string;
  /** One slot per character of the 下联. */
  readonly slots: readonly DuilianSlot[];
  /** Characters no position may take: every character of the 上联. */
  readonly forbidden: ReadonlySet<string>;
}

/**
 * The per-position constraints of a 下联 for `upper`, as the checker's rules give them, a little
 * stricter: no character of the 上联 at all (the checker lets a 上联's repeated character come
 * back at the same positions). A 下联 built under them passes checkDuilian. Throws a
 * PoetryError for a line that is not one, or a 上联 that ends in 平.
 */
export function duilianSlots(upper: string, book: RhymeBookName | RhymeBook = 'pingshui'): DuilianSlots {
  const b = typeof book === 'object' ? book : rhymeBook(book);
  const line = readLine(upper, '上联');
  if ('error' in line) throw new PoetryError(line.error);
  const U = line.chars;
  if (definite(b, U.at(-1)!) === '平') {
    throw new PoetryError(`the 上联 ends in 平 (${U.at(-1)}): a 上联 ends in 仄 and is answered by a 下联 ending in 平 (仄起平收); give a 上联 that ends in 仄`);
  }
  const opposed = new Set(opposedPositions(U.length));
  const opposite = (t: '平' | '仄' | undefined): '平' | '仄' | null => (t === undefined ? null : t === '平' ? '仄' : '平');
  const own = U.map((ch, i) => (i === U.length - 1 ? '平' : opposed.has(i) ? opposite(definite(b, ch)) : null));
  // a repeated character carries the tone any of its positions needs (they agree: one character)
  const first = firstOf(U);
  const tone = U.map((_, i) => own.find((t, k) => t !== null && first[k] === first[i]) ?? null);
  const slots = U.map((_, i): DuilianSlot => ({ tone: tone[i] ?? null, sameAs: first[i]! < i ? first[i]! : null }));
  return { upper: U.join(''), slots, forbidden: new Set(U) };
}

/**
 * Whether `ch` may stand at position `i` of a 下联 whose first i characters are `written`:
 * its tone fits the slot (a polyphonic character when one reading does, an unknown one always),
 * it is not forbidden, and it repeats the character of `sameAs` or none of the written ones.
 */
export function slotAllows(s: DuilianSlots, i: number, ch: string, written: readonly string[], book: RhymeBookName | RhymeBook = 'pingshui'): boolean {
  const slot = s.slots[i];
  if (!slot || !isHan(ch) || s.forbidden.has(ch)) return false;
  if (slot.sameAs !== null) return ch === written[slot.sameAs];
  if (written.includes(ch)) return false;
  if (slot.tone === null) return true;
  const t = (typeof book === 'object' ? book : rhymeBook(book)).toneOf(ch);
  return t === slot.tone || t === 'either' || t === 'unknown';
}
