/**
 * The prosody checker of docs/design.md §7 (`shiren check`): a poem's form, the pattern it follows (or the
 * nearest one), its rhyme group, each character's tone, and every fault, by the rules of Wang Li's
 * 《汉语诗律学》 with one rhyme book (the 平水韵 unless asked otherwise; never two mixed).
 *
 * How. The poem is cleaned and split into lines by the corpus rules (src/data/clean.ts) and must
 * have the shape of a regulated form (else one 'shape' fault). Each of the four patterns (first
 * line 平起/仄起 × rhymed or not) is tried and the one with fewest faults is reported:
 * - 粘对 by the second character of each line, relative to the line before as written (so a poem
 *   that loses 粘 once has one 'nian' fault, not a fault on every later line); each line is then
 *   judged against the line type its second character and rhyme make (prosody.ts: free positions,
 *   孤平, 三平尾, 特定格式, 对句相救).
 * - Rhyme on every even line and on line 1 where the pattern rhymes it: characters 平 ('rhyme-tone'
 *   if not), all in one 平 group (the group most of the even lines share; 'rhyme' for the others),
 *   a neighbouring group (邻韵) allowed on line 1 only, no character twice ('rhyme-repeat'). A
 *   polyphonic character rhymes when one of its 平 readings is in the group; a character the book
 *   lacks is given the benefit.
 *
 * Notes: the checker is lenient (a polyphonic character fits where one of its readings fits), but
 * it names, in `notes`, each character that fits only through a rare reading — a tone poets almost
 * never give it where the pattern fixes one (prosody.ts writingToneOf: 风 read 仄), or a rhyme
 * through a rare 平 reading (writingRhymeGroupsOf: 烟 in 真). 平水韵 only; shiren writes neither.
 *
 * Result shapes: `tones` has one string per line, a mark per character: 平, 仄, 中 (both readings),
 * ？ (not in the book). Faults give line and pos 1-based; a fault of the whole poem (shape) has
 * line 0 and pos 0.
 */
import { FORM_SHAPE, PUNCTUATION, canonicalise, classifyForm, cleanPoem, type Form, type RegulatedForm } from '../data/clean.ts';
import { bareLines } from './forms.ts';
import { lineFaults, lineType, patternName, writingRhymeGroupsOf, writingToneOf, type Tone } from './prosody.ts';
import { rhymeBook, type RhymeBook, type RhymeBookName, type ToneClass } from './rhymebook.ts';

export const FAULT_KINDS = ['tone', 'nian', 'dui', 'gu-ping', 'san-ping-wei', 'rhyme', 'rhyme-tone', 'rhyme-repeat', 'shape'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  /** 1-based line, 0 for the whole poem. */
  readonly line: number;
  /** 1-based character position in the line, 0 for the whole line or poem. */
  readonly pos: number;
  readonly kind: FaultKind;
  readonly message: string;
}

export interface CheckOptions {
  /** The form the poem must have; default: the one its shape gives. */
  form?: RegulatedForm;
  /** The rhyme book, by name (default 'pingshui') or as a book (tools/second-source.ts checks by another table). */
  book?: RhymeBookName | RhymeBook;
}

export interface CheckResult {
  /** The poem as given. */
  text: string;
  /** The form checked against ('free' when the poem has no regulated shape). */
  form: Form;
  pass: boolean;
  /** The matching or nearest pattern, e.g. 'qijue 平起首句入韵'; null on a shape fault. */
  pattern: string | null;
  /** The rhyme group (a group name of the book, e.g. 庚), null when none could be found. */
  rhymeGroup: string | null;
  /** One string of tone marks per line (see the file comment). */
  tones: string[];
  faults: Fault[];
  /** Characters that fit only through a rare reading (see the file comment), e.g. '风 (line 2, char 4) fits as 仄 only, a rare reading'. */
  notes: string[];
}

/** The mark of a tone class in `tones` (see the file comment); duilian.ts marks the same way. */
export const TONE_MARK: Record<ToneClass, string> = { 平: '平', 仄: '仄', either: '中', unknown: '？' };

/** The lines of a poem (marks dropped), or why it cannot be read as lines of Han characters. */
function readLines(text: string): { lines: string[] } | { error: string } {
  const trimmed = text.trim();
  // a poem pasted without its closing mark is still a poem
  const closed = trimmed && !PUNCTUATION.includes(trimmed.at(-1)!) ? trimmed + '。' : trimmed;
  const cleaned = cleanPoem(closed);
  if (!cleaned.ok) {
    return { error: cleaned.reason === 'empty' ? 'no Han characters' : `'${cleaned.detail}' is neither a Han character nor ，。？！；：、` };
  }
  return { lines: bareLines(cleaned.text) };
}

/** The lines the checker reads in a poem (marks and annotations dropped); [] when it reads none. */
export function checkedLines(text: string): string[] {
  const read = readLines(text);
  return 'lines' in read ? read.lines : [];
}

function opposite(t: '平' | '仄'): '平' | '仄' {
  return t === '平' ? '仄' : '平';
}

/** The second-character tone that decides a line's type, when its tones decide it. */
function keyTone(tones: readonly Tone[]): '平' | '仄' | undefined {
  if (tones[1] !== 'either') return tones[1];
  // seven characters: the fourth is opposite to the second
  if (tones.length === 7 && tones[3] !== 'either') return opposite(tones[3]);
  return undefined;
}

/** The faults of one reading of the poem: first line's second character `first`, line 1 rhymed or not. */
function analyse(lines: readonly string[], tones: readonly Tone[][], book: RhymeBook, first: '平' | '仄', rhymed: boolean) {
  const faults: Fault[] = [];
  const C = tones[0].length;
  const last = (i: number): string => [...lines[i]].at(-1)!; // by code point: astral characters too
  // 粘对 and each line against its type
  let previous = first;
  tones.forEach((row, i) => {
    const expected = i === 0 ? first : i % 2 === 1 ? opposite(previous) : previous;
    const actual = keyTone(row);
    let key = expected;
    if (actual !== undefined && actual !== expected) {
      key = actual;
      if (i === 0) faults.push({ line: 1, pos: 2, kind: 'tone', message: `${actual} where a ${first}起 pattern has ${first}` });
      else if (i % 2 === 1) faults.push({ line: i + 1, pos: 2, kind: 'dui', message: `失对: the second character should be ${expected}, opposite to line ${i}` });
      else faults.push({ line: i + 1, pos: 2, kind: 'nian', message: `失粘: the second character should be ${expected}, like line ${i}` });
    }
    previous = key;
    const rhymeLine = i % 2 === 1 || (i === 0 && rhymed);
    const next = i % 2 === 0 ? tones[i + 1] : undefined;
    for (const f of lineFaults(row, lineType(key, rhymeLine, C), next)) {
      faults.push({ line: i + 1, pos: f.pos + 1, kind: f.kind, message: f.message });
    }
  });
  // rhyme: the group most even lines share, 邻韵 on line 1 only, no repeats
  const rhymeLines = lines.map((_, i) => i).filter((i) => i % 2 === 1 || (i === 0 && rhymed));
  const even = rhymeLines.filter((i) => i % 2 === 1).map(last);
  let group: string | null = null;
  let best = 0;
  const order = [...book.pingGroupsOf(even[0]), ...book.pingGroups];
  for (const g of order) {
    const count = even.filter((ch) => book.pingGroupsOf(ch).includes(g)).length;
    if (count > best) [group, best] = [g, count];
  }
  const seen = new Set<string>();
  for (const i of rhymeLines) {
    const ch = last(i);
    const groups = book.pingGroupsOf(ch);
    if (seen.has(ch)) faults.push({ line: i + 1, pos: C, kind: 'rhyme-repeat', message: `${ch} rhymes twice` });
    seen.add(ch);
    if (group === null || groups.length === 0) continue; // not 平 (a rhyme-tone fault) or not in the book
    const allowed = i === 0 ? [group, ...book.neighboursOf(group)] : [group];
    if (!groups.some((g) => allowed.includes(g))) {
      faults.push({ line: i + 1, pos: C, kind: 'rhyme', message: `出韵: ${ch} (${groups.map((g) => book.labelOf(g)).join(' ')}) is not in ${book.labelOf(group)}${i === 0 && allowed.length > 1 ? ' or its neighbours' : ''}` });
    }
  }
  faults.sort((a, b) => a.line - b.line || a.pos - b.pos);
  return { faults, group };
}

/** Checks one poem (see the file comment); never throws on a bad poem: it gets a 'shape' fault. */
export function checkPoem(text: string, opts: CheckOptions = {}): CheckResult {
  const book = typeof opts.book === 'object' ? opts.book : rhymeBook(opts.book ?? 'pingshui');
  const read = readLines(text);
  const lines = 'lines' in read ? read.lines : [];
  const marks = lines.map((line) => [...line].map((ch) => TONE_MARK[book.toneOf(ch)]).join(''));
  const shapeFault = (message: string, form: Form): CheckResult => ({
    text, form, pass: false, pattern: null, rhymeGroup: null, tones: marks, faults: [{ line: 0, pos: 0, kind: 'shape', message }], notes: [],
  });
  if ('error' in read) return shapeFault(read.error, opts.form ?? 'free');
  const found = classifyForm(canonicalise(lines));
  const describe = (): string => {
    const lengths = [...new Set(lines.map((line) => [...line].length))];
    return `${lines.length} line${lines.length === 1 ? '' : 's'} of ${lengths.join('/')} characters`;
  };
  if (opts.form && found !== opts.form) {
    const { chars, lines: L } = FORM_SHAPE[opts.form];
    return shapeFault(`${opts.form} has ${L} lines of ${chars} characters; this poem has ${describe()}`, opts.form);
  }
  if (found === 'free') return shapeFault(`not a regulated form (4 or 8 lines of 5 or 7 characters): ${describe()}`, 'free');
  const form = found;

  const tones = lines.map((line) => [...line].map((ch): Tone => {
    const t = book.toneOf(ch);
    return t === 'unknown' ? 'either' : t;
  }));
  // try the four patterns, the ones the first line suggests first (ties keep the earlier)
  const key0 = keyTone(tones[0]);
  const lastTone = tones[0].at(-1);
  const firsts: ('平' | '仄')[] = key0 === '仄' ? ['仄', '平'] : ['平', '仄'];
  const rhymedFirst = lastTone === '仄' ? [false, true] : [true, false];
  // ties go to the pattern that needs fewest rare readings (the 平水韵 only: its table of them)
  const usual = opts.book === undefined || opts.book === 'pingshui';
  const usualTones = usual ? lines.map((line) => [...line].map((ch) => writingToneOf(ch))) : [];
  const rareCost = (first: '平' | '仄', rhymed: boolean) => (usual ? analyse(lines, usualTones, book, first, rhymed).faults.length : 0);
  let best: { faults: Fault[]; group: string | null; name: string; first: '平' | '仄'; rhymed: boolean; cost: number } | undefined;
  for (const rhymed of rhymedFirst) {
    for (const first of firsts) {
      const result = analyse(lines, tones, book, first, rhymed);
      if (best && result.faults.length > best.faults.length) continue;
      const cost = rareCost(first, rhymed);
      if (!best || result.faults.length < best.faults.length || cost < best.cost) best = { ...result, name: patternName(form, first, rhymed), first, rhymed, cost };
    }
  }
  const notes = usual ? rareReadings(lines, book, best!) : [];
  return { text, form, pass: best!.faults.length === 0, pattern: best!.name, rhymeGroup: best!.group, tones: marks, faults: best!.faults, notes };
}

/**
 * The notes on rare readings (file comment): the faults the chosen pattern would have if each
 * character had only its usual tones, that the lenient reading does not have, traced to a
 * character with a rare reading (the fault's own, else those of its line); and the rhymes made
 * only through a rare 平 reading.
 */
function rareReadings(lines: readonly string[], book: RhymeBook, best: { faults: Fault[]; group: string | null; first: '平' | '仄'; rhymed: boolean }): string[] {
  const chars = lines.map((line) => [...line]);
  const strict = chars.map((row) => row.map((ch) => writingToneOf(ch)));
  const rare = (line: number, pos: number) => book.toneOf(chars[line]![pos]!) === 'either' && strict[line]![pos] !== 'either';
  const lenient = new Set(best.faults.map((f) => `${f.line}.${f.pos}.${f.kind}`));
  const notes = new Set<string>();
  const note = (line: number, pos: number) => {
    const usual = strict[line]![pos]!;
    notes.add(`${chars[line]![pos]} (line ${line + 1}, char ${pos + 1}) fits here only as ${usual === '平' ? '仄' : '平'}, a rare reading (usually ${usual})`);
  };
  for (const f of analyse(lines, strict, book, best.first, best.rhymed).faults) {
    if (f.line === 0 || lenient.has(`${f.line}.${f.pos}.${f.kind}`) || f.kind === 'rhyme' || f.kind === 'rhyme-repeat') continue;
    const [line, pos] = [f.line - 1, f.pos - 1];
    if (rare(line, pos)) note(line, pos);
    else chars[line]!.forEach((_, p) => rare(line, p) && note(line, p));
  }
  if (best.group !== null) {
    chars.forEach((row, i) => {
      const ch = row.at(-1)!;
      if ((i % 2 === 1 || (i === 0 && best.rhymed)) && book.pingGroupsOf(ch).includes(best.group!) && !writingRhymeGroupsOf(ch).includes(best.group!)) {
        notes.add(`${ch} (line ${i + 1}) rhymes in ${book.labelOf(best.group!)} only through a rare reading`);
      }
    });
  }
  return [...notes];
}
