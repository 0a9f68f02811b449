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
 * Shapes: V vocabulary size, S parallel hypotheses (beam width, 1 when sampling).
 */
import { BOS, EOS, UnknownCharacterError, type Vocab } from '../data/vocab.ts';
import { MAX_TITLE_CHARS, SEP, conditionOf, conditionPrefix, formSymbol } from '../data/sequence.ts';
import type { LanguageModel, RecurrentState } from '../nn/lm.ts';
import { FORM_SHAPE, PoetryError, isHan, isRegulated, lineEnd, poemLines, type Form, type Shape } from './forms.ts';
import { prefixFits, tonePatterns, toneIn, writingRhymeGroupsOf, type Tone, type TonePattern } from './prosody.ts';
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

/** Per-vocabulary lookup tables, computed once per Vocab (the tone and rhyme ones on first use). */
interface VocabInfo {
  han: Uint8Array; // [V] 1 for Han characters
  tone?: Uint8Array; // [V] 0 平, 1 仄, 2 either
  rhyme?: Int32Array; // [V] bit g set when a 平 reading falls in the book's pingGroups[g] (≤ 30 groups)
  marks: Set<number>; // ids of FREE_MARKS
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
    info = { han, marks };
    byBook.set(book, info);
  }
  if (tones && !info.tone) info.tone = Uint8Array.from(vocab.symbols, (s, id) => (info!.han[id] ? TONE_CODE[toneIn(s, book)] : 2));
  if (rhyme && !info.rhyme) {
    const groups = rhymeBook(book).pingGroups;
    info.rhyme = Int32Array.from(vocab.symbols, (s, id) =>
      info!.han[id] ? writingRhymeGroupsOf(s, book).reduce((bits, g) => bits | (1 << groups.indexOf(g)), 0) : 0,
    );
  }
  return info;
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
      return (chars.length ? chars : acrostic.slice(i, i + 1)).map((ch) => toneIn(ch, book));
    });
    patterns = tonePatterns(form as Exclude<Form, 'free'>).filter((p) => forcedLines.every((tones, i) => prefixFits(tones, p.lines[i])));
    if (!patterns.length) throw new PoetryError(`the start text and acrostic fit no 平仄 pattern of a ${form}; write without tones`);
  }
  return { form, shape, prefix: vocab.encode(layout.join('')), lineStarts, patterns, rhyme, book, groupBits, noRepeat, maxChars };
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
  used: Set<number>; // Han ids in the poem (and acrostic characters still to come)
  patterns?: TonePattern[]; // 平仄 patterns still possible
  lineTones: Tone[]; // tones of the current line so far
  rhymeBits: number; // rhyme groups of the first rhyming line, 0 until known
  done: boolean;
}

function copyHypothesis(h: Hypothesis): Hypothesis {
  return { ...h, tokens: [...h.tokens], used: new Set(h.used), lineTones: [...h.lineTones] };
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
 * The ids allowed at the next position of `h`, with the constraints relaxed in priority order when
 * nothing satisfies them all (only possible with tiny vocabularies).
 */
function allowedIds(plan: Plan, info: VocabInfo, h: Hypothesis, slot: Slot | undefined): number[] {
  const V = info.han.length;
  if (!slot) {
    // free poem: a mark only after a Han character, <eos> only after a mark
    const last = h.tokens.at(-1) ?? BOS;
    const afterHan = info.han[last] === 1;
    const ids: number[] = [];
    for (let id = 0; id < V; id++) {
      if (info.han[id] ? !(plan.noRepeat && h.used.has(id)) : afterHan ? info.marks.has(id) : id === EOS && info.marks.has(last)) ids.push(id);
    }
    return ids.length || !plan.noRepeat ? ids : allowedIds({ ...plan, noRepeat: false }, info, h, slot);
  }
  if ('forced' in slot) return [slot.forced];
  const { line, col } = slot;
  const { chars } = plan.shape!;
  let toneOk: boolean[] | undefined;
  if (h.patterns?.length) {
    const fits = (t: Tone) => h.patterns!.some((p) => prefixFits([...h.lineTones, t], p.lines[line]));
    const ping = fits('平');
    const ze = fits('仄');
    toneOk = [ping, ze, ping || ze];
  }
  // an even line's last character rhymes in the groups set so far, or (the first) in any 平 group,
  // and is no character of the poem so far (a rhyme never twice), even with repeats allowed
  const rhymeBits = plan.rhyme && col === chars - 1 && line % 2 === 1 ? h.rhymeBits || ~0 : 0;
  // with a rhyme group asked for, a first line that ends in a 平 reading rhymes in it as well
  const firstBits = plan.groupBits && col === chars - 1 && line === 0 ? plan.groupBits : 0;
  for (const relax of [0, 1, 2, 3]) {
    const ids: number[] = [];
    for (let id = 0; id < V; id++) {
      if (!info.han[id]) continue;
      if (relax < 1 && (plan.noRepeat || rhymeBits) && h.used.has(id)) continue;
      if (relax < 2 && rhymeBits && !(info.rhyme![id] & rhymeBits)) continue;
      if (relax < 2 && firstBits && info.rhyme![id] && !(info.rhyme![id] & firstBits)) continue;
      if (relax < 3 && toneOk && !toneOk[info.tone![id]]) continue;
      ids.push(id);
    }
    if (ids.length) return ids;
  }
  throw new PoetryError('the model has no Han characters in its vocabulary');
}

/** Appends token `id` to `h` (a copy), updating the constraint state. */
function extend(plan: Plan, info: VocabInfo, vocab: Vocab, h: Hypothesis, id: number, logp: number): Hypothesis {
  const next = copyHypothesis(h);
  next.tokens.push(id);
  next.logp += logp;
  if (id === EOS) next.done = true;
  if (!info.han[id]) {
    if (plan.shape) next.lineTones = [];
    return next;
  }
  next.used.add(id);
  if (!plan.shape) return next;
  const pos = next.tokens.length - 1;
  const line = Math.floor(pos / (plan.shape.chars + 1));
  const col = pos % (plan.shape.chars + 1);
  const ch = vocab.symbols[id];
  if (next.patterns) {
    next.lineTones.push(toneIn(ch, plan.book));
    next.patterns = next.patterns.filter((p) => prefixFits(next.lineTones, p.lines[line]));
  }
  if (plan.rhyme && col === plan.shape.chars - 1) {
    // the first rhyming line sets the groups (line 1 too when its last character has a 平 reading,
    // even a polyphonic one: a reader hears it rhyme); each later rhyme narrows them
    if (!next.rhymeBits && (line === 1 || (line === 0 && info.rhyme![id] !== 0))) next.rhymeBits = info.rhyme![id];
    else if (line % 2 === 1 && next.rhymeBits & info.rhyme![id]) next.rhymeBits &= info.rhyme![id];
  }
  return next;
}

/** logits [V] → penalised copy (repetition penalty on used characters). */
function penalised(logits: Float32Array, used: Set<number>, penalty: number): Float32Array {
  const out = Float32Array.from(logits);
  if (penalty !== 1) for (const id of used) out[id] = out[id] > 0 ? out[id] / penalty : out[id] * penalty;
  return out;
}

/** log Σ exp over all V (for log-probabilities under the model's full distribution). */
function logSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  return max + Math.log(sum);
}

/** The n best of `ids` by score, best first (ties: lower id first); a partial selection, O(|ids|·n). */
function topIds(scores: Float32Array, ids: readonly number[], n: number): number[] {
  const top: number[] = [];
  for (const id of ids) {
    if (top.length === n && scores[id] <= scores[top[n - 1]]) continue;
    let i = top.length === n ? n - 1 : top.length;
    while (i > 0 && scores[top[i - 1]] < scores[id]) {
      top[i] = top[i - 1];
      i--;
    }
    top[i] = id;
  }
  return top;
}

/** Picks one of `ids` by temperature / top-k / top-p sampling, or the best when greedy. */
function choose(scores: Float32Array, ids: number[], opts: GenerateOptions, rng: RandomSource): number {
  const temperature = opts.greedy ? 0 : opts.temperature ?? DEFAULT_TEMPERATURE;
  const topP = opts.topP ?? 1;
  if (temperature === 0 || ids.length === 1) return topIds(scores, ids, 1)[0];
  // top-k needs just its k best (in order); top-p needs them all in order; plain sampling, none
  let kept = opts.topK ? topIds(scores, ids, opts.topK) : ids;
  if (topP < 1 && !opts.topK) kept = [...ids].sort((a, b) => scores[b] - scores[a] || a - b);
  let max = -Infinity;
  for (const id of kept) max = Math.max(max, scores[id]);
  const weights = kept.map((id) => Math.exp((scores[id] - max) / temperature));
  let total = weights.reduce((a, b) => a + b, 0);
  let n = kept.length;
  if (topP < 1) {
    let cum = 0;
    for (n = 0; n < kept.length && cum < topP * total; n++) cum += weights[n];
    total = cum;
  }
  let r = rng.next() * total;
  for (let i = 0; i < n; i++) {
    r -= weights[i];
    if (r < 0) return kept[i];
  }
  return kept[n - 1];
}

/** Writes one poem. `rng` drives sampling (unused by greedy and beam search). */
export function generate(model: LanguageModel, opts: GenerateOptions, rng: RandomSource): Poem {
  const { vocab } = model;
  const plan = makePlan(vocab, opts);
  const info = vocabInfo(vocab, !!plan.patterns, plan.rhyme, plan.book);
  if (plan.groupBits && plan.shape) {
    // every even line needs its own rhyme character (never twice)
    let rhymable = 0;
    for (let id = 0; id < vocab.size; id++) if (info.han[id] && info.rhyme![id] & plan.groupBits) rhymable++;
    if (rhymable < plan.shape.lines / 2 + 1) throw new PoetryError(`the model knows only ${rhymable} characters that rhyme in ${opts.rhymeGroup}: too few for a ${plan.form}`);
  }
  const penalty = opts.repetitionPenalty ?? 1;
  const width = opts.beam && opts.beam > 1 ? opts.beam : 1;
  const capacity = plan.shape ? plan.shape.lines * (plan.shape.chars + 1) + 1 : plan.maxChars; // positions after <bos>

  let beams: Hypothesis[] = [
    { tokens: [], logp: 0, used: new Set(plan.lineStarts.filter((id) => id >= 0)), patterns: plan.patterns, lineTones: [], rhymeBits: plan.groupBits, done: false },
  ];
  const finished: Hypothesis[] = [];
  const opening = openPoem(model, plan.form, opts, info, rng);
  let { state, logits } = opening;
  const V = vocab.size;
  for (let pos = 0; pos < capacity && beams.length; pos++) {
    const slot = plan.shape ? fixedSlot(plan, vocab, pos) : pos < plan.prefix.length ? { forced: plan.prefix[pos] } : undefined;
    const candidates: { row: number; id: number; logp: number; score: number }[] = [];
    beams.forEach((h, row) => {
      const scores = penalised(logits.subarray(row * V, (row + 1) * V), h.used, penalty);
      const ids = allowedIds(plan, info, h, slot);
      const lse = logSumExp(scores);
      if (width === 1) {
        const id = choose(scores, ids, opts, rng);
        candidates.push({ row, id, logp: scores[id] - lse, score: 0 });
      } else {
        // only a hypothesis's `width` best extensions can be among the `width` best overall
        for (const id of topIds(scores, ids, width)) candidates.push({ row, id, logp: scores[id] - lse, score: h.logp + scores[id] - lse });
      }
    });
    const chosen = width === 1 ? candidates : candidates.sort((a, b) => b.score - a.score || a.row - b.row || a.id - b.id).slice(0, width);
    const next = chosen.map((c) => ({ c, h: extend(plan, info, vocab, beams[c.row], c.id, c.logp) }));
    const atCap = pos === capacity - 1;
    for (const { h } of next) if (h.done || atCap) finished.push(h);
    const live = next.filter(({ h }) => !h.done && !atCap);
    if (!live.length) break;
    if (width > 1 || live.length !== beams.length) state = model.selectState(state, Int32Array.from(live, ({ c }) => c.row));
    beams = live.map(({ h }) => h);
    logits = model.step(state, Int32Array.from(live, ({ c }) => c.id));
    // free beams: stop once as many poems have ended as there are beams
    if (width > 1 && finished.length >= width) break;
  }
  const score = (h: Hypothesis) => (plan.shape ? h.logp : h.logp / h.tokens.length);
  const best = finished.reduce((a, b) => (score(b) > score(a) ? b : a));
  const text = vocab.decode(best.tokens);
  return { start: opts.start ?? '', form: plan.form, title: opening.title, lines: poemLines(text), text };
}

/**
 * Feeds <bos> and, for a title-conditioned model, `<form> title <sep>` — writing the title first
 * when none is given. Returns the state after them and the logits [1,V] of the poem's first token.
 */
function openPoem(model: LanguageModel, form: Form, opts: GenerateOptions, info: VocabInfo, rng: RandomSource): { state: RecurrentState; logits: Float32Array; title: string } {
  const { vocab } = model;
  const state = model.initState(1);
  let logits = model.step(state, Int32Array.of(BOS)); // [1,V]
  const conditioned = conditionOf(vocab) === 'title';
  if (!conditioned) {
    if (opts.title) throw new PoetryError('this model was not trained on titles (train one with condition "title"), so it cannot write on a title');
    return { state, logits, title: '' };
  }
  const feed = (id: number) => (logits = model.step(state, Int32Array.of(id)));
  if (opts.title !== undefined) {
    const given = [...opts.title].slice(0, MAX_TITLE_CHARS).join('');
    for (const id of conditionPrefix(vocab, form, given)) feed(id);
    return { state, logits, title: given };
  }
  feed(vocab.id(formSymbol(form))!);
  const sep = vocab.id(SEP)!;
  const han = Array.from({ length: vocab.size }, (_, id) => id).filter((id) => info.han[id]);
  const title: number[] = [];
  while (title.length < MAX_TITLE_CHARS) {
    // at least two characters, each once: a title, not a stutter
    const ids = title.length >= 2 ? [sep, ...han.filter((id) => !title.includes(id))] : han.filter((id) => !title.includes(id));
    const id = choose(logits, ids, opts, rng);
    if (id === sep) break;
    title.push(id);
    feed(id);
  }
  feed(sep);
  return { state, logits, title: vocab.decode(title) };
}
