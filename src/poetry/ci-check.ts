/**
 * The checker of 词 written to a tune (`shiren check --cipai 浣溪沙`, the API's and the library's
 * `cipai` option), beside the poem checker (check.ts) and with its result shape: the text is matched
 * against every format of the tune (cipu.ts) of its character count, and the best one (fewest
 * faults; then the one whose pauses its punctuation follows best) is reported, with per character:
 * - 'tone': a character whose 平仄 (词林正韵 readings, cilin.ts) is not the format's 平 or 仄 (中 is
 *   free; a character with both readings, or one the book lacks, fits);
 * - 'rhyme-tone': a rhyme character with no reading of the tone its group rhymes in (平, or 仄 =
 *   上 去 入; a 叶 the other tone);
 * - 'rhyme': a rhyme character outside the 部 that most of its group's characters share (出韵);
 *   each rhyme group (换韵 gives several) has its own 部; 上 去 rhyme together, 入 only with 入; the
 *   通押 of Song practice (cilin.ts TONGYA: 灰咍, -n -ng -m, the 入声 部) is accepted unless
 *   `strictRhyme`;
 * - 'shape': a character count that no format has (the nearest format is named, and the first text
 *   line whose end falls where that format has no pause), or a 片 break (｜, / or a blank line in
 *   the text) where the format has none.
 * Punctuation is read only to number lines and to break ties: editions punctuate 词 differently.
 *
 * A text may name its tune in a first line `词牌：浣溪沙` (parseCipaiHeader). Result: as check.ts's
 * CheckResult with form 'ci', plus `cipai` (the tune's usual name), `variant` (1-based format of the
 * tune), `format` (its label) and `stanzas` (characters per 片 of that format); `pattern` is its
 * 平仄中 string, `rhymeGroup` the 部 of each rhyme group ('第七部', or '第四部 · 第六部' for 换韵).
 * `tones` has one string per text line, a mark per character (平 仄 中 ？ as check.ts).
 *
 * `checkText` is the one entry of the CLI, the API and the library: a 词 when a tune is given or
 * named in the text's first line, else a poem (check.ts).
 */
import { STANZA_BREAK, isHan, removeAnnotations } from '../data/clean.ts';
import { buLabel, cilinTone, rhymeBuOf, tongyaOf } from './cilin.ts';
import { findTune, formatLabel, formatOf, type CiFormat, type CiTune } from './cipu.ts';
import { checkPoem, type CheckOptions, type CheckResult, type Fault } from './check.ts';

export interface CiCheckOptions {
  /** The tune: its usual name, an alias or a traditional name. */
  cipai: string;
  /** Check against this format only (1-based, as `shiren cipai NAME` numbers them). */
  variant?: number;
  /** One 部 per rhyme group, no 通押 (what a written 词 keeps to). */
  strictRhyme?: boolean;
}

export interface CiCheckResult {
  text: string;
  form: 'ci';
  /** The tune's usual name. */
  cipai: string;
  /** The format matched (1-based among the tune's), null when no format has the text's length. */
  variant: number | null;
  /** e.g. '钦定词谱 正体', null with variant. */
  format: string | null;
  pass: boolean;
  /** The matched format's 平仄中 string, null with variant. */
  pattern: string | null;
  /** The 部 of each rhyme group, e.g. '第七部' or '第四部 · 第六部'; null when none was found. */
  rhymeGroup: string | null;
  tones: string[];
  /** Characters per 片 of the matched format; null with variant. */
  stanzas: number[] | null;
  faults: Fault[];
}

const PUNCT = '，。？！；：、,.?!;:';
const MARK: Record<ReturnType<typeof cilinTone>, string> = { 平: '平', 仄: '仄', either: '中', unknown: '？' };

/** A first line `词牌：NAME` (or `词牌:NAME`) and the rest; the text unchanged when it has none. */
export function parseCipaiHeader(text: string): { cipai?: string; body: string } {
  const m = /^\s*词牌\s*[：:]\s*《?([^\s《》，。：:]+)》?\s*(?:\n|[ \t　]+|$)([\s\S]*)$/u.exec(text);
  return m ? { cipai: m[1], body: m[2]! } : { body: text };
}

interface ReadText {
  chars: string[];
  /** text line (0-based) and position in it of each character */
  where: { line: number; pos: number }[];
  lines: string[];
  /** character counts after which the text marks a 片 break */
  breaks: number[];
  error?: string;
}

/** The Han characters of a 词, its lines (split at punctuation) and its 片 breaks. */
function readText(text: string): ReadText {
  const body = removeAnnotations(text).replace(/\r/g, '').replace(/\n[ \t　]*\n\s*/g, STANZA_BREAK).replace(/\//g, STANZA_BREAK);
  const out: ReadText = { chars: [], where: [], lines: [], breaks: [] };
  let line = '';
  const endLine = (): void => {
    if (line) out.lines.push(line);
    line = '';
  };
  for (const ch of body) {
    if (isHan(ch)) {
      out.where.push({ line: out.lines.length, pos: [...line].length });
      out.chars.push(ch);
      line += ch;
    } else if (ch === STANZA_BREAK) {
      endLine();
      if (out.chars.length && out.breaks.at(-1) !== out.chars.length) out.breaks.push(out.chars.length);
    } else if (PUNCT.includes(ch) || /\s/u.test(ch)) endLine();
    else out.error ??= `'${ch}' is neither a Han character nor punctuation`;
  }
  endLine();
  if (out.chars.length === 0) out.error ??= 'no Han characters';
  if (out.breaks.at(-1) === out.chars.length) out.breaks.pop();
  return out;
}

type Located = Omit<Fault, 'line' | 'pos'> & { index: number };

/** Character counts at which a format's 片 end (without the last). */
function stanzaEnds(f: CiFormat): number[] {
  let at = 0;
  return f.stanzas.slice(0, -1).map((n) => (at += n));
}

/** The faults of the text's characters against one format of its length, and each group's 部. */
function judge(f: CiFormat, t: ReadText, strict: boolean): { faults: Located[]; bu: (number | null)[]; offPauses: number } {
  const faults: Located[] = [];
  const { chars } = t;
  f.slots.forEach((slot, i) => {
    if (slot.rhyme || slot.tone === '中') return;
    const tone = cilinTone(chars[i]!);
    if ((tone === '平' || tone === '仄') && tone !== slot.tone) faults.push({ index: i, kind: 'tone', message: `${tone} where the 谱 has ${slot.tone}` });
  });
  const bu = f.rhymeGroups.map((g) => {
    const other = g.tone === '平' ? '仄' : '平';
    const entries = g.positions.map((p) => ({ p, ch: chars[p]!, kind: g.xie.includes(p) ? other : g.tone }));
    const counts = new Map<number, number>();
    for (const e of entries) for (const b of rhymeBuOf(e.ch, e.kind)) counts.set(b, (counts.get(b) ?? 0) + 1);
    let best: number | null = null;
    for (const [b, n] of counts) if (best === null || n > counts.get(best)! || (n === counts.get(best)! && b < best)) best = b;
    for (const e of entries) {
      if (cilinTone(e.ch) === 'unknown') continue; // the book lacks it: the benefit of the doubt
      const bus = rhymeBuOf(e.ch, e.kind);
      const xie = g.xie.includes(e.p) ? ' (叶)' : '';
      if (bus.length === 0) faults.push({ index: e.p, kind: 'rhyme-tone', message: `${e.ch} has no ${e.kind} reading; the 谱 rhymes ${e.kind} here${xie}` });
      else if (best !== null && !bus.some((b) => (strict ? b === best : tongyaOf(best!).includes(b)))) {
        const allowed = strict ? [best] : tongyaOf(best);
        faults.push({ index: e.p, kind: 'rhyme', message: `出韵: ${e.ch} (${bus.map(buLabel).join(' ')}) is not in ${allowed.map(buLabel).join(' ')}${xie}` });
      }
    }
    return best;
  });
  const ends = stanzaEnds(f);
  for (const b of t.breaks) {
    if (!ends.includes(b)) faults.push({ index: b - 1, kind: 'shape', message: `a 片 break after character ${b}; this format's 片 end after ${[...ends, chars.length].join(', ')}` });
  }
  faults.sort((a, b) => a.index - b.index);
  // ties: how many text line ends fall where the format has no pause
  let at = 0;
  const pauses = new Set(f.slots.flatMap((s, i) => (s.pause || s.stanzaEnd ? [i + 1] : [])));
  let offPauses = 0;
  for (const line of t.lines) {
    at += [...line].length;
    if (!pauses.has(at)) offPauses++;
  }
  return { faults, bu, offPauses };
}

/** Where a text of the wrong length first departs from a format: its first line that ends off the format's pauses. */
function lengthFault(tune: CiTune, t: ReadText): Fault[] {
  const n = t.chars.length;
  const lengths = [...new Set(tune.formats.map((f) => f.slots.length))].sort((a, b) => a - b);
  const nearest = [...tune.formats].sort((a, b) => Math.abs(a.slots.length - n) - Math.abs(b.slots.length - n) || a.index - b.index)[0]!;
  const faults: Fault[] = [{
    line: 0, pos: 0, kind: 'shape',
    message: `${tune.name} has ${lengths.length > 12 ? `${lengths[0]}–${lengths.at(-1)}` : lengths.join('/')} characters; this text has ${n} (nearest: format ${nearest.index + 1}, ${nearest.slots.length})`,
  }];
  const pauseEnds = nearest.slots.flatMap((s, i) => (s.pause || s.stanzaEnd ? [i + 1] : []));
  let at = 0;
  for (let l = 0; l < t.lines.length; l++) {
    const start = at;
    at += [...t.lines[l]!].length;
    if (pauseEnds.includes(at)) continue;
    const next = pauseEnds.find((e) => e > start);
    if (next === undefined) break;
    faults.push({ line: l + 1, pos: 0, kind: 'shape', message: `${at - start} characters; format ${nearest.index + 1} has ${next - start} up to its next pause` });
    break;
  }
  return faults;
}

/** Checks one 词 against a tune (see the file comment). Throws a CipaiError for an unknown tune or variant. */
export function checkCi(text: string, opts: CiCheckOptions): CiCheckResult {
  const tune = findTune(opts.cipai);
  const only = opts.variant === undefined ? undefined : formatOf(tune, opts.variant);
  const header = parseCipaiHeader(text);
  const t = readText(header.body);
  const tones = t.lines.map((line) => [...line].map((ch) => MARK[cilinTone(ch)]).join(''));
  const base = { text, form: 'ci' as const, cipai: tune.name, tones };
  const none = (faults: Fault[]): CiCheckResult => ({
    ...base, variant: null, format: null, pass: false, pattern: null, rhymeGroup: null, stanzas: null, faults,
  });
  if (t.error) return none([{ line: 0, pos: 0, kind: 'shape', message: t.error }]);
  const candidates = (only ? [only] : tune.formats).filter((f) => f.slots.length === t.chars.length);
  if (candidates.length === 0) return none(only ? lengthFault({ ...tune, formats: [only] }, t) : lengthFault(tune, t));
  let best: { f: CiFormat; r: ReturnType<typeof judge> } | undefined;
  for (const f of candidates) {
    const r = judge(f, t, opts.strictRhyme ?? false);
    if (!best || r.faults.length < best.r.faults.length || (r.faults.length === best.r.faults.length && r.offPauses < best.r.offPauses)) best = { f, r };
  }
  const { f, r } = best!;
  const found = r.bu.filter((b): b is number => b !== null);
  return {
    ...base,
    variant: f.index + 1,
    format: formatLabel(f),
    pass: r.faults.length === 0,
    pattern: f.pattern,
    rhymeGroup: found.length ? [...new Set(found)].map(buLabel).join(' · ') : null,
    stanzas: [...f.stanzas],
    faults: r.faults.map(({ index, kind, message }) => ({ line: t.where[index]!.line + 1, pos: t.where[index]!.pos + 1, kind, message })),
  };
}

/** The check options of a text that may be a poem or a 词 (the CLI's, the API's and the library's). */
export interface TextCheckOptions extends CheckOptions, Partial<Omit<CiCheckOptions, 'cipai'>> {
  /** Check the text as a 词 to this tune (else as one when its first line is `词牌：NAME`). */
  cipai?: string;
}

/** Checks a poem (check.ts) or a 词 (see the file comment); an unknown tune throws a CipaiError. */
export function checkText(text: string, opts: TextCheckOptions = {}): CheckResult | CiCheckResult {
  const cipai = opts.cipai ?? parseCipaiHeader(text).cipai;
  if (cipai === undefined) return checkPoem(text, opts);
  return checkCi(text, { cipai, variant: opts.variant, strictRhyme: opts.strictRhyme });
}
