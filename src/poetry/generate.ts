/**
 * Poem generation over any LanguageModel by incremental decoding: the recurrent state is carried
 * and each step feeds one character (the prefix is never re-run).
 *
 * Modes: greedy (temperature 0 or `greedy`), sampling with temperature, top-k and top-p, and beam
 * search (`beam` ≥ 2, by summed log-probability, length-normalised for free poems). Every mode is
 * reproducible: the only randomness is the caller's seeded RandomSource.
 *
 * Layout. `free` runs until <eos> or `maxChars`, with light structure only: a mark only after a Han
 * character, <eos> only after a mark. A regulated form (and an acrostic) is decoded into a fixed
 * layout of slots: C Han characters per line, then the line's mark (forced), then <eos> (forced),
 * so its output is always well-formed: <eos>, <unk>, <pad>, <bos> and marks are masked at every
 * character slot. The start text and the acrostic characters are forced into their slots.
 *
 * Constraints at character slots, best effort in this order of priority when the vocabulary cannot
 * satisfy all of them: the form (never relaxed), `tones` (the 平仄 of some standard pattern of the
 * form, prosody.ts's line rule; patterns are narrowed as characters are chosen), `rhyme` (the
 * last characters of lines 2, 4, … rhyme with the first rhyming line: line 1 when it ends in 平,
 * else line 2; the state is the set of 平 groups still shared), both by one rhyme book (`rhymeBook`,
 * the 平水韵 by default: rhymebook.ts), `noRepeat` (no Han character twice; the start and acrostic
 * characters count).
 * A repetition penalty (CTRL-style: positive logits ÷ p, negative × p) applies to used characters.
 *
 * Acrostic with form `free`: 4 characters make a qijue and 8 a qilv; any other count makes that
 * many seven-character lines (reported as form `free`).
 *
 * Titles. A title-conditioned model (src/data/sequence.ts) reads `<bos> <form> title <sep>` before
 * the poem: the title given, or, with none, one it writes itself first (Han characters until it
 * chooses <sep>, sampled like the poem, at most MAX_TITLE_CHARS). An unconditional model writes
 * untitled poems and refuses a title.
 *
 * Cost per step and hypothesis, the model's step aside: the allowed ids are a block copy of a
 * per-vocabulary id list less the poem's used ids; plain sampling takes one exp per allowed id,
 * top-k O(count + k log k), top-p alone O(count + m log count) (m: the nucleus); beam search adds
 * a log-sum-exp over V. Sampling grows its one hypothesis in place, and a repetition penalty edits
 * the model's logits row in place and restores it (no copy of V).
 *
 * Shapes: V vocabulary size, S parallel hypotheses (beam width, 1 when sampling).
 */
import { BOS, EOS, UnknownCharacterError, type Vocab } from '../data/vocab.ts';
import { MAX_TITLE_CHARS, SEP, conditionOf, conditionPrefix, formSymbol } from '../data/sequence.ts';
import type { LanguageModel, ListSampler, RecurrentState } from '../nn/lm.ts';
import { FORM_SHAPE, PoetryError, isHan, isRegulated, lineEnd, poemLines, type Form, type Shape } from './forms.ts';
import { standardOf, standardPoem } from '../data/standard.ts';
import { prefixFits, tonePatterns, toneIn, writingRhymeGroupsOf, writingToneOf, type Tone, type TonePattern } from './prosody.ts';
import { rhymeBook, type RhymeBookName } from './rhymebook.ts';

export const DEFAULT_TEMPERATURE = 0.8;
/** Characters (marks included) after which a free poem is cut off. */
export const DEFAULT_MAX_CHARS = 200;
const FREE_MARKS = '，。？！；：、';

/** A uniform random source in [0, 1) (src/nn/rng.ts's Rng). */
export interface RandomSource {
  next(): number;
}

export interface GenerateOptions {
  /** Text to continue (its characters must be in the vocabulary); none starts after <bos>. */
  start?: string;
  /** The title to write on (title-conditioned models only); undefined: the model writes one; '': untitled. */
  title?: string;
  /** Default 'free' (or the acrostic's form). */
  form?: Form;
  /** Line i starts with character i. */
  acrostic?: string;
  /** Softmax temperature; 0 means greedy. Default DEFAULT_TEMPERATURE. */
  temperature?: number;
  /** Sample only from the k most likely allowed characters (0 or undefined: all). */
  topK?: number;
  /** Sample only from the smallest set of allowed characters with probability ≥ p (1: all). */
  topP?: number;
  /** Beam search with this many beams (≥ 2); deterministic. */
  beam?: number;
  /** Always take the most likely allowed character. */
  greedy?: boolean;
  /** No Han character twice in a poem. Default: true for fixed layouts, false for free. */
  noRepeat?: boolean;
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
}

/** One generated poem: `lines` keep their closing marks and `text` is their concatenation. */
export interface Poem {
  start: string;
  form: Form;
  /** the title given or written ('' for an unconditional model) */
  title: string;
  lines: string[];
  text: string;
}

/**
 * Per-vocabulary lookup tables, computed once per Vocab (the tone and rhyme ones on first use).
 * The id lists let a step visit only the candidates of its slot (≈ V/2 at a tone-constrained
 * slot) instead of testing all V ids. Tones and rhymes are the usual ones (writingToneOf,
 * writingRhymeGroupsOf) of the character as it is printed: its standard form (src/data/standard.ts).
 */
interface VocabInfo {
  han: Uint8Array; // [V] 1 for Han characters
  hanIds: Int32Array; // [H] the Han ids, ascending
  hanOrMarkIds: Int32Array; // the Han ids and those of FREE_MARKS, ascending
  tone?: Uint8Array; // [V] 0 平, 1 仄, 2 either
  toneIds?: [Int32Array, Int32Array]; // the Han ids that can be read 平 (tone 0 or 2) / 仄 (1 or 2), ascending
  rhyme?: Int32Array; // [V] bit g set when a 平 reading falls in the book's pingGroups[g] (≤ 30 groups)
  marks: Set<number>; // ids of FREE_MARKS
  variants: Map<number, number[]>; // id → the Han ids printed as the same standard character (疎 疏), where the vocabulary holds several
}
const TONE_CODE: Record<Tone, number> = { 平: 0, 仄: 1, either: 2 };
const infoCache = new WeakMap<Vocab, Map<RhymeBookName, VocabInfo>>();

function vocabInfo(vocab: Vocab, tones: boolean, rhyme: boolean, book: RhymeBookName): VocabInfo {
  const byBook = infoCache.get(vocab) ?? new Map<RhymeBookName, VocabInfo>();
  infoCache.set(vocab, byBook);
  let info = byBook.get(book);
  if (!info) {
    const han = new Uint8Array(vocab.size);
    vocab.symbols.forEach((s, id) => (han[id] = [...s].length === 1 && isHan(s) ? 1 : 0));
    const marks = new Set([...FREE_MARKS].map((m) => vocab.id(m)).filter((id) => id !== undefined));
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

/** prefixFits against one line pattern, memoised per prefix node (memo: 1 fits, 0 not, −1 not yet asked). */
interface LineFits {
  pattern: string;
  memo: Int8Array; // [(3^(C+1) − 1)/2]
}
const lineFitsCache = new Map<string, LineFits>();
function lineFits(pattern: string): LineFits {
  let lf = lineFitsCache.get(pattern);
  if (!lf) lineFitsCache.set(pattern, (lf = { pattern, memo: new Int8Array((3 ** (pattern.length + 1) - 1) / 2).fill(-1) }));
  return lf;
}
function fits(lf: LineFits, node: number): boolean {
  let v = lf.memo[node];
  if (v < 0) lf.memo[node] = v = prefixFits(nodeTones(node), lf.pattern) ? 1 : 0;
  return v === 1;
}

/** What generation must produce, resolved and validated from the options. */
interface Plan {
  form: Form;
  /** Fixed layout, or undefined for free poems. */
  shape?: Shape;
  /** Token ids forced at the first positions after <bos> (the canonical start text). */
  prefix: number[];
  /** Fixed layouts: token id forced at each line's first character (acrostic), or -1. */
  lineStarts: number[];
  patterns?: TonePattern[];
  /** [pattern][line] the prefix test of patterns[pattern].lines[line] */
  lineFits?: LineFits[][];
  rhyme: boolean;
  /** The rhyme book of the tones and rhymes. */
  book: RhymeBookName;
  /** The asked-for rhyme group as a bit of VocabInfo.rhyme, 0 for any. */
  groupBits: number;
  noRepeat: boolean;
  maxChars: number;
}

function vocabId(vocab: Vocab, ch: string): number {
  const id = vocab.id(ch);
  if (id === undefined) throw new UnknownCharacterError([ch]);
  return id;
}

function makePlan(vocab: Vocab, opts: GenerateOptions): Plan {
  const start = opts.start ?? '';
  const unknown = vocab.unknown(start + (opts.acrostic ?? ''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  const acrostic = [...(opts.acrostic ?? '')];
  if (acrostic.some((ch) => !isHan(ch))) throw new PoetryError(`the acrostic must be Han characters only, got '${opts.acrostic}'`);

  let form = opts.form ?? 'free';
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
  const noRepeat = opts.noRepeat ?? shape !== undefined;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const book = opts.rhymeBook ?? 'pingshui';
  const groupBits = opts.rhymeGroup ? 1 << groupIndex(book, opts.rhymeGroup) : 0;
  if (!shape) {
    if ([...start].length > maxChars) throw new PoetryError(`the start text is longer than the ${maxChars}-character limit`);
    return { form, prefix: vocab.encode(start), lineStarts: [], rhyme: false, book, groupBits, noRepeat, maxChars };
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
  for (const mark of ['，', '。']) vocabId(vocab, mark);

  let patterns: TonePattern[] | undefined;
  if (tones) {
    // the forced characters of each line (start text, acrostic) form a prefix of that line
    const forcedLines = Array.from({ length: shape.lines }, (_, i) => {
      const chars = layout.slice(i * (shape!.chars + 1), i * (shape!.chars + 1) + shape!.chars);
      return (chars.length ? chars : acrostic.slice(i, i + 1)).reduce((node, ch) => toneNode(node, TONE_CODE[toneIn(ch, book)]), 0);
    });
    patterns = tonePatterns(form as Exclude<Form, 'free'>).filter((p) => forcedLines.every((node, i) => fits(lineFits(p.lines[i]), node)));
    if (!patterns.length) throw new PoetryError(`the start text and acrostic fit no 平仄 pattern of a ${form}; write without tones`);
  }
  const fitsOf = patterns?.map((p) => p.lines.map(lineFits));
  return { form, shape, prefix: vocab.encode(layout.join('')), lineStarts, patterns, lineFits: fitsOf, rhyme, book, groupBits, noRepeat, maxChars };
}

/** The index of a 平 group in the book's list, by name (东) or label (上平一东); a PoetryError naming the choices otherwise. */
function groupIndex(book: RhymeBookName, group: string): number {
  const b = rhymeBook(book);
  const i = b.pingGroups.findIndex((g) => g === group || b.labelOf(g) === group);
  if (i < 0) throw new PoetryError(`unknown 平 rhyme group '${group}' of the ${book === 'pingshui' ? '平水韵' : '中华新韵'}; choose one of ${b.pingGroups.join(' ')}`);
  return i;
}

/** One partial poem and the constraint state that goes with it. */
interface Hypothesis {
  tokens: number[]; // ids after <bos>
  logp: number;
  used: number[]; // Han ids in the poem (and acrostic characters still to come), ascending, each once
  patterns: number; // bit i set while plan.patterns[i] is still possible (0: tones off, or none left)
  lineTones: number; // the tones of the current line so far, as a toneNode
  rhymeBits: number; // rhyme groups of the first rhyming line, 0 until known
  done: boolean;
}

function copyHypothesis(h: Hypothesis): Hypothesis {
  return { ...h, tokens: [...h.tokens], used: [...h.used] };
}

/** The next slot of a fixed layout: a forced token, or a character at (line, col). */
type Slot = { forced: number } | { line: number; col: number };

function fixedSlot(plan: Plan, vocab: Vocab, pos: number): Slot {
  const { chars, lines } = plan.shape!;
  if (pos < plan.prefix.length) return { forced: plan.prefix[pos] };
  if (pos === lines * (chars + 1)) return { forced: EOS };
  const line = Math.floor(pos / (chars + 1));
  const col = pos % (chars + 1);
  if (col === chars) return { forced: vocab.id(lineEnd(line, lines))! };
  if (col === 0 && plan.lineStarts[line] >= 0) return { forced: plan.lineStarts[line] };
  return { line, col };
}

/**
 * Scratch of one thread's decoding (never shared across threads; reused by every poem of a batch).
 * Shapes: [V] each.
 */
interface Scratch {
  ids: Int32Array; // the allowed ids of one hypothesis, ascending
  order: Int32Array; // a permutation of some of them (top-k / top-p selection)
  saved: Float32Array; // logits of the used ids while penalised (penalise)
  weights: Float64Array; // sampling weights, in `kept` order
}
const scratchCache = new WeakMap<Vocab, Scratch>();
function scratchFor(vocab: Vocab): Scratch {
  let s = scratchCache.get(vocab);
  if (!s) {
    const V = vocab.size;
    s = { ids: new Int32Array(V), order: new Int32Array(V), saved: new Float32Array(V), weights: new Float64Array(V) };
    scratchCache.set(vocab, s);
  }
  return s;
}

const NONE: readonly number[] = [];
const EMPTY = new Int32Array(0);

/**
 * Writes the ids of `list` (ascending) that are not in `skip` (ascending: a poem's used ids, a
 * title's) to out[at:], ascending; returns the new end. One block copy of the whole list, then a
 * binary search finds each skipped id and the run after it moves down over it (memmove, no
 * allocation): a few thousand ids cost far less than copying them one by one.
 */
function copyExcept(list: Int32Array, skip: readonly number[], out: Int32Array, at: number): number {
  out.set(list, at);
  // list[from:] is not yet in its place: it still lies at out[at + from:], `removed` places up
  let from = 0;
  let removed = 0;
  for (let k = 0; k < skip.length; k++) {
    let lo = from, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid] < skip[k]) lo = mid + 1;
      else hi = mid;
    }
    if (lo === list.length) break;
    if (list[lo] !== skip[k]) continue;
    if (removed) out.copyWithin(at + from - removed, at + from, at + lo);
    removed++;
    from = lo + 1;
  }
  if (removed) out.copyWithin(at + from - removed, at + from, at + list.length);
  return at + list.length - removed;
}

/**
 * The ids allowed at the next position of `h`, written ascending into `out`; returns their count.
 * The constraints are relaxed in priority order when nothing satisfies them all (only possible
 * with tiny vocabularies). Each try copies a precomputed id list (VocabInfo) less the used ids;
 * only a rhyming slot then tests each id.
 */
function allowedIds(plan: Plan, info: VocabInfo, h: Hypothesis, slot: Slot | undefined, out: Int32Array): number {
  if (!slot) {
    // free poem: a mark only after a Han character, <eos> (id 3, below every Han id) only after a mark
    const last = h.tokens.at(-1) ?? BOS;
    for (let skip = plan.noRepeat ? h.used : NONE; ; skip = NONE) {
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
  if ('forced' in slot) {
    out[0] = slot.forced;
    return 1;
  }
  const { line, col } = slot;
  const { chars } = plan.shape!;
  // the Han ids whose tone keeps some pattern possible (undefined: tones off or no pattern left)
  let toneList: Int32Array | undefined;
  if (h.patterns) {
    const ifPing = toneNode(h.lineTones, TONE_CODE.平);
    const ifZe = toneNode(h.lineTones, TONE_CODE.仄);
    let ping = false, ze = false;
    for (let i = 0; i < plan.lineFits!.length; i++) {
      if (!(h.patterns & (1 << i))) continue;
      const lf = plan.lineFits![i][line];
      ping ||= fits(lf, ifPing);
      ze ||= fits(lf, ifZe);
    }
    toneList = ping && ze ? info.hanIds : ping ? info.toneIds![0] : ze ? info.toneIds![1] : EMPTY;
  }
  // an even line's last character rhymes in the groups set so far, or (the first) in any 平 group,
  // and is no character of the poem so far (a rhyme never twice), even with repeats allowed
  const rhymeBits = plan.rhyme && col === chars - 1 && line % 2 === 1 ? h.rhymeBits || ~0 : 0;
  // with a rhyme group asked for, a first line that ends in a 平 reading rhymes in it as well
  const firstBits = plan.groupBits && col === chars - 1 && line === 0 ? plan.groupBits : 0;
  const checkUsed = plan.noRepeat || rhymeBits !== 0;
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

/** Inserts `id` into the ascending `ids` unless it is there. */
function addSorted(ids: number[], id: number): void {
  let i = ids.length;
  while (i > 0 && ids[i - 1] > id) i--;
  if (i > 0 && ids[i - 1] === id) return;
  ids.splice(i, 0, id);
}

/** Appends token `id` to `next` in place, updating the constraint state. */
function extend(plan: Plan, info: VocabInfo, next: Hypothesis, id: number, logp: number): void {
  next.tokens.push(id);
  next.logp += logp;
  if (id === EOS) next.done = true;
  if (!info.han[id]) {
    if (plan.shape) next.lineTones = 0;
    return;
  }
  for (const same of info.variants.get(id) ?? [id]) addSorted(next.used, same); // 疏 after 疎 repeats it once printed
  if (!plan.shape) return;
  const pos = next.tokens.length - 1;
  const line = Math.floor(pos / (plan.shape.chars + 1));
  const col = pos % (plan.shape.chars + 1);
  if (next.patterns) {
    next.lineTones = toneNode(next.lineTones, info.tone![id]);
    for (let i = 0; i < plan.lineFits!.length; i++) {
      if (next.patterns & (1 << i) && !fits(plan.lineFits![i][line], next.lineTones)) next.patterns &= ~(1 << i);
    }
  }
  if (plan.rhyme && col === plan.shape.chars - 1) {
    // the first rhyming line sets the groups (line 1 too when its last character has a 平 reading,
    // even a polyphonic one: a reader hears it rhyme); each later rhyme narrows them
    if (!next.rhymeBits && (line === 1 || (line === 0 && info.rhyme![id] !== 0))) next.rhymeBits = info.rhyme![id];
    else if (line % 2 === 1 && next.rhymeBits & info.rhyme![id]) next.rhymeBits &= info.rhyme![id];
  }
}

/**
 * The repetition penalty on a hypothesis's logits row [V], in place: the used ids' logits are
 * divided (positive) or multiplied (negative) by `penalty`, their old values kept in saved[0:U]
 * for `unpenalise`. The row is the model's, lent until its next step: changing U entries and
 * putting them back is cheaper than copying V.
 */
function penalise(row: Float32Array, used: readonly number[], penalty: number, saved: Float32Array): void {
  if (penalty === 1) return;
  for (let k = 0; k < used.length; k++) {
    const x = (saved[k] = row[used[k]]);
    row[used[k]] = x > 0 ? x / penalty : x * penalty;
  }
}

function unpenalise(row: Float32Array, used: readonly number[], penalty: number, saved: Float32Array): void {
  if (penalty === 1) return;
  for (let k = 0; k < used.length; k++) row[used[k]] = saved[k];
}

/** log Σ exp over all V (for log-probabilities under the model's full distribution). */
function logSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  return max + Math.log(sum);
}

/** 2^−n for n = 0 … 1099 (expNeg's scale). */
const POW2_NEG = Float64Array.from({ length: 1100 }, (_, n) => 2 ** -n);

/**
 * e^x for x ≤ 0, relative error < 1e-8: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor
 * polynomial of degree 7 (error ≤ r^8/8! ≈ 5e-9), times 2^n from a table. About five times
 * cheaper than Math.exp in V8, and the sampler needs one per allowed character (naive: Math.exp).
 * n is Math.round(x·log2 e), written floor(y + 0.5): for −1075 ≤ y ≤ 0 the sum is exact (or, for
 * y > −0.5, rounds within [0, 0.5]), so n is the same integer, but V8 compiles Math.round to a
 * branch that the random y mispredict half the time (~6 ns a call) and floor to one instruction.
 * `0 - n` keeps the index +0 (a −0 index takes a slow path).
 */
function expNeg(x: number): number {
  if (!(x > -745)) return 0;
  const n = Math.floor(x * 1.4426950408889634 + 0.5);
  const r = x - n * 0.6931471805599453;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return p * POW2_NEG[0 - n];
}

/** a ranks before b: higher score, then lower id (a strict total order on distinct ids). */
function before(scores: Float32Array, a: number, b: number): boolean {
  return scores[a] > scores[b] || (scores[a] === scores[b] && a < b);
}

/**
 * The n best of ids[0:count] by score, best first (ties: lower id first), written to out[0:n]
 * (out may be ids itself); returns how many (min(n, count)). With a list much longer than n, the
 * n-th best score t of a sample (its first 8n ids) bounds the answer: n ids score ≥ t, so none
 * scoring below t can be among the n best, and one pass keeps only the others (typically a few
 * times n). Quickselect then moves the n best of those to the front and only they are sorted:
 * O(count + n log n) expected.
 */
export function topIds(scores: Float32Array, ids: Int32Array, count: number, n: number, out: Int32Array): number {
  n = Math.min(n, count);
  if (n === 1) {
    let best = ids[0];
    for (let i = 1; i < count; i++) if (before(scores, ids[i], best)) best = ids[i];
    out[0] = best;
    return 1;
  }
  let m = 0;
  const sample = 8 * n;
  if (count >= 4 * sample) {
    // (when out is ids, the sample is permuted in place: the same ids, so the same survivors)
    for (let i = 0; i < sample; i++) out[i] = ids[i];
    selectBest(scores, out, sample, n);
    let t = Infinity;
    for (let i = 0; i < n; i++) if (scores[out[i]] < t) t = scores[out[i]];
    for (let i = 0; i < count; i++) if (scores[ids[i]] >= t) out[m++] = ids[i];
  }
  if (m < n) {
    // a short list, or a threshold lost to a NaN score: all of it
    if (out !== ids) out.set(ids.subarray(0, count));
    m = count;
  }
  selectBest(scores, out, m, n);
  if (n <= 64) {
    // insertion sort: for a few ids cheaper than a sort calling a comparator
    for (let i = 1; i < n; i++) {
      const x = out[i];
      let j = i;
      for (; j > 0 && before(scores, x, out[j - 1]); j--) out[j] = out[j - 1];
      out[j] = x;
    }
  } else {
    out.set(Array.from(out.subarray(0, n)).sort((a, b) => (before(scores, a, b) ? -1 : 1)));
  }
  return n;
}

/** Reorders a[0:count] so that a[0:n] are its n best (in no order): quickselect, median-of-three pivots. */
function selectBest(scores: Float32Array, a: Int32Array, count: number, n: number): void {
  let lo = 0, hi = count - 1;
  while (n < count && lo < hi) {
    // partition a[lo..hi] around a pivot; stop once the first n are exactly the n best
    const mid = (lo + hi) >> 1;
    const x = a[lo], y = a[mid], z = a[hi];
    const pivot = before(scores, x, y) ? (before(scores, y, z) ? y : before(scores, x, z) ? z : x) : before(scores, x, z) ? x : before(scores, y, z) ? z : y;
    let i = lo, j = hi;
    while (i <= j) {
      while (before(scores, a[i], pivot)) i++;
      while (before(scores, pivot, a[j])) j--;
      if (i <= j) {
        const t = a[i]; a[i] = a[j]; a[j] = t;
        i++; j--;
      }
    }
    if (n - 1 <= j) hi = j;
    else if (n - 1 >= i) lo = i;
    else break;
  }
}

/** Max-heap of ids by `before` over heap[0:n]: sift the entry at i down. */
function siftDown(scores: Float32Array, heap: Int32Array, n: number, i: number): void {
  const x = heap[i];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && before(scores, heap[c + 1], heap[c])) c++;
    if (!before(scores, heap[c], x)) break;
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = x;
}

/**
 * A poem's sampling settings, resolved from its options once: `choose` reads them at every step,
 * and one shape for every poem keeps its property loads monomorphic (options objects come in many
 * shapes, and V8 deoptimised `choose` at each new one).
 */
interface Sampling {
  temperature: number; // 0: greedy
  topK: number; // 0: no top-k
  topP: number; // 1: no top-p
}

/**
 * Picks one of ids[0:count] by temperature / top-k / top-p sampling, or the best when greedy.
 * O(count) for plain sampling, O(count + k log k) with top-k, O(count + m log count) with top-p
 * alone (m: the size of the nucleus, taken best first from a heap; it overwrites ids[0:m]).
 * Plain sampling goes to the model's kernels when it has a `sampler` (ids must then be its
 * sampler.ids): SIMD exponentials in f32 (Kernels.sampleList), several times faster than this
 * loop of f64 ones; a model without one (a mock, f64 kernels) samples here.
 */
function choose(scores: Float32Array, ids: Int32Array, count: number, sampling: Sampling, rng: RandomSource, sc: Scratch, sampler?: ListSampler): number {
  const { temperature, topK, topP } = sampling;
  if (temperature === 0 || count === 1) {
    let best = ids[0];
    for (let i = 1; i < count; i++) if (scores[ids[i]] > scores[best]) best = ids[i];
    return best;
  }
  if (sampler && !topK && topP >= 1) return ids[sampler.sample(scores, count, 1 / temperature, rng.next())];
  const w = sc.weights;
  let max = -Infinity;
  for (let i = 0; i < count; i++) if (scores[ids[i]] > max) max = scores[ids[i]];
  const invT = 1 / temperature;
  if (topP < 1 && !topK) {
    // the nucleus, best first: pop from a heap of all until its weight reaches topP of the total
    let total = 0;
    for (let i = 0; i < count; i++) total += expNeg((scores[ids[i]] - max) * invT);
    const heap = sc.order;
    for (let i = 0; i < count; i++) heap[i] = ids[i];
    for (let i = (count >> 1) - 1; i >= 0; i--) siftDown(scores, heap, count, i);
    let n = 0, cum = 0, size = count;
    const kept = ids; // free once copied into the heap
    while (size > 0 && cum < topP * total) {
      const id = heap[0];
      heap[0] = heap[--size];
      siftDown(scores, heap, size, 0);
      kept[n] = id;
      w[n] = expNeg((scores[id] - max) * invT);
      cum += w[n++];
    }
    let r = rng.next() * cum;
    for (let i = 0; i < n; i++) {
      r -= w[i];
      if (r < 0) return kept[i];
    }
    return kept[n - 1];
  }
  // top-k: its k best in order; plain sampling: all, ascending ids
  let kept = ids;
  let n = count;
  if (topK) {
    n = topIds(scores, ids, count, topK, sc.order);
    kept = sc.order;
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += (w[i] = expNeg((scores[kept[i]] - max) * invT));
  if (topP < 1) {
    let cum = 0, m = 0;
    for (; m < n && cum < topP * total; m++) cum += w[m];
    n = m;
    total = cum;
  }
  let r = rng.next() * total;
  for (let i = 0; i < n; i++) {
    r -= w[i];
    if (r < 0) return kept[i];
  }
  return kept[n - 1];
}

/** What a poem feeds the model at the next step: for each of its rows, the row of the last step it continues (-1: a fresh state) and the token. */
interface Feed {
  src: number[];
  tokens: number[];
}

/**
 * One poem being written: the plan, its hypotheses (one when sampling, up to `beam`), its own
 * random stream, and where it is (opening: <bos>, the title prefix; then the body). It never calls
 * the model: `advance` reads its rows of the batch's logits and says what to feed next, so any
 * number of poems share one model step (DecodeBatch).
 */
export class PoemDecoder {
  private readonly plan: Plan;
  private readonly info: VocabInfo;
  private readonly vocab: Vocab;
  private readonly penalty: number;
  private readonly sampling: Sampling;
  /** the model's sampling kernel (choose), if it has one */
  private readonly sampler?: ListSampler;
  private readonly width: number;
  private readonly capacity: number; // positions after <bos>
  private beams: Hypothesis[];
  private readonly finished: Hypothesis[] = [];
  private phase: 'start' | 'prefix' | 'title' | 'body' | 'done' = 'start';
  /** tokens still to feed before the body (the title prefix, given) */
  private readonly queue: number[] = [];
  private readonly titleIds: number[] = [];
  private title = '';
  private pos = 0;
  private poem?: Poem;
  private readonly sep: number;
  /** the model writes the title (Han characters until <sep>) */
  private readonly writesTitle: boolean = false;
  /** the title's ids so far, ascending (never chosen twice) */
  private readonly titleSorted: number[] = [];

  /** Validates `opts` against the model's vocabulary (throws PoetryError / UnknownCharacterError). */
  constructor(model: LanguageModel, private readonly opts: GenerateOptions, private readonly rng: RandomSource) {
    const { vocab } = model;
    this.vocab = vocab;
    this.sampler = model.sampler;
    const plan = (this.plan = makePlan(vocab, opts));
    const info = (this.info = vocabInfo(vocab, !!plan.patterns, plan.rhyme, plan.book));
    if (plan.groupBits && plan.shape) {
      // every even line needs its own rhyme character (never twice)
      let rhymable = 0;
      for (let id = 0; id < vocab.size; id++) if (info.han[id] && info.rhyme![id] & plan.groupBits) rhymable++;
      if (rhymable < plan.shape.lines / 2 + 1) throw new PoetryError(`the model knows only ${rhymable} characters that rhyme in ${opts.rhymeGroup}: too few for a ${plan.form}`);
    }
    this.penalty = opts.repetitionPenalty ?? 1;
    this.sampling = { temperature: opts.greedy ? 0 : opts.temperature ?? DEFAULT_TEMPERATURE, topK: opts.topK ?? 0, topP: opts.topP ?? 1 };
    this.width = opts.beam && opts.beam > 1 ? opts.beam : 1;
    this.capacity = plan.shape ? plan.shape.lines * (plan.shape.chars + 1) + 1 : plan.maxChars;
    this.beams = [
      { tokens: [], logp: 0, used: [...new Set(plan.lineStarts.filter((id) => id >= 0))].sort((a, b) => a - b), patterns: plan.patterns ? (1 << plan.patterns.length) - 1 : 0, lineTones: 0, rhymeBits: plan.groupBits, done: false },
    ];
    this.sep = vocab.id(SEP) ?? -1;
    if (conditionOf(vocab) !== 'title') {
      if (opts.title) throw new PoetryError('this model was not trained on titles (train one with condition "title"), so it cannot write on a title');
    } else if (opts.title !== undefined) {
      this.title = [...opts.title].slice(0, MAX_TITLE_CHARS).join('');
      this.queue.push(...conditionPrefix(vocab, plan.form, this.title));
    } else {
      this.queue.push(vocab.id(formSymbol(plan.form))!);
      this.writesTitle = info.hanIds.length > 0;
    }
  }

  /** Rows this poem has in the next step's logits (0 once done). */
  get rows(): number {
    return this.phase === 'done' ? 0 : this.phase === 'body' ? this.beams.length : 1;
  }

  /**
   * Whether the next `advance` reads this poem's rows of the logits: not when its next token is
   * forced (the given title prefix; a mark, <eos>, a start or acrostic character when sampling —
   * beams still rank by every token's log-probability), so the model may skip computing them.
   */
  get readsLogits(): boolean {
    if (this.phase === 'prefix') return false;
    if (this.phase !== 'body' || this.width > 1) return true;
    const slot = this.slotAt(this.pos);
    return !(slot && 'forced' in slot);
  }

  /** The slot of body position `pos`: a fixed layout's, a forced start character of a free poem, or none. */
  private slotAt(pos: number): Slot | undefined {
    const { plan } = this;
    return plan.shape ? fixedSlot(plan, this.vocab, pos) : pos < plan.prefix.length ? { forced: plan.prefix[pos] } : undefined;
  }

  /** The poem, once `advance` has returned null. */
  result(): Poem {
    if (!this.poem) throw new Error('the poem is not finished');
    return this.poem;
  }

  /**
   * Reads this poem's rows logits[base·V, (base + rows)·V) of the last step (none at the start)
   * and returns what to feed next, or null when the poem is finished (then `result()`). A
   * repetition penalty changes a few entries of those rows and puts them back before it returns.
   */
  advance(logits: Float32Array | null, base: number): Feed | null {
    const V = this.vocab.size;
    if (this.phase === 'start') {
      this.phase = this.queue.length ? 'prefix' : this.writesTitle ? 'title' : 'body';
      return { src: [-1], tokens: [BOS] };
    }
    if (this.phase === 'done') return null;
    const row = logits!.subarray(base * V, (base + this.rows) * V);
    if (this.phase === 'prefix') {
      const id = this.queue.shift()!;
      if (!this.queue.length) this.phase = this.writesTitle ? 'title' : 'body';
      return { src: [0], tokens: [id] };
    }
    if (this.phase === 'title') {
      const title = this.titleIds;
      let id = this.sep;
      if (title.length < MAX_TITLE_CHARS) {
        // at least two characters, each once: a title, not a stutter
        const sc = scratchFor(this.vocab);
        const ids = this.sampler?.ids ?? sc.ids;
        let n = 0;
        if (title.length >= 2) ids[n++] = this.sep;
        n = copyExcept(this.info.hanIds, this.titleSorted, ids, n);
        // <sep> first, then the Han ids ascending
        id = choose(row, ids, n, this.sampling, this.rng, sc, this.sampler);
      }
      if (id === this.sep) {
        this.title = this.vocab.decode(title);
        this.phase = 'body';
      } else {
        title.push(id);
        addSorted(this.titleSorted, id);
      }
      return { src: [0], tokens: [id] };
    }
    return this.bodyStep(row);
  }

  /** One position of the body: decide every hypothesis's next token from its logits rows [rows,V]. */
  private bodyStep(logits: Float32Array): Feed | null {
    const { plan, info, vocab, width, penalty } = this;
    const V = vocab.size;
    const pos = this.pos++;
    const sc = scratchFor(vocab);
    const slot = this.slotAt(pos);
    const atCap = pos === this.capacity - 1;
    const beams = this.beams;
    if (width === 1) {
      // sampling: the one hypothesis grows in place; its log-probability would only rank beams
      const h = beams[0];
      const ids = this.sampler?.ids ?? sc.ids;
      const n = allowedIds(plan, info, h, slot, ids);
      penalise(logits, h.used, penalty, sc.saved);
      const id = choose(logits, ids, n, this.sampling, this.rng, sc, this.sampler);
      unpenalise(logits, h.used, penalty, sc.saved);
      extend(plan, info, h, id, 0);
      if (h.done || atCap) {
        this.finished.push(h);
        return this.finish();
      }
      return { src: [0], tokens: [id] };
    }
    const candidates: { row: number; id: number; logp: number; score: number }[] = [];
    for (let row = 0; row < beams.length; row++) {
      const h = beams[row];
      const scores = logits.subarray(row * V, (row + 1) * V);
      const n = allowedIds(plan, info, h, slot, sc.ids);
      penalise(scores, h.used, penalty, sc.saved);
      // only a hypothesis's `width` best extensions can be among the `width` best overall
      const lse = logSumExp(scores);
      const m = topIds(scores, sc.ids, n, width, sc.order);
      for (let i = 0; i < m; i++) {
        const id = sc.order[i];
        candidates.push({ row, id, logp: scores[id] - lse, score: h.logp + scores[id] - lse });
      }
      unpenalise(scores, h.used, penalty, sc.saved);
    }
    const chosen = candidates.sort((a, b) => b.score - a.score || a.row - b.row || a.id - b.id).slice(0, width);
    const next = chosen.map((c) => {
      const h = copyHypothesis(beams[c.row]);
      extend(plan, info, h, c.id, c.logp);
      return { c, h };
    });
    for (const { h } of next) if (h.done || atCap) this.finished.push(h);
    const live = next.filter(({ h }) => !h.done && !atCap);
    // free beams: stop once as many poems have ended as there are beams
    if (!live.length || this.finished.length >= width) return this.finish();
    this.beams = live.map(({ h }) => h);
    return { src: live.map(({ c }) => c.row), tokens: live.map(({ c }) => c.id) };
  }

  private finish(): null {
    const { plan } = this;
    const score = (h: Hypothesis) => (plan.shape ? h.logp : h.logp / h.tokens.length);
    const best = this.finished.reduce((a, b) => (score(b) > score(a) ? b : a));
    const text = this.vocab.decode(best.tokens);
    this.poem = standardPoem({ start: this.opts.start ?? '', form: plan.form, title: this.title, lines: poemLines(text), text }); // printed in standard characters, whatever the vocabulary
    this.phase = 'done';
    this.beams = [];
    return null;
  }
}

/** A poem in a batch, with what to call when it ends. */
interface Entry {
  decoder: PoemDecoder;
  /** its first row in the current logits (-1: none yet) */
  base: number;
  done: (poem: Poem) => void;
  failed: (err: unknown) => void;
}

/**
 * Poems decoded together: each `step` feeds one token per row of every poem in ONE model step
 * (rows: a poem's hypotheses), then each poem reads its own rows of the logits. Poems join between
 * steps (`add`: continuous batching) and leave when they end; a poem's text does not depend on the
 * others in the batch (its own random stream; the model's `step` is row-invariant: Model.step).
 *
 * Shapes: R rows in the batch (Σ of the poems' rows), V vocabulary size.
 */
export class DecodeBatch {
  private entries: Entry[] = [];
  private state: RecurrentState | null = null;
  private logits: Float32Array | null = null; // [R,V] of the last step

  constructor(private readonly model: LanguageModel) {}

  /** Poems in the batch. */
  get size(): number {
    return this.entries.length;
  }

  /** Rows the next step would have at most (a poem in its body: its hypotheses, else 1). */
  get rows(): number {
    let r = 0;
    for (const e of this.entries) r += Math.max(1, e.decoder.rows);
    return r;
  }

  /** Adds a poem; it starts at the next step. `done` gets it when finished, `failed` its error. */
  add(decoder: PoemDecoder, done: (poem: Poem) => void, failed: (err: unknown) => void = (err) => { throw err; }): void {
    this.entries.push({ decoder, base: -1, done, failed });
  }

  /** Drops the poems for which `drop` is true (a cancelled request): they are never called back. */
  remove(drop: (decoder: PoemDecoder) => boolean): void {
    this.entries = this.entries.filter((e) => !drop(e.decoder));
  }

  /** One token for every row of every poem: one model step (none when every poem ended). */
  step(): void {
    const src: number[] = [];
    const tokens: number[] = [];
    const need: number[] = []; // per row: will its logits be read (DecodeBatch skips the rest)
    const kept: Entry[] = [];
    const ended: { e: Entry; poem?: Poem; err?: unknown }[] = [];
    for (const e of this.entries) {
      let feed: Feed | null;
      try {
        feed = e.decoder.advance(this.logits, e.base);
      } catch (err) {
        ended.push({ e, err });
        continue;
      }
      if (!feed) {
        ended.push({ e, poem: e.decoder.result() });
        continue;
      }
      const base = e.base;
      e.base = src.length;
      const reads = +e.decoder.readsLogits;
      for (let i = 0; i < feed.src.length; i++) {
        src.push(feed.src[i] < 0 ? -1 : base + feed.src[i]);
        tokens.push(feed.tokens[i]);
        need.push(reads);
      }
      kept.push(e);
    }
    this.entries = kept;
    if (src.length) {
      this.state = this.model.selectState(this.state ?? this.model.initState(0), Int32Array.from(src));
      this.logits = this.model.step(this.state, Int32Array.from(tokens), need.includes(0) ? Uint8Array.from(need) : undefined);
    } else {
      this.state = null;
      this.logits = null;
    }
    // callbacks last: they may add poems, which start at the next step
    for (const { e, poem, err } of ended) {
      if (poem) e.done(poem);
      else e.failed(err);
    }
  }
}

/** Rows of one batch in `generateBatch` (beam hypotheses count one row each). */
export const MAX_BATCH_ROWS = 256;

/**
 * Writes many poems at once: poems advance together, one model step for all of them per
 * character (at most `maxRows` rows at a time; the rest join as others end). Poem i uses
 * requests[i].rng alone, so its text is what `generate` writes for it alone. `checkpoint` is
 * called before every step (the server's workers throw from it to stop a cancelled request).
 */
export function generateBatch(
  model: LanguageModel,
  requests: readonly { opts: GenerateOptions; rng: RandomSource }[],
  { maxRows = MAX_BATCH_ROWS, checkpoint }: { maxRows?: number; checkpoint?: () => void } = {},
): Poem[] {
  // validate every request before decoding any
  const decoders = requests.map((r) => new PoemDecoder(model, r.opts, r.rng));
  const poems: Poem[] = new Array(requests.length);
  const batch = new DecodeBatch(model);
  let next = 0;
  let left = decoders.length;
  const rowsOf = (i: number) => Math.max(1, requests[i].opts.beam ?? 1);
  const fill = () => {
    let rows = batch.rows;
    while (next < decoders.length && (batch.size === 0 || rows + rowsOf(next) <= maxRows)) {
      const i = next++;
      rows += rowsOf(i);
      batch.add(decoders[i], (poem) => { poems[i] = poem; left--; });
    }
  };
  fill();
  while (left > 0) {
    checkpoint?.();
    batch.step();
    fill();
  }
  return poems;
}

/** Writes one poem. `rng` drives sampling (unused by greedy and beam search). */
export function generate(model: LanguageModel, opts: GenerateOptions, rng: RandomSource): Poem {
  return generateBatch(model, [{ opts, rng }])[0];
}

/**
 * The seed of poem `index` of a call seeded with `seed`: every poem of a call draws from its own
 * stream (murmur3's 32-bit finaliser over the pair), so a poem does not depend on the others.
 */
export function poemSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
