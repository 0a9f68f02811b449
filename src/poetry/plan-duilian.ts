/**
 * The Plan of a 下联 (issue 20; the Plan interface: plan.ts): for one 上联, a line of the 上联's
 * length, then 。 (forced), then <eos> (forced). Each character position allows what
 * duilianSlots (duilian.ts) says: the tone of the slot (平, 仄 or free; read from the VocabInfo
 * tone table, the usual reading of each character: writingToneOf), a copy of an earlier character
 * where the 上联 repeats one (叠字 answer 叠字: the one id allowed), no character of the 上联
 * (nor a variant printed as one of them) and no character twice otherwise. So a 下联 written under
 * it passes checkDuilian (test/duilian-write.test.ts). A 上联 that ends in 平, that holds marks
 * inside, or that is longer than MAX_DUILIAN_CHARS is a PoetryError; an unknown character an
 * UnknownCharacterError.
 *
 * What the model reads (`reading`):
 * - 'duilian': a model trained with the `<duilian>` control symbol reads `<bos> <duilian> 上联
 *   <sep> 下联。 <eos>`, as the corpus writes the pairs (src/data/duilian.ts): the opening is
 *   the 上联 as a title, and its untitled twin (a candidate's fit) `<duilian> <sep>`.
 * - 'lvshi': a model trained before that symbol (the bundled one) reads the 上联 as the first line
 *   of a 律诗 couplet: the opening `<wulv|qilv> <sep>` (untitled; wulv for up to 5 characters),
 *   then the 上联 and ， forced as a lead-in of the body (Plan.lead: the written text is the 下联
 *   alone), then the 下联. Its untitled twin is the same opening with no lead-in: the 下联 as a
 *   poem's first line. An unconditional model reads `<bos> 上联， 下联。 <eos>` the same way.
 * If the vocabulary cannot satisfy a position's rules (tiny vocabularies only) the tone is
 * relaxed first, then the repeats; the 上联's characters stay forbidden while anything else is left.
 *
 * Shapes: n characters of the 上联; V vocabulary size.
 */
import { EOS, UnknownCharacterError, type Vocab } from '../data/vocab.ts';
import { conditionPrefix, formSymbol } from '../data/sequence.ts';
import { standardOf } from '../data/standard.ts';
import { PUNCTUATION } from '../data/clean.ts';
import { duilianSlots, type DuilianSlots } from './duilian.ts';
import { PoetryError, type Form } from './forms.ts';
import type { RhymeBookName } from './rhymebook.ts';
import { copyExcept } from './id-lists.ts';
import { append, use, vocabInfo, type Hypothesis, type Plan, type Slot, type VocabInfo } from './plan.ts';

/** The longest 上联 written to (characters): the corpus's couplets have 5 or 7, 对联 in use rarely more than 11 a clause. */
export const MAX_DUILIAN_CHARS = 11;

/** How the model reads the 上联 (see the file comment). */
export type DuilianReading = 'duilian' | 'lvshi';

/** The reading a model's vocabulary allows: 'duilian' when it has the `<duilian>` symbol. */
export function duilianReading(vocab: Vocab): DuilianReading {
  return vocab.id(formSymbol('duilian')) !== undefined ? 'duilian' : 'lvshi';
}

function idOf(vocab: Vocab, ch: string): number {
  const id = vocab.id(ch);
  if (id === undefined) throw new UnknownCharacterError([ch]);
  return id;
}

export class DuilianPlan implements Plan {
  readonly form: Form;
  readonly perToken = false;
  readonly info: VocabInfo;
  readonly capacity: number;
  readonly lead: number;
  readonly opening: { tokens: readonly number[]; title: string; untitled: readonly number[] };
  readonly reading: DuilianReading;
  /** the 上联's constraints per position */
  readonly slots: DuilianSlots;
  /** the body's forced lead-in (the 上联 and ，, 'lvshi'), then the 下联's 。 */
  private readonly prefix: number[];
  private readonly stop: number;
  /** ids the 下联 never takes (the 上联's characters and their variants), ascending */
  private readonly forbidden: number[];

  constructor(vocab: Vocab, upper: string, book: RhymeBookName = 'pingshui') {
    // the length first: a long text is refused for that, whatever else is wrong with it
    const length = [...upper.replace(/\s+/gu, '')].filter((ch) => !PUNCTUATION.includes(ch)).length;
    if (length > MAX_DUILIAN_CHARS) throw new PoetryError(`the 上联 has ${length} characters, more than the ${MAX_DUILIAN_CHARS} a 上联 may have`);
    const slots = (this.slots = duilianSlots(upper, book));
    const chars = [...slots.upper];
    const unknown = vocab.unknown(slots.upper);
    if (unknown.length) throw new UnknownCharacterError(unknown);
    this.info = vocabInfo(vocab, true, false, book);
    this.reading = duilianReading(vocab);
    const ids = vocab.encode(slots.upper);
    if (this.reading === 'duilian') {
      this.form = 'free';
      this.prefix = [];
      this.opening = { tokens: conditionPrefix(vocab, 'duilian', slots.upper), title: slots.upper, untitled: conditionPrefix(vocab, 'duilian', '') };
    } else {
      this.form = chars.length <= 5 ? 'wulv' : 'qilv';
      this.prefix = [...ids, idOf(vocab, '，')];
      const untitled = conditionPrefix(vocab, this.form, '');
      this.opening = { tokens: untitled, title: slots.upper, untitled };
    }
    this.lead = this.prefix.length;
    this.stop = idOf(vocab, '。');
    this.capacity = this.lead + chars.length + 2;
    // the 上联's characters as printed: any id printed as one of them (疎 for 疏) is one of them
    const std = new Set(chars.map(standardOf));
    this.forbidden = [...this.info.hanIds].filter((id) => std.has(standardOf(vocab.symbols[id]!)));
  }

  start(): Hypothesis {
    return { tokens: [], logp: 0, used: [], patterns: 0, lineTones: 0, rhymeBits: 0, done: false };
  }

  slotAt(pos: number): Slot {
    if (pos < this.lead) return { forced: this.prefix[pos]! };
    const col = pos - this.lead;
    const n = this.slots.slots.length;
    if (col === n) return { forced: this.stop };
    if (col > n) return { forced: EOS };
    return { line: 0, col };
  }

  allowed(h: Hypothesis, slot: Slot, out: Int32Array): number {
    if (!slot) throw new Error('a 下联 has no free positions');
    if ('forced' in slot) {
      out[0] = slot.forced;
      return 1;
    }
    const s = this.slots.slots[slot.col]!;
    if (s.sameAs !== null) {
      // 叠字 answer 叠字: the character written where the 上联 has the same one
      out[0] = h.tokens[this.lead + s.sameAs]!;
      return 1;
    }
    const { info } = this;
    const toneList = s.tone === null ? info.hanIds : info.toneIds![s.tone === '平' ? 0 : 1];
    // h.used: the 下联's characters so far (with their variants); the 上联's stay out until the last resort
    const skipAll = mergeSorted(this.forbidden, h.used);
    const tries: [Int32Array, readonly number[]][] = [[toneList, skipAll], [info.hanIds, skipAll], [info.hanIds, this.forbidden], [info.hanIds, []]];
    for (const [list, skip] of tries) {
      const n = copyExcept(list, skip, out, 0);
      if (n) return n;
    }
    throw new PoetryError('the model has no Han characters in its vocabulary');
  }

  extend(h: Hypothesis, id: number, logp: number): void {
    append(h, id, logp);
    if (h.tokens.length > this.lead && this.info.han[id]) use(this.info, h, id);
  }
}

/** The union of two ascending id lists, ascending. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  if (!b.length) return a as number[];
  const out: number[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (out.at(-1) !== x) out.push(x);
  }
  return out;
}
