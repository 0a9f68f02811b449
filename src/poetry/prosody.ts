/**
 * 平仄 of regulated verse, line by line, as Wang Li's《汉语诗律学》 gives it: the four line types,
 * the four standard patterns of each form, and the rule of what a line may change. The poem-level
 * checker (粘对, rhyme, shape) is check.ts; the tones and rhyme groups come from a rhyme book
 * (rhymebook.ts, the 平水韵 unless asked otherwise).
 *
 * Line types (five characters; a seven-character line prefixes the two tones opposite to its
 * first): A 仄仄平平仄 · B 平平仄仄平 · C 平平平仄仄 · D 仄仄仄平平. A quatrain begins with one of
 * them and follows 对 (a couplet's lines opposite) and 粘 (a couplet's first line like the line
 * before): A B C D, D B C D, C D A B, B D A B; an octave repeats its quatrain, line 5 unrhymed.
 *
 * What a line may change (positions of the five-character core, 1-based; a seven-character line's
 * first position is free too):
 * - 1 and 3 are free (一三五不论) unless that makes 孤平 (B with 1 and 3 both 仄: 仄平仄仄平) or
 *   三平尾 (D with 3 平: 仄仄平平平). 孤平拗救 仄平平仄平 is then simply B with 1 仄 and 3 平.
 * - 特定格式: C may be 平平仄平仄 (3 and 4 swapped) when its position 1 is 平 (七言 仄仄平平仄平仄).
 * - 对句相救: A with position 4 仄 (仄仄平仄仄, also 仄仄仄仄仄: 拗) is accepted when the next line,
 *   its B, has position 3 平 (平平平仄平); A with only position 3 仄 is free (半拗, 可救可不救).
 * - Positions 2 and 4 and the last are strict otherwise; a rhyme line's last must be 平.
 * A character with both readings ('either') fits any position and is never the cause of 孤平 or
 * 三平尾: the checker gives ambiguity the benefit.
 *
 * Dimension letters: C characters per line (5 or 7), L lines (4 or 8).
 */
import { FORM_SHAPE, type RegulatedForm } from '../data/clean.ts';
import { rhymeBook, type RhymeBookName } from './rhymebook.ts';
import { RARE_PING_READINGS } from './pingshui-rare.ts';
import { RARE_TONE_READINGS } from './pingshui-rare-tones.ts';

/** A character's tone class at a position; 'either' matches both 平 and 仄 (unknown counts as either). */
export type Tone = '平' | '仄' | 'either';

/** The tone class of one character in a book; a character the book lacks is 'either'. */
export function toneIn(ch: string, book: RhymeBookName): Tone {
  const tone = rhymeBook(book).toneOf(ch);
  return tone === 'unknown' ? 'either' : tone;
}

/** The tone class of one character by the 平水韵 (toneIn for another book). */
export function toneOf(ch: string): Tone {
  return toneIn(ch, 'pingshui');
}

/** The groups of a character's 平 readings in a book (what it can rhyme in); [] for none. */
export function rhymeGroupsOf(ch: string, book: RhymeBookName = 'pingshui'): readonly string[] {
  return rhymeBook(book).pingGroupsOf(ch);
}

/**
 * The groups a poem being written may rhyme a character in: its 平 groups less those it reaches only
 * through a rare reading (pingshui-rare.ts: 烟 is not written as a 真 rhyme, though the book and the
 * checker allow it). Stricter than the checker, so a written poem still passes it.
 */
export function writingRhymeGroupsOf(ch: string, book: RhymeBookName = 'pingshui'): readonly string[] {
  const groups = rhymeGroupsOf(ch, book);
  const rare = book === 'pingshui' ? RARE_PING_READINGS[ch] : undefined;
  return rare ? groups.filter((g) => !rare.includes(g)) : groups;
}

/**
 * The tone class a poem being written may give a character: its tone in the book less a reading
 * poets almost never use where a pattern fixes the tone (pingshui-rare-tones.ts: 风 is not
 * written in a 仄 slot, 望 not in a 平 one), so 'either' may become 平 or 仄. Stricter than the
 * checker, like writingRhymeGroupsOf.
 */
export function writingToneOf(ch: string, book: RhymeBookName = 'pingshui'): Tone {
  const tone = toneIn(ch, book);
  const rare = tone === 'either' && book === 'pingshui' ? RARE_TONE_READINGS[ch] : undefined;
  return rare ? (rare === '平' ? '仄' : '平') : tone;
}

/** Whether two characters rhyme: a 平 reading of each falls in the same group. */
export function rhymes(a: string, b: string, book: RhymeBookName = 'pingshui'): boolean {
  const groups = rhymeGroupsOf(b, book);
  return rhymeGroupsOf(a, book).some((g) => groups.includes(g));
}

/** Five-character line types; seven-character lines prefix the two opposite tones. */
export const LINE5 = { A: '仄仄平平仄', B: '平平仄仄平', C: '平平平仄仄', D: '仄仄仄平平' } as const;
export type LineType = keyof typeof LINE5;
/** The quatrain that each first line starts (opposition and adhesion). */
const QUATRAINS: Record<LineType, LineType[]> = { A: ['A', 'B', 'C', 'D'], D: ['D', 'B', 'C', 'D'], C: ['C', 'D', 'A', 'B'], B: ['B', 'D', 'A', 'B'] };
/** The unrhymed line type with the same second-character tone (line 5 of an octave). */
const UNRHYMED: Record<LineType, LineType> = { A: 'A', D: 'A', C: 'C', B: 'C' };

/** One standard 平仄 pattern of a regulated form. */
export interface TonePattern {
  /** e.g. 'qijue 平起首句入韵' (named by the first line's second character). */
  readonly name: string;
  /** L line patterns of C marks 平/仄. */
  readonly lines: readonly string[];
  /** Whether the first line rhymes (ends in 平). */
  readonly firstLineRhymes: boolean;
}

/** The C-character pattern of a line type. */
export function linePattern(type: LineType, chars: number): string {
  const five = LINE5[type];
  if (chars === 5) return five;
  return (five[0] === '平' ? '仄仄' : '平平') + five;
}

/** The line type whose pattern (five or seven characters) this is. */
function typeOfPattern(pattern: string): LineType {
  const core = pattern.slice(-5);
  return (Object.keys(LINE5) as LineType[]).find((t) => LINE5[t] === core)!;
}

/** The line type of a line from the tone of its second character and whether it rhymes. */
export function lineType(second: '平' | '仄', rhymed: boolean, chars: number): LineType {
  // five characters: the second is the core's; seven: the prefix's, opposite to the core's
  const coreSecond = chars === 5 ? second : second === '平' ? '仄' : '平';
  return coreSecond === '平' ? (rhymed ? 'B' : 'C') : rhymed ? 'D' : 'A';
}

/** The pattern name of a form from its first line's second character and rhyme. */
export function patternName(form: RegulatedForm, second: '平' | '仄', firstLineRhymes: boolean): string {
  return `${form} ${second}起首句${firstLineRhymes ? '' : '不'}入韵`;
}

/** The four standard patterns of a form (平起/仄起 × first line rhymed or not). */
export function tonePatterns(form: RegulatedForm): TonePattern[] {
  const { chars, lines } = FORM_SHAPE[form];
  return (['A', 'D', 'C', 'B'] as LineType[]).map((first) => {
    const quatrain = QUATRAINS[first];
    const types = lines === 4 ? quatrain : [...quatrain, UNRHYMED[first], ...quatrain.slice(1)];
    const patterns = types.map((t) => linePattern(t, chars));
    const rhymed = patterns[0].endsWith('平');
    return { name: patternName(form, patterns[0][1] as '平' | '仄', rhymed), lines: patterns, firstLineRhymes: rhymed };
  });
}

/** A fault of one line against its type: position (0-based), kind and why. */
export interface LineFault {
  readonly pos: number;
  readonly kind: 'tone' | 'gu-ping' | 'san-ping-wei' | 'rhyme-tone';
  readonly message: string;
}

/**
 * The faults of a line's tones against a line type (the rules of the file comment). `next`, the
 * tones of the following line, lets an A line's 拗 at position 4 be rescued (对句相救); without it
 * the 拗 is a fault. A rhyme line (B, D) whose last character is 仄 has a 'rhyme-tone' fault.
 */
export function lineFaults(tones: readonly Tone[], type: LineType, next?: readonly Tone[]): LineFault[] {
  const C = tones.length;
  const o = C - 5; // offset of the five-character core
  const pattern = linePattern(type, C);
  const faults: LineFault[] = [];
  const at = (p: number): Tone => tones[o + p];
  const wrong = (i: number): boolean => tones[i] !== 'either' && tones[i] !== pattern[i];
  const fault = (i: number, kind: LineFault['kind'], message: string): void => {
    faults.push({ pos: i, kind, message });
  };
  const strict = (i: number): void => {
    if (wrong(i)) fault(i, i === C - 1 && pattern[i] === '平' ? 'rhyme-tone' : 'tone', `${tones[i]} where the pattern ${pattern} has ${pattern[i]}`);
  };
  if (C === 7) strict(1); // position 1 of seven is free
  strict(o + 1);
  strict(o + 4);
  switch (type) {
    case 'A': // 仄仄平平仄: 3 free (半拗); 4 仄 is 拗, rescued by the next line's 3 平
      if (at(3) === '仄' && (next === undefined || next[o + 2] === '仄')) {
        fault(o + 3, 'tone', `拗: ${pattern} with position ${o + 4} 仄, not rescued by 平 at position ${o + 3} of the next line (对句相救)`);
      }
      break;
    case 'B': // 平平仄仄平: 4 strict; 1 and 3 free unless both 仄 (孤平)
      strict(o + 3);
      if (at(0) === '仄' && at(2) === '仄') fault(o, 'gu-ping', `孤平: only one 平 besides the rhyme (${pattern} with positions ${o + 1} and ${o + 3} 仄)`);
      break;
    case 'C': // 平平平仄仄: 4 strict unless 特定格式 平平仄平仄
      if (at(3) === '平' && !(at(2) !== '平' && at(0) !== '仄')) strict(o + 3);
      break;
    case 'D': // 仄仄仄平平: 4 strict; 3 平 makes 三平尾
      strict(o + 3);
      if (at(2) === '平' && at(3) !== '仄' && at(4) !== '仄') fault(o + 2, 'san-ping-wei', `三平尾: the last three characters all 平`);
      break;
  }
  return faults.sort((a, b) => a.pos - b.pos);
}

/** Whether a line's tones fit a line pattern on their own (no 对句相救: the next line is unknown). */
export function lineFits(tones: readonly Tone[], pattern: string): boolean {
  return tones.length === pattern.length && lineFaults(tones, typeOfPattern(pattern)).length === 0;
}

/**
 * Whether some completion of the tones `prefix` (its first characters) still fits `pattern`:
 * the test constrained decoding runs before each character (at most 2^7 completions). `fixed`
 * (kept characters, src/poetry/keep.ts) gives the tone at some positions, prefix or not: there the
 * line has that tone, whatever the prefix says, and a completion does not choose.
 */
export function prefixFits(prefix: readonly Tone[], pattern: string, fixed?: readonly (Tone | undefined)[]): boolean {
  const rest = pattern.length - prefix.length;
  if (rest < 0) return false;
  const line = [...prefix] as Tone[];
  for (let bits = 0; bits < 1 << rest; bits++) {
    for (let j = 0; j < rest; j++) line[prefix.length + j] = (bits >> j) & 1 ? '仄' : '平';
    // a fixed position takes its tone (a completion's choice there is overwritten: at most a repeat)
    if (fixed) fixed.forEach((t, j) => t !== undefined && (line[j] = t));
    if (lineFits(line, pattern)) return true;
  }
  return false;
}

/** The tones of each line of a poem given as lines of characters (punctuation removed). */
export function lineTones(lines: readonly string[], book: RhymeBookName = 'pingshui'): Tone[][] {
  return lines.map((line) => [...line].map((ch) => toneIn(ch, book)));
}

/** The first standard pattern of `form` that every line fits on its own, or undefined. */
export function matchPattern(lines: readonly string[], form: RegulatedForm, book: RhymeBookName = 'pingshui'): TonePattern | undefined {
  const tones = lineTones(lines, book);
  return tonePatterns(form).find(
    (p) => p.lines.length === tones.length && p.lines.every((line, i) => lineFits(tones[i], line)),
  );
}
