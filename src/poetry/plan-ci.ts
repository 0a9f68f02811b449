/**
 * The Plan of a 词 written to a tune (form 'ci', `cipai`, `variant`; plan.ts's interface): the chosen
 * format of the 词谱 (cipu.ts) followed character by character. `makePlan` here is the decoder's one
 * entry: a CiPlan for a 词, plan.ts's makePlan for every other form (this file imports plan.ts, so
 * plan.ts cannot import it back: test/layering.test.ts forbids circles).
 *
 * Layout of the body (after the title prefix): per format slot its character, then the mark the
 * format places after it (cipu.ts punctuationAfter: ， at 句 and 读, 。 at 韵 / 叶 and each 片 end),
 * then STANZA_BREAK ('｜', as in the corpus lines) after each 片 but the last where the vocabulary
 * holds it, and <eos>. Marks, breaks and <eos> are forced; so are the start text's characters.
 *
 * At a character slot, in this order of priority (each relaxed only when the vocabulary leaves no
 * character, as LayoutPlan does): the tone — 平 or 仄 where the format fixes it (中 is free), a rhyme
 * slot its group's tone (a 叶 the other); a character fits a tone when both its 词林正韵 readings
 * (cilin.ts, what `check --cipai` reads) and its usual 平水韵 reading (prosody.ts writingToneOf: no
 * rare reading) allow it — then the rhyme: every rhyme slot of a group has a reading of its kind in
 * one 部 of 词林正韵 (the 部 still shared by the group's characters so far; at the group's first rhyme
 * only a 部 the vocabulary holds enough characters of for the whole group), no 通押, each 换韵 group
 * its own 部; then no repeats (no Han character twice, on by default; at a rhyme slot always).
 * The format's 叠 / 重 repeats are not forced (the checker does not ask for them).
 *
 * What the model reads: the tune's usual name as the title. A model trained with `<ci>` reads
 * `<bos> <ci> 浣溪沙 <sep>`; one trained before it (the bundled model) `<bos> <free> 浣溪沙 <sep>`,
 * the tune as a free poem's title; an unconditional model nothing (`tuneRead`: 'ci' | 'free' |
 * 'none'). A 词's title is its tune: the sequence has no room for another, so `title` is refused.
 *
 * Rhyme state is not stored: a rhyme slot reads the group's earlier rhyme characters from the
 * hypothesis's tokens (their positions are fixed by the layout; a group has a handful).
 *
 * Kept characters (`keep`, a revision template: keep.ts, one cell per format character; its
 * punctuation is the format's): forced at their slots and marked `kept` (a candidate's fluency
 * measures them), used from the start (no repeats), kept even where they break the tone; a rhyme
 * group's 部 is the one its kept rhymes share (kept rhymes first, then the viable 部 where they
 * allow it), so the group's earlier rhymes are written to lead into them.
 *
 * Shapes: V vocabulary size, N characters of the format.
 */
import { EOS, type Vocab } from '../data/vocab.ts';
import { STANZA_BREAK, type CorpusForm } from '../data/clean.ts';
import { formSymbol, conditionOf, conditionPrefix } from '../data/sequence.ts';
import { standardOf } from '../data/standard.ts';
import { PoetryError, isHan } from './forms.ts';
import { cilinTone, rhymeBuOf } from './cilin.ts';
import { findTune, formatLabel, formatOf, punctuationAfter, type CiFormat } from './cipu.ts';
import { writingToneOf } from './prosody.ts';
import { UnknownCharacterError } from '../data/vocab.ts';
import { parseKeep } from './keep.ts';
import { copyExcept } from './id-lists.ts';
import { append, sharedBits, makePlan as makeFormPlan, use, vocabInfo, type GenerateOptions, type Hypothesis, type Plan, type Slot, type VocabInfo, type WrittenLayout } from './plan.ts';

export type TuneRead = 'ci' | 'free' | 'none';

/** Per-vocabulary tables of a 词 (computed once per Vocab): tones and 部 by 词林正韵 and usual readings. */
interface CiTables {
  /** [V] bit 0: fits a 平 slot, bit 1: fits a 仄 slot (0 for non-Han and characters 词林正韵 lacks) */
  fit: Uint8Array;
  /** the Han ids fitting a 平 / 仄 slot, ascending */
  toneIds: [Int32Array, Int32Array];
  /** [kind 平, 仄][V] bit b−1 set when the character rhymes in 部 b as that kind */
  bu: [Int32Array, Int32Array];
}
const tablesCache = new WeakMap<Vocab, CiTables>();

function ciTables(vocab: Vocab, info: VocabInfo): CiTables {
  let t = tablesCache.get(vocab);
  if (t) return t;
  const V = vocab.size;
  const fit = new Uint8Array(V);
  const bu: [Int32Array, Int32Array] = [new Int32Array(V), new Int32Array(V)];
  for (const id of info.hanIds) {
    const ch = standardOf(vocab.symbols[id]!);
    const c = cilinTone(ch);
    if (c === 'unknown') continue;
    const w = writingToneOf(ch, 'pingshui');
    const ping = (c === '平' || c === 'either') && w !== '仄';
    const ze = (c === '仄' || c === 'either') && w !== '平';
    fit[id] = (ping ? 1 : 0) | (ze ? 2 : 0);
    if (ping) bu[0][id] = rhymeBuOf(ch, '平').reduce((bits, b) => bits | (1 << (b - 1)), 0);
    if (ze) bu[1][id] = rhymeBuOf(ch, '仄').reduce((bits, b) => bits | (1 << (b - 1)), 0);
  }
  const toneIds: [Int32Array, Int32Array] = [info.hanIds.filter((id) => fit[id]! & 1), info.hanIds.filter((id) => fit[id]! & 2)];
  tablesCache.set(vocab, (t = { fit, toneIds, bu }));
  return t;
}

const KIND = { 平: 0, 仄: 1 } as const;
const NONE: readonly number[] = [];

export interface CiPlanOptions {
  cipai: string;
  /** 1-based format of the tune (default 1, its first / main format). */
  variant?: number;
  start?: string;
  /** a revision template's cells in order: the kept character, or null where one is written */
  keep?: (string | null)[];
  tones?: boolean;
  rhyme?: boolean;
  noRepeat: boolean;
}

/** A 词 to one format of a tune (see the file comment). */
export class CiPlan implements Plan {
  readonly form = 'ci' as const;
  readonly perToken = false;
  readonly info: VocabInfo;
  readonly capacity: number;
  readonly format: CiFormat;
  readonly tuneRead: TuneRead;
  /** The title prefix the model reads: the tune, under <ci> or <free> (none for an unconditional model). */
  readonly opening?: { tokens: readonly number[]; title: string; untitled: readonly number[] };
  private readonly tables: CiTables;
  /** [pos] the format character index at body position pos, or −1 − id for a forced token */
  private readonly layout: Int32Array;
  /** [N] body position of each character */
  private readonly charPos: Int32Array;
  /** [N] rhyme kind (0 平, 1 仄) of each rhyme slot, −1 elsewhere */
  private readonly rhymeKind: Int8Array;
  /** [group] 部 bits the vocabulary holds enough characters of for the whole group */
  private readonly viable: number[];
  /** [N] the id forced at each format character (start text, kept), −1 none */
  private readonly forcedAt: Int32Array;
  /** [N] 1 where forcedAt is a kept character */
  private readonly keptAt: Uint8Array;

  constructor(vocab: Vocab, private readonly opts: CiPlanOptions) {
    const tune = findTune(opts.cipai);
    const f = (this.format = formatOf(tune, opts.variant ?? 1));
    this.info = vocabInfo(vocab, false, false, 'pingshui');
    this.tables = ciTables(vocab, this.info);
    const markId = (m: string) => {
      const id = vocab.id(m);
      if (id === undefined) throw new PoetryError(`the model does not know the mark ${m}, which a ${tune.name} needs`);
      return id;
    };
    const breakId = vocab.id(STANZA_BREAK);
    const layout: number[] = [];
    this.charPos = new Int32Array(f.slots.length);
    f.slots.forEach((slot, i) => {
      this.charPos[i] = layout.length;
      layout.push(i);
      const mark = punctuationAfter(slot) || (i === f.slots.length - 1 ? '。' : '');
      if (mark) layout.push(-1 - markId(mark));
      if (slot.stanzaEnd && i < f.slots.length - 1 && breakId !== undefined) layout.push(-1 - breakId);
    });
    layout.push(-1 - EOS);
    this.layout = Int32Array.from(layout);
    this.capacity = layout.length;

    this.rhymeKind = new Int8Array(f.slots.length).fill(-1);
    for (const g of f.rhymeGroups) for (const p of g.positions) this.rhymeKind[p] = KIND[g.xie.includes(p) ? (g.tone === '平' ? '仄' : '平') : g.tone];
    // a 部 is viable for a group when the vocabulary has twice the characters of each kind it needs there, and two more
    this.viable = f.rhymeGroups.map((g) => {
      let bits = 0;
      for (let b = 0; b < 19; b++) {
        const ok = [0, 1].every((k) => {
          const need = g.positions.filter((p) => this.rhymeKind[p] === k).length;
          if (!need) return true;
          let have = 0;
          for (const id of this.tables.toneIds[k as 0 | 1]) if (this.tables.bu[k as 0 | 1][id]! & (1 << b)) have++;
          return have >= 2 * need + 2;
        });
        if (ok) bits |= 1 << b;
      }
      return bits || ~0;
    });

    const start = [...(opts.start ?? '')].filter(isHan);
    if (start.length > f.slots.length) throw new PoetryError(`the start text has ${start.length} characters; a ${tune.name} (format ${f.index + 1}) has ${f.slots.length}`);
    if (opts.keep && opts.keep.length !== f.slots.length) {
      throw new PoetryError(`the template has ${opts.keep.length} characters; a ${tune.name} (format ${f.index + 1}, ${formatLabel(f)}) has ${f.slots.length}`);
    }
    this.forcedAt = new Int32Array(f.slots.length).fill(-1);
    this.keptAt = new Uint8Array(f.slots.length);
    start.forEach((ch, i) => (this.forcedAt[i] = vocab.id(ch)!));
    opts.keep?.forEach((ch, i) => ch !== null && ((this.forcedAt[i] = vocab.id(ch)!), (this.keptAt[i] = 1)));
    // a group's kept rhymes set its 部 (the one most of them share; the others are kept as they are)
    f.rhymeGroups.forEach((g, k) => {
      const kept = sharedBits(g.positions.filter((p) => this.keptAt[p]).map((p) => this.tables.bu[this.rhymeKind[p] as 0 | 1][this.forcedAt[p]!]!).filter((b) => b !== 0));
      if (kept) this.viable[k] = this.viable[k]! & kept || kept;
    });

    if (conditionOf(vocab) === 'none') this.tuneRead = 'none';
    else {
      this.tuneRead = vocab.id(formSymbol('ci')) !== undefined ? 'ci' : 'free';
      this.opening = { tokens: conditionPrefix(vocab, this.tuneRead, tune.name), title: tune.name, untitled: conditionPrefix(vocab, this.tuneRead, '') };
    }
  }

  start(): Hypothesis {
    const h: Hypothesis = { tokens: [], logp: 0, used: [], patterns: 0, lineTones: 0, rhymeBits: 0, done: false };
    this.forcedAt.forEach((id, i) => this.keptAt[i] && use(this.info, h, id));
    return h;
  }

  /** A forced token, or the format character at `col` (a 词 is one line of slots). */
  slotAt(pos: number): Slot {
    const v = this.layout[pos];
    if (v === undefined) return { forced: EOS };
    if (v < 0) return { forced: -1 - v };
    const id = this.forcedAt[v]!;
    if (id >= 0) return this.keptAt[v] ? { forced: id, kept: true } : { forced: id };
    return { line: 0, col: v };
  }

  allowed(h: Hypothesis, slot: Slot, out: Int32Array): number {
    if (!slot) throw new Error('a 词 has no free positions');
    if ('forced' in slot) {
      out[0] = slot.forced;
      return 1;
    }
    const i = slot.col;
    const s = this.format.slots[i]!;
    const { tables, info } = this;
    const kind = this.rhymeKind[i]!;
    const rhymes = kind >= 0 && this.opts.rhyme !== false;
    const tones = this.opts.tones !== false;
    const toneKind = kind >= 0 ? kind : s.tone === '中' ? -1 : KIND[s.tone];
    const toneList = tones && toneKind >= 0 ? tables.toneIds[toneKind as 0 | 1] : info.hanIds;
    // the 部 the group's characters so far share (its viable 部 at the first rhyme)
    let bits = 0;
    if (rhymes) {
      const g = this.format.rhymeGroups[s.rhyme!.group]!;
      bits = this.viable[s.rhyme!.group]!;
      for (const p of g.positions) {
        if (p >= i) break;
        // a kept rhyme outside the 部 so far leaves it as it is
        bits = bits & (tables.bu[this.rhymeKind[p] as 0 | 1][h.tokens[this.charPos[p]!]!]! || ~0) || bits;
      }
    }
    const checkUsed = this.opts.noRepeat || kind >= 0;
    const bu = kind >= 0 ? tables.bu[kind as 0 | 1] : undefined;
    // relax in order: repeats, then the rhyme's 部 (a character of the tone still), then the tone
    for (let relax = 0; relax < 4; relax++) {
      let n = copyExcept(relax < 3 ? toneList : info.hanIds, relax < 1 && checkUsed ? h.used : NONE, out, 0);
      if (relax < 2 && rhymes) {
        let m = 0;
        for (let k = 0; k < n; k++) if (bu![out[k]!]! & bits) out[m++] = out[k]!;
        n = m;
      }
      if (n) return n;
    }
    throw new PoetryError('the model has no Han characters in its vocabulary');
  }

  extend(h: Hypothesis, id: number, logp: number): void {
    append(h, id, logp);
    if (this.info.han[id]) use(this.info, h, id);
  }

  /** The lines of the written body (text without STANZA_BREAK) and the 片 they form. */
  written(text: string): WrittenLayout {
    const f = this.format;
    const body = text.replaceAll(STANZA_BREAK, '');
    const lines = body.match(/[^，。]*[，。]/gu) ?? [body];
    // lines per 片: the format's 片 ends fall at line ends (each closes with 。)
    const stanzaLines: number[] = [];
    let chars = 0, stanza = 0, count = 0, bound = f.stanzas[0]!;
    for (const line of lines) {
      chars += [...line].length - 1;
      count++;
      if (chars >= bound && stanza < f.stanzas.length - 1) {
        stanzaLines.push(count);
        count = 0;
        bound += f.stanzas[++stanza]!;
      }
    }
    if (count) stanzaLines.push(count);
    return { lines, text: lines.join(''), ci: { cipai: f.tune, variant: f.index + 1, format: formatLabel(f), tuneRead: this.tuneRead, stanzaLines } };
  }
}

/** The plan of a poem or a 词: its options resolved against the vocabulary (plan.ts; a 词 above). */
export function makePlan(vocab: Vocab, opts: GenerateOptions): Plan {
  if (opts.form !== 'ci') {
    if (opts.cipai !== undefined || opts.variant !== undefined) throw new PoetryError(`${opts.cipai !== undefined ? 'cipai' : 'variant'} needs form 'ci'`);
    return makeFormPlan(vocab, opts);
  }
  if (opts.cipai === undefined) throw new PoetryError("form 'ci' needs a tune (cipai), e.g. 浣溪沙");
  if (opts.acrostic) throw new PoetryError('an acrostic needs a poem form, not a 词');
  const keep = opts.keep === undefined ? undefined : parseKeep(opts.keep, 'ci').lines.flat();
  if (keep && opts.start) throw new PoetryError('a start text and a kept template do not go together: write the start into the template');
  const keptUnknown = vocab.unknown(keep?.filter((c) => c !== null).join('') ?? '');
  if (keptUnknown.length) throw new UnknownCharacterError(keptUnknown, 'template');
  if (opts.rhymeGroup) throw new PoetryError('a rhyme group (限韵) is for the regulated forms; a 词 rhymes by 词林正韵 部');
  if (opts.rhymeBook && opts.rhymeBook !== 'pingshui') throw new PoetryError('a 词 rhymes by 词林正韵 (its tones by the 平水韵 readings); rhymeBook does not apply');
  if (opts.title) throw new PoetryError('a 词\'s title is its tune (the model reads the tune in the title\'s place); leave the title out');
  const unknown = vocab.unknown(opts.start ?? '');
  if (unknown.length) throw new UnknownCharacterError(unknown);
  const noRepeat = opts.allowRepeats === undefined ? true : !opts.allowRepeats;
  return new CiPlan(vocab, { cipai: opts.cipai, variant: opts.variant, start: opts.start, keep, tones: opts.tones, rhyme: opts.rhyme, noRepeat });
}
