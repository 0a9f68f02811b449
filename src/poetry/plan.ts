/**
 * Constraint planning of the decoder (generate.ts): what a poem must look like, resolved once from
 * its options against the model's vocabulary, and the rules that say which characters each next
 * position allows. The decoder knows no form: it asks its Plan.
 *
 * A Plan (the one interface a new form implements: a 词 format, a 对联, kept characters)
 * - lays out the body: `slotAt(pos)` is a forced token, a character slot, or a free choice;
 * - starts a hypothesis's constraint state (`start`) and updates it per token (`extend`);
 * - writes the allowed ids of the next position (`allowed`), relaxing its rules in a fixed order of
 *   priority when the vocabulary cannot satisfy them all (only possible with tiny vocabularies).
 * Three plans exist today, made by `makePlan` (plan-ci.ts's, which makes a CiPlan for a 词 and
 * passes every other form to this file's):
 * - FreePlan (`free`): until <eos> or `maxChars`, with light structure only: a mark only after a
 *   Han character, <eos> only after a mark.
 * - LayoutPlan (the regulated forms and acrostics): C Han characters per line, then the line's mark
 *   (forced), then <eos> (forced), so the output is always well-formed. The start text and the
 *   acrostic characters are forced into their slots. At character slots, in this order of
 *   priority: the form (never relaxed), `tones` (the 平仄 of some standard pattern of the form,
 *   prosody.ts's line rule; patterns are narrowed as characters are chosen), `rhyme` (the last
 *   characters of lines 2, 4, … rhyme with the first rhyming line: line 1 when it ends in 平, else
 *   line 2; the state is the set of 平 groups still shared), both by one rhyme book (the 平水韵 by
 *   default: rhymebook.ts), `noRepeat` (no Han character twice; the start and acrostic characters
 *   count).
 * Acrostic with form `free`: 4 characters make a qijue and 8 a qilv; any other count makes that
 * many seven-character lines (reported as form `free`).
 * Kept characters (`keep`, a revision template read by keep.ts) make a LayoutPlan of the template's
 * shape with the kept characters forced at their positions (slots marked `kept`, so a candidate's
 * fluency measures them: generate.ts `measure`), and the rules adapted to them, since a kept
 * character is kept even where it breaks one: the 平仄 patterns are those that fit the most lines
 * with the kept tones fixed (a line no chosen pattern fits takes its kept characters as either
 * tone, so the rest of it still follows the pattern), and every pattern test of a line knows its
 * kept tones ahead (prosody.ts prefixFits `fixed`: a character before a kept one is chosen so that
 * the line still fits with it); the rhyme group is the one the kept rhyme characters share (a kept
 * rhyme outside it is kept, the others follow the rest); the kept characters count as used from the
 * start (no repeats). A free template keeps its lines and marks, with no tone or rhyme rules.
 *
 * The options are checked where they come in (src/domain/write.ts); what only the vocabulary can
 * tell (an unknown character, a start text that fits no layout, a rhyme group with too few
 * characters) is a PoetryError / UnknownCharacterError from here.
 *
 * Cost: the allowed ids are a block copy of a per-vocabulary id list (VocabInfo) less the poem's
 * used ids; only a rhyming slot then tests each id. A line's tones so far are a node of a ternary
 * tree and the pattern test a memo table per line pattern, so a step builds no strings or arrays.
 *
 * Shapes: V vocabulary size.
 */
import { BOS, EOS, UnknownCharacterError, type Vocab } from '../data/vocab.ts';
import { PUNCTUATION } from '../data/clean.ts';
import { FORM_SHAPE, PoetryError, isHan, isRegulated, lineEnd, type Form, type GenForm, type Shape } from './forms.ts';
import type { CorpusForm } from '../data/clean.ts';
import { standardOf } from '../data/standard.ts';
import { prefixFits, tonePatterns, toneIn, writingRhymeGroupsOf, writingToneOf, type Tone, type TonePattern } from './prosody.ts';
import { rhymeBook, type RhymeBookName } from './rhymebook.ts';
import { parseKeep, type KeepTemplate } from './keep.ts';
import { RHYME_BOOK_LABELS } from './book-names.ts';
import { addSorted, copyExcept } from './id-lists.ts';

/** Characters (marks included) after which a free poem is cut off. */
export const DEFAULT_MAX_CHARS = 200;

export interface GenerateOptions {
  /** Text to continue (its characters must be in the vocabulary); none starts after <bos>. */
  start?: string;
  /** The title to write on (title-conditioned models only); undefined: the model writes one; '': untitled. */
  title?: string;
  /** Default 'free' (or the acrostic's form); 'ci' with `cipai` (plan-ci.ts). */
  form?: GenForm;
  /** The tune of a 词 (form 'ci'): its usual name, an alias or a traditional name. */
  cipai?: string;
  /** The tune's format, 1-based (default 1, its first / main format). */
  variant?: number;
  /** Line i starts with character i. */
  acrostic?: string;
  /** Softmax temperature; 0 (or below MIN_TEMPERATURE, sample.ts) means greedy. Default DEFAULT_TEMPERATURE. */
  temperature?: number;
  /** Sample only from the k most likely allowed characters (0 or undefined: all). */
  topK?: number;
  /** Sample only from the smallest set of allowed characters with probability ≥ p (1: all). */
  topP?: number;
  /** Beam search with this many beams (≥ 2); deterministic. */
  beam?: number;
  /** Always take the most likely allowed character. */
  greedy?: boolean;
  /** Let a Han character repeat within a poem. Default: false for fixed layouts, true for free. */
  allowRepeats?: boolean;
  /** ≥ 1; 1 is none. */
  repetitionPenalty?: number;
  /** Follow a standard 平仄 pattern of the form (fixed forms only; default: on for the regulated forms). */
  tones?: boolean;
  /** Even lines rhyme in one 平 group (fixed forms only; default: on for the regulated forms). */
  rhyme?: boolean;
  /** Rhyme in this 平 group of the book (限韵; its name, e.g. 东, or label, e.g. 上平一东). */
  rhymeGroup?: string;
  /** The rhyme book of `tones` and `rhyme`: 'pingshui' (平水韵, default) or 'xinyun' (中华新韵). */
  rhymeBook?: RhymeBookName;
  /** Cut-off for free poems, default DEFAULT_MAX_CHARS. */
  maxChars?: number;
  /** A plan made elsewhere (a 对联: plan-duilian.ts), used instead of one made from the options above. */
  plan?: Plan;
  /**
   * A revision template (keep.ts): the characters to keep, ＿ or ？ where one is to be written. It
   * fixes the form (a regulated shape, or free with form 'free'; a 词's format with cipai); no
   * start text or acrostic beside it.
   */
  keep?: string;
  /**
   * Whether a candidate's fluency counts the kept characters' log-probabilities (generate.ts
   * `measure`: the look-ahead that favours a line leading well into a kept one). Default true;
   * false only to measure what it gains (tools/revision-eval.ts).
   */
  keepLookAhead?: boolean;
  /**
   * Guidance by the title (classifier-free guidance), when candidates are measured against an
   * untitled twin (generate.ts `measure` on a given title or a plan's own opening): sample from
   * t + γ·(t − u) over the allowed ids, t the logits after the title, u those after no title, so
   * characters the title makes likelier are drawn more. 0 (default): the model's own distribution.
   */
  guidance?: number;
  /**
   * Write the title only (with none given, on a title-conditioned model): the Poem has the title
   * and no lines. Candidates share one title so (src/domain/write.ts), then are written on it.
   */
  titleOnly?: boolean;
}

/**
 * Per-vocabulary lookup tables, computed once per Vocab (the tone and rhyme ones on first use).
 * The id lists let a step visit only the candidates of its slot (≈ V/2 at a tone-constrained
 * slot) instead of testing all V ids. Tones and rhymes are the usual ones (writingToneOf,
 * writingRhymeGroupsOf) of the character as it is printed: its standard form (src/data/standard.ts).
 */
export interface VocabInfo {
  han: Uint8Array; // [V] 1 for Han characters
  hanIds: Int32Array; // [H] the Han ids, ascending
  hanOrMarkIds: Int32Array; // the Han ids and those of the marks (PUNCTUATION), ascending
  tone?: Uint8Array; // [V] 0 平, 1 仄, 2 either
  toneIds?: [Int32Array, Int32Array]; // the Han ids that can be read 平 (tone 0 or 2) / 仄 (1 or 2), ascending
  rhyme?: Int32Array; // [V] bit g set when a 平 reading falls in the book's pingGroups[g] (≤ 30 groups)
  marks: Set<number>; // ids of the marks
  variants: Map<number, number[]>; // id → the Han ids printed as the same standard character (疎 疏), where the vocabulary holds several
}
const TONE_CODE: Record<Tone, number> = { 平: 0, 仄: 1, either: 2 };
const infoCache = new WeakMap<Vocab, Map<RhymeBookName, VocabInfo>>();

export function vocabInfo(vocab: Vocab, tones: boolean, rhyme: boolean, book: RhymeBookName): VocabInfo {
  const byBook = infoCache.get(vocab) ?? new Map<RhymeBookName, VocabInfo>();
  infoCache.set(vocab, byBook);
  let info = byBook.get(book);
  if (!info) {
    const han = new Uint8Array(vocab.size);
    vocab.symbols.forEach((s, id) => (han[id] = [...s].length === 1 && isHan(s) ? 1 : 0));
    const marks = new Set([...PUNCTUATION].map((m) => vocab.id(m)).filter((id) => id !== undefined));
    const idsWhere = (keep: (id: number) => boolean) => Int32Array.from(vocab.symbols.keys()).filter(keep);
    const byStandard = new Map<string, number[]>();
    vocab.symbols.forEach((s, id) => han[id] && byStandard.set(standardOf(s), [...(byStandard.get(standardOf(s)) ?? []), id]));
    const variants = new Map([...byStandard.values()].filter((ids) => ids.length > 1).flatMap((ids) => ids.map((id) => [id, ids] as const)));
    info = { han, hanIds: idsWhere((id) => han[id] === 1), hanOrMarkIds: idsWhere((id) => han[id] === 1 || marks.has(id)), marks, variants };
    byBook.set(book, info);
  }
  if (tones && !info.tone) {
    const tone = (info.tone = Uint8Array.from(vocab.symbols, (s, id) => (info!.han[id] ? TONE_CODE[writingToneOf(standardOf(s), book)] : 2)));
    info.toneIds = [info.hanIds.filter((id) => tone[id] !== 1), info.hanIds.filter((id) => tone[id] !== 0)];
  }
  if (rhyme && !info.rhyme) {
    const groups = rhymeBook(book).pingGroups;
    info.rhyme = Int32Array.from(vocab.symbols, (s, id) =>
      info!.han[id] ? writingRhymeGroupsOf(standardOf(s), book).reduce((bits, g) => bits | (1 << groups.indexOf(g)), 0) : 0,
    );
  }
  return info;
}

/**
 * The tones of a line so far as a node of the complete ternary tree: the empty line is node 0,
 * and a character of tone code t (TONE_CODE) after node i makes node 3i + 1 + t. A line of C ≤ 7
 * characters has (3^(C+1) − 1)/2 ≤ 3280 prefixes, so a prefix is a small integer (no arrays,
 * no string keys).
 */
const toneNode = (node: number, code: number) => 3 * node + 1 + code;
const TONES: readonly Tone[] = ['平', '仄', 'either'];

function nodeTones(node: number): Tone[] {
  const tones: Tone[] = [];
  for (; node > 0; node = Math.floor((node - 1) / 3)) tones.unshift(TONES[(node - 1) % 3]);
  return tones;
}

/** One line pattern's prefix test (prosody.ts prefixFits), memoised per tone node (memo: 1 fits, 0 not, −1 not yet asked). */
interface PatternPrefixes {
  pattern: string;
  /** the kept tones of the line (prosody.ts prefixFits `fixed`), if it has any */
  fixed?: (Tone | undefined)[];
  memo: Int8Array; // [(3^(C+1) − 1)/2]
}
const prefixesCache = new Map<string, PatternPrefixes>();
/** `fixed`: a line's kept tones, one of '.' (none) 平 仄 e (either) per position; '' for none. */
function patternPrefixes(pattern: string, fixed = ''): PatternPrefixes {
  const key = fixed ? `${pattern}|${fixed}` : pattern;
  let pp = prefixesCache.get(key);
  if (!pp) {
    const tones = fixed ? [...fixed].map((c) => (c === '.' ? undefined : c === 'e' ? 'either' : (c as Tone))) : undefined;
    prefixesCache.set(key, (pp = { pattern, fixed: tones, memo: new Int8Array((3 ** (pattern.length + 1) - 1) / 2).fill(-1) }));
  }
  return pp;
}
function fits(pp: PatternPrefixes, node: number): boolean {
  let v = pp.memo[node];
  if (v < 0) pp.memo[node] = v = prefixFits(nodeTones(node), pp.pattern, pp.fixed) ? 1 : 0;
  return v === 1;
}

/** One partial poem and the constraint state that goes with it (the plan's to read and update). */
export interface Hypothesis {
  tokens: number[]; // ids after <bos>
  logp: number;
  used: number[]; // Han ids in the poem (and acrostic characters still to come), ascending, each once
  patterns: number; // bit i set while the plan's tone pattern i is still possible (0: tones off, or none left)
  lineTones: number; // the tones of the current line so far, as a toneNode
  rhymeBits: number; // rhyme groups of the first rhyming line, 0 until known
  done: boolean;
}

export function copyHypothesis(h: Hypothesis): Hypothesis {
  return { ...h, tokens: [...h.tokens], used: [...h.used] };
}

/**
 * What a body position holds: a forced token (`kept`: a character the user kept, keep.ts, which a
 * candidate's fluency measures), a character at (line, col) of a layout, or (undefined) a free choice.
 */
export type Slot = { forced: number; kept?: true } | { line: number; col: number } | undefined;

/** A written body as a plan lays it out, where it is more than poemLines (a 词: its tune, format and 片). */
export interface WrittenLayout {
  lines: string[];
  text: string;
  ci?: { cipai: string; variant: number; format: string; tuneRead: 'ci' | 'free' | 'none'; stanzaLines: number[] };
}

/** What a poem must look like and which characters each next position allows (see the file comment). */
export interface Plan {
  readonly form: GenForm;
  /** The lines (and more) of a written body; default poemLines. */
  written?(text: string): WrittenLayout;
  /** The vocabulary's tables this plan reads. */
  readonly info: VocabInfo;
  /** Positions after <bos> at most (<eos> included). */
  readonly capacity: number;
  /** Beams rank finished poems by log-probability per token (free length) rather than in all. */
  readonly perToken: boolean;
  /** A fresh hypothesis: nothing written, every rule open. */
  start(): Hypothesis;
  /** What body position `pos` holds. */
  slotAt(pos: number): Slot;
  /** Writes the ids allowed for `h` at `slot` to out[0:n], ascending; returns n (≥ 1). */
  allowed(h: Hypothesis, slot: Slot, out: Int32Array): number;
  /** Appends token `id` to `h` in place (log-probability `logp`), updating the constraint state. */
  extend(h: Hypothesis, id: number, logp: number): void;
  /**
   * What the model reads after <bos> when the plan sets it itself (a 对联 reads its 上联), with
   * the title a poem reports and the untitled twin that a candidate's fit compares with
   * (candidates.ts); undefined: the decoder's title rules.
   */
  readonly opening?: { tokens: readonly number[]; title: string; untitled: readonly number[] };
  /** Body positions before this one are a forced lead-in that the written text leaves out (default 0). */
  readonly lead?: number;
}

const NONE: readonly number[] = [];
const EMPTY = new Int32Array(0);

/** Marks Han character `id` used in `h`, with the ids printed as the same standard character (疏 after 疎 repeats it once printed). */
export function use(info: VocabInfo, h: Hypothesis, id: number): void {
  const same = info.variants.get(id);
  if (!same) addSorted(h.used, id);
  else for (const v of same) addSorted(h.used, v);
}

/** What every plan's `extend` does first: the token, its log-probability, and <eos> ends the poem. */
export function append(h: Hypothesis, id: number, logp: number): void {
  h.tokens.push(id);
  h.logp += logp;
  if (id === EOS) h.done = true;
}

function vocabId(vocab: Vocab, ch: string): number {
  const id = vocab.id(ch);
  if (id === undefined) throw new UnknownCharacterError([ch]);
  return id;
}

/** A free poem: the start text forced, then any Han character or mark until <eos> (see the file comment). */
class FreePlan implements Plan {
  readonly form: Form = 'free';
  readonly perToken = true;
  readonly info: VocabInfo;
  readonly capacity: number;

  constructor(vocab: Vocab, private readonly prefix: number[], private readonly noRepeat: boolean, maxChars: number) {
    this.info = vocabInfo(vocab, false, false, 'pingshui');
    this.capacity = maxChars;
  }

  start(): Hypothesis {
    return { tokens: [], logp: 0, used: [], patterns: 0, lineTones: 0, rhymeBits: 0, done: false };
  }

  slotAt(pos: number): Slot {
    return pos < this.prefix.length ? { forced: this.prefix[pos] } : undefined;
  }

  allowed(h: Hypothesis, slot: Slot, out: Int32Array): number {
    if (slot && 'forced' in slot) {
      out[0] = slot.forced;
      return 1;
    }
    // a mark only after a Han character, <eos> (id 3, below every Han id) only after a mark
    const { info } = this;
    const last = h.tokens.at(-1) ?? BOS;
    for (let skip = this.noRepeat ? h.used : NONE; ; skip = NONE) {
      let n = 0;
      if (info.han[last]) {
        n = copyExcept(info.hanOrMarkIds, skip, out, 0);
      } else {
        if (info.marks.has(last)) out[n++] = EOS;
        n = copyExcept(info.hanIds, skip, out, n);
      }
      if (n || skip === NONE) return n;
    }
  }

  extend(h: Hypothesis, id: number, logp: number): void {
    append(h, id, logp);
    if (this.info.han[id]) use(this.info, h, id);
  }
}

/**
 * The positions of a fixed layout of lines: per body position (<eos> aside) its line and column,
 * and the token forced there (a mark, a start, acrostic or kept character) or −1.
 */
interface Layout {
  /** characters per line */
  lengths: number[];
  /** [pos] the line and column (column = the line's length at its mark) */
  lineOf: Int16Array;
  colOf: Int16Array;
  /** [pos] the forced id, or −1 */
  forced: Int32Array;
  /** [pos] AHEAD where the forced id counts as used from the start (an acrostic's), KEPT where it is a kept character (keep.ts; used ahead too), else 0 */
  ahead: Uint8Array;
}
const AHEAD = 1;
const KEPT = 2;

/** A layout of lines of `lengths` characters, each closed by its mark (ids), with `forced(line, col)` ids (−1 none) and `ahead(line, col)` (Layout.ahead) for them. */
function layoutOf(lengths: readonly number[], marks: readonly number[], forced: (line: number, col: number) => number, ahead?: (line: number, col: number) => number): Layout {
  const n = lengths.reduce((a, c) => a + c + 1, 0);
  const layout: Layout = { lengths: [...lengths], lineOf: new Int16Array(n), colOf: new Int16Array(n), forced: new Int32Array(n).fill(-1), ahead: new Uint8Array(n) };
  let pos = 0;
  lengths.forEach((len, line) => {
    for (let col = 0; col <= len; col++, pos++) {
      layout.lineOf[pos] = line;
      layout.colOf[pos] = col;
      layout.forced[pos] = col === len ? marks[line]! : forced(line, col);
      if (col < len && ahead) layout.ahead[pos] = ahead(line, col);
    }
  });
  return layout;
}

/** A fixed layout of lines (a regulated form, an acrostic, a revision template), with its tone and rhyme rules (see the file comment). */
class LayoutPlan implements Plan {
  readonly perToken = false;
  readonly info: VocabInfo;
  readonly capacity: number;
  /** [pattern][line] the prefix test of patterns[pattern].lines[line] (with the line's kept tones) */
  private readonly prefixes?: PatternPrefixes[][];

  constructor(
    vocab: Vocab,
    readonly form: Form,
    private readonly layout: Layout,
    /** the tone patterns, each with its lines' kept tones (patternPrefixes `fixed`) */
    patterns: { pattern: TonePattern; fixed: string[] }[] | undefined,
    private readonly rhyme: boolean,
    book: RhymeBookName,
    /** The asked-for rhyme group as a bit of VocabInfo.rhyme, 0 for any. */
    groupBits: number,
    /** The rhyme groups known before the poem is written (the asked-for one, the kept rhymes'), 0 for any. */
    private readonly startBits: number,
    private readonly noRepeat: boolean,
    rhymeGroup: string | undefined,
  ) {
    this.info = vocabInfo(vocab, !!patterns, rhyme, book);
    this.prefixes = patterns?.map(({ pattern, fixed }) => pattern.lines.map((line, i) => patternPrefixes(line, fixed[i])));
    this.capacity = layout.forced.length + 1;
    if (groupBits) {
      // every even line needs its own rhyme character (never twice)
      let rhymable = 0;
      for (let id = 0; id < vocab.size; id++) if (this.info.han[id] && this.info.rhyme![id] & groupBits) rhymable++;
      if (rhymable < layout.lengths.length / 2 + 1) throw new PoetryError(`the model knows only ${rhymable} characters that rhyme in ${rhymeGroup}: too few for a ${form}`);
    }
  }

  start(): Hypothesis {
    const h: Hypothesis = { tokens: [], logp: 0, used: [], patterns: this.prefixes ? (1 << this.prefixes.length) - 1 : 0, lineTones: 0, rhymeBits: this.startBits, done: false };
    // acrostic and kept characters count as used from the start (never written elsewhere); a kept one's variants too
    const { forced, ahead } = this.layout;
    forced.forEach((id, pos) => (ahead[pos] === KEPT ? use(this.info, h, id) : ahead[pos] === AHEAD && addSorted(h.used, id)));
    return h;
  }

  slotAt(pos: number): Slot {
    const { forced, ahead } = this.layout;
    if (pos >= forced.length) return { forced: EOS };
    const id = forced[pos]!;
    if (id >= 0) return ahead[pos] === KEPT ? { forced: id, kept: true } : { forced: id };
    return { line: this.layout.lineOf[pos]!, col: this.layout.colOf[pos]! };
  }

  allowed(h: Hypothesis, slot: Slot, out: Int32Array): number {
    if (!slot) throw new Error('a layout has no free positions');
    if ('forced' in slot) {
      out[0] = slot.forced;
      return 1;
    }
    const { info } = this;
    const { line, col } = slot;
    const last = col === this.layout.lengths[line]! - 1;
    // the Han ids whose tone keeps some pattern possible (undefined: tones off or no pattern left)
    let toneList: Int32Array | undefined;
    if (h.patterns) {
      const ifPing = toneNode(h.lineTones, TONE_CODE.平);
      const ifZe = toneNode(h.lineTones, TONE_CODE.仄);
      let ping = false, ze = false;
      for (let i = 0; i < this.prefixes!.length; i++) {
        if (!(h.patterns & (1 << i))) continue;
        const pp = this.prefixes![i][line];
        ping ||= fits(pp, ifPing);
        ze ||= fits(pp, ifZe);
      }
      toneList = ping && ze ? info.hanIds : ping ? info.toneIds![0] : ze ? info.toneIds![1] : EMPTY;
    }
    // an even line's last character rhymes in the groups set so far, or (the first) in any 平 group,
    // and is no character of the poem so far (a rhyme never twice), even with repeats allowed
    const rhymeBits = this.rhyme && last && line % 2 === 1 ? h.rhymeBits || ~0 : 0;
    // with a rhyme group known ahead (asked for, or a kept rhyme's), a first line that ends in a 平 reading rhymes in it as well
    const firstBits = this.startBits && last && line === 0 ? this.startBits : 0;
    const checkUsed = this.noRepeat || rhymeBits !== 0;
    const rhyme = info.rhyme;
    for (let relax = 0; relax < 4; relax++) {
      let n = copyExcept(relax < 3 && toneList ? toneList : info.hanIds, relax < 1 && checkUsed ? h.used : NONE, out, 0);
      if (relax < 2 && (rhymeBits || firstBits)) {
        let m = 0;
        for (let i = 0; i < n; i++) {
          const bits = rhyme![out[i]];
          if (rhymeBits && !(bits & rhymeBits)) continue;
          if (firstBits && bits && !(bits & firstBits)) continue;
          out[m++] = out[i];
        }
        n = m;
      }
      if (n) return n;
    }
    throw new PoetryError('the model has no Han characters in its vocabulary');
  }

  extend(h: Hypothesis, id: number, logp: number): void {
    const { info } = this;
    append(h, id, logp);
    if (!info.han[id]) {
      h.lineTones = 0;
      return;
    }
    use(info, h, id);
    const pos = h.tokens.length - 1;
    const line = this.layout.lineOf[pos]!;
    const col = this.layout.colOf[pos]!;
    if (h.patterns) {
      // a kept character's tone is its line's fixed tone (patternPrefixes), so it reads as either here
      h.lineTones = toneNode(h.lineTones, this.layout.ahead[pos] === KEPT ? TONE_CODE.either : info.tone![id]);
      for (let i = 0; i < this.prefixes!.length; i++) {
        if (h.patterns & (1 << i) && !fits(this.prefixes![i][line], h.lineTones)) h.patterns &= ~(1 << i);
      }
    }
    if (this.rhyme && col === this.layout.lengths[line]! - 1) {
      // the first rhyming line sets the groups (line 1 too when its last character has a 平 reading,
      // even a polyphonic one: a reader hears it rhyme; a later even line when a kept one had none);
      // each later rhyme narrows them
      if (!h.rhymeBits) {
        if ((line % 2 === 1 || line === 0) && info.rhyme![id] !== 0) h.rhymeBits = info.rhyme![id];
      } else if (line % 2 === 1 && h.rhymeBits & info.rhyme![id]) h.rhymeBits &= info.rhyme![id];
    }
  }
}

/** The ids of the marks '，' and '。' (a regulated layout's line ends), an UnknownCharacterError where the vocabulary lacks one. */
function markIds(vocab: Vocab, marks: readonly string[]): number[] {
  return marks.map((m) => vocabId(vocab, m));
}

/** The plan of a poem: its options resolved against the vocabulary (see the file comment). */
export function makePlan(vocab: Vocab, opts: GenerateOptions): Plan {
  if (opts.form === 'ci') throw new Error('a 词 plan is made by plan-ci.ts makePlan');
  const template = opts.keep === undefined ? undefined : parseKeep(opts.keep, opts.form);
  if (template) {
    if (opts.start) throw new PoetryError('a start text and a kept template do not go together: write the start into the template');
    if (opts.acrostic) throw new PoetryError('an acrostic and a kept template do not go together: write its characters into the template');
    const unknown = vocab.unknown(template.lines.flat().filter((c) => c !== null).join(''));
    if (unknown.length) throw new UnknownCharacterError(unknown, 'template');
  }
  const start = opts.start ?? '';
  const unknown = vocab.unknown(start + (opts.acrostic ?? ''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  const acrostic = [...(opts.acrostic ?? '')];
  if (acrostic.some((ch) => !isHan(ch))) throw new PoetryError(`the acrostic must be Han characters only, got '${opts.acrostic}'`);

  let form: Form = (template?.form as Form | undefined) ?? opts.form ?? 'free';
  let shape: Shape | undefined = isRegulated(form) ? FORM_SHAPE[form] : undefined;
  if (acrostic.length && !shape) {
    form = acrostic.length === 4 ? 'qijue' : acrostic.length === 8 ? 'qilv' : 'free';
    shape = { chars: 7, lines: acrostic.length };
  }
  if (acrostic.length && acrostic.length !== shape!.lines) {
    throw new PoetryError(`the acrostic ${opts.acrostic} has ${acrostic.length} characters but a ${form} has ${shape!.lines} lines`);
  }
  if ((opts.tones || opts.rhyme || opts.rhymeGroup) && !isRegulated(form)) {
    throw new PoetryError(`${opts.tones ? 'tones' : opts.rhyme ? 'rhyme' : 'rhymeGroup'} needs a regulated form (wujue, qijue, wulv or qilv)`);
  }
  // the regulated forms keep their rules unless asked not to
  const tones = opts.tones ?? isRegulated(form);
  const rhyme = opts.rhyme ?? isRegulated(form);
  if (opts.rhymeGroup && !rhyme) throw new PoetryError('a rhyme group needs rhyme');
  const noRepeat = opts.allowRepeats === undefined ? shape !== undefined || template !== undefined : !opts.allowRepeats;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const book = opts.rhymeBook ?? 'pingshui';
  const groupBits = opts.rhymeGroup ? 1 << groupIndex(book, opts.rhymeGroup) : 0;
  if (template) return keptPlan(vocab, form, template, { tones, rhyme, book, groupBits, noRepeat, rhymeGroup: opts.rhymeGroup });
  if (!shape) {
    if ([...start].length > maxChars) throw new PoetryError(`the start text is longer than the ${maxChars}-character limit`);
    return new FreePlan(vocab, vocab.encode(start), noRepeat, maxChars);
  }

  // lay the start text into the slots, supplying the marks it leaves out
  const layout: string[] = []; // canonical start, one character per slot
  const capacity = shape.lines * (shape.chars + 1);
  const fail = (why: string) => new PoetryError(`the start text '${start}' does not fit a ${form}: ${why}`);
  const place = (ch: string) => {
    if (layout.length === capacity) throw fail(`a ${form} has only ${shape!.lines * shape!.chars} characters`);
    layout.push(ch);
  };
  for (const ch of start) {
    const line = Math.floor(layout.length / (shape.chars + 1));
    const atMark = layout.length % (shape.chars + 1) === shape.chars;
    if (isHan(ch)) {
      if (atMark) place(lineEnd(line, shape.lines));
      place(ch);
    } else if (atMark && ch === lineEnd(line, shape.lines)) {
      place(ch);
    } else {
      throw fail(`'${ch}' cannot stand after ${layout.length ? `'${layout.join('')}'` : 'nothing'} (lines of ${shape.chars} characters end in ，/。 alternately)`);
    }
  }
  const lineStarts = Array.from({ length: shape.lines }, (_, i) => (acrostic.length ? vocabId(vocab, acrostic[i]) : -1));
  for (let i = 0; i < shape.lines && acrostic.length; i++) {
    const given = layout[i * (shape.chars + 1)];
    if (given !== undefined && given !== acrostic[i]) throw new PoetryError(`the start text puts '${given}' where the acrostic puts '${acrostic[i]}'`);
  }
  const marks = markIds(vocab, Array.from({ length: shape.lines }, (_, i) => lineEnd(i, shape!.lines)));

  let patterns: TonePattern[] | undefined;
  if (tones) {
    // the forced characters of each line (start text, acrostic) form a prefix of that line
    const forcedLines = Array.from({ length: shape.lines }, (_, i) => {
      const chars = layout.slice(i * (shape!.chars + 1), i * (shape!.chars + 1) + shape!.chars);
      return (chars.length ? chars : acrostic.slice(i, i + 1)).reduce((node, ch) => toneNode(node, TONE_CODE[toneIn(ch, book)]), 0);
    });
    patterns = tonePatterns(form as Exclude<Form, 'free'>).filter((p) => forcedLines.every((node, i) => fits(patternPrefixes(p.lines[i]), node)));
    if (!patterns.length) throw new PoetryError(`the start text and acrostic fit no 平仄 pattern of a ${form}; write without tones`);
  }
  const prefix = vocab.encode(layout.join(''));
  const laid = layoutOf(Array(shape.lines).fill(shape.chars), marks, (line, col) => {
    const pos = line * (shape!.chars + 1) + col;
    return pos < prefix.length ? prefix[pos]! : col === 0 ? lineStarts[line]! : -1;
  }, (line, col) => (col === 0 && lineStarts[line]! >= 0 ? AHEAD : 0));
  return new LayoutPlan(vocab, form, laid, patterns?.map((pattern) => ({ pattern, fixed: [] })), rhyme, book, groupBits, groupBits, noRepeat, opts.rhymeGroup);
}

/**
 * The plan of a revision template (see the file comment): its layout with the kept characters
 * forced, the tone patterns that fit the most lines with the kept tones fixed, the rhyme groups of
 * the kept rhymes.
 */
function keptPlan(
  vocab: Vocab,
  form: Form,
  template: KeepTemplate,
  o: { tones: boolean; rhyme: boolean; book: RhymeBookName; groupBits: number; noRepeat: boolean; rhymeGroup?: string },
): Plan {
  const { lines } = template;
  const ids = lines.map((line) => line.map((ch) => (ch === null ? -1 : vocabId(vocab, ch))));
  const layout = layoutOf(lines.map((l) => l.length), markIds(vocab, template.marks), (line, col) => ids[line]![col]!, (line, col) => (ids[line]![col]! >= 0 ? KEPT : 0));
  let patterns: { pattern: TonePattern; fixed: string[] }[] | undefined;
  if (o.tones && isRegulated(form)) {
    // each line's kept tones by the usual reading, as the decoder reads every character (VocabInfo.tone)
    const fixed = lines.map((line) => line.map((ch) => (ch === null ? '.' : TONE_LETTER[writingToneOf(standardOf(ch), o.book)])).join(''));
    const relaxed = fixed.map((f) => f.replace(/[^.]/gu, 'e'));
    const fitted = tonePatterns(form).map((pattern) => {
      const ok = pattern.lines.map((line, i) => fits(patternPrefixes(line, fixed[i]), 0));
      return { pattern, fixed: ok.map((f, i) => (f ? fixed[i]! : relaxed[i]!)), score: ok.filter(Boolean).length };
    });
    const best = Math.max(...fitted.map((f) => f.score));
    patterns = fitted.filter((f) => f.score === best).map(({ pattern, fixed }) => ({ pattern, fixed }));
  }
  let startBits = o.groupBits;
  if (o.rhyme && isRegulated(form)) {
    const rhymeOf = vocabInfo(vocab, false, true, o.book).rhyme!;
    const keptRhymes = lines.flatMap((line, i) => {
      const ch = line.at(-1);
      return ch && (i % 2 === 1 || i === 0) ? [{ ch, line: i, bits: rhymeOf[vocabId(vocab, ch)]! }] : [];
    });
    const even = keptRhymes.filter((r) => r.line > 0 && r.bits);
    const wrong = o.groupBits ? even.find((r) => !(r.bits & o.groupBits)) : undefined;
    if (wrong) throw new PoetryError(`the kept rhyme '${wrong.ch}' (line ${wrong.line + 1}) does not rhyme in ${o.rhymeGroup}: leave the rhyme group out or rewrite that line`);
    // the group follows the kept rhymes of the even lines (the most of them, where they differ), then the first line's where it agrees
    if (!startBits && even.length) startBits = sharedBits(even.map((r) => r.bits));
    const first = keptRhymes.find((r) => r.line === 0);
    if (startBits && first && startBits & first.bits) startBits &= first.bits;
  }
  return new LayoutPlan(vocab, form, layout, patterns, o.rhyme && isRegulated(form), o.book, o.groupBits, startBits, o.noRepeat, o.rhymeGroup);
}
const TONE_LETTER: Record<Tone, string> = { 平: '平', 仄: '仄', either: 'e' };

/**
 * The rhyme groups (bits) that the most of `sets` share: where kept rhymes disagree, the group of
 * the majority (ties: every group of the most), so one stray kept rhyme does not steer the rest.
 * 0 for no sets.
 */
export function sharedBits(sets: readonly number[]): number {
  let best = 0, bits = 0;
  for (let b = 0; b < 32; b++) {
    const n = sets.filter((s) => s & (1 << b)).length;
    if (n > best) (best = n), (bits = 1 << b);
    else if (n === best && n > 0) bits |= 1 << b;
  }
  return bits;
}

/** The index of a 平 group in the book's list, by name (东) or label (上平一东); a PoetryError naming the choices otherwise. */
function groupIndex(book: RhymeBookName, group: string): number {
  const b = rhymeBook(book);
  const i = b.pingGroups.findIndex((g) => g === group || b.labelOf(g) === group);
  if (i < 0) throw new PoetryError(`unknown 平 rhyme group '${group}' of the ${RHYME_BOOK_LABELS[book]}; choose one of ${b.pingGroups.join(' ')}`);
  return i;
}
