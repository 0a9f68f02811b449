/**
 * A vocabulary order under which the sets a regulated poem allows are a few blocks of ids, so that a
 * decoding step computes the logits of those blocks only (Model.step's row reads; generate.ts
 * logitRanges): tools/order-vocab.ts permutes a model into it.
 *
 * Order (each class keeps the old order, by train frequency, within a key):
 *   <pad> <unk> <bos> <eos> (their ids are fixed), the other symbols that are neither Han nor marks
 *   (<sep>, the form symbols, ｜), the marks, then the Han characters as a poem being written
 *   reads them (plan.ts vocabInfo: writingToneOf and writingRhymeGroupsOf of the standard form):
 *   平 only, by their first 平 rhyme group; either tone, by their first 平 group; 仄 only, by the
 *   group of their first 仄 reading (the book's order of groups).
 * So a 平 position allows one block (平 only and either), a 仄 position one (either and 仄 only), any
 * character one, and a rhyme in group g two (g's 平-only and g's either characters) plus the few
 * whose first 平 group is another. The book is the one the decoder uses (the 平水韵 by default).
 *
 * Contract: `prosodyOrder(vocab, book)` returns the old ids in their new order (a permutation of
 * 0..V−1 starting 0 1 2 3). The model's numbers do not change with it (each symbol keeps its rows),
 * but a sampled draw does: the sampler walks the allowed ids in id order (sample.ts choose).
 */
import { SPECIALS, type Vocab } from '../data/vocab.ts';
import { standardOf } from '../data/standard.ts';
import { vocabInfo } from './plan.ts';
import { rhymeBook, type RhymeBookName } from './rhymebook.ts';

/** The old ids of `vocab` in the order of the file comment. */
export function prosodyOrder(vocab: Vocab, book: RhymeBookName = 'pingshui'): number[] {
  const info = vocabInfo(vocab, true, true, book);
  const b = rhymeBook(book);
  const groupIndex = new Map(b.groups.map((g, i) => [g, i]));
  const NONE = 1 << 20;
  /** [class, key] of an id: class 0 specials, 1 other symbols, 2 marks, 3 平, 4 either, 5 仄 */
  const rank = (id: number): [number, number] => {
    if (id < SPECIALS.length) return [0, id];
    if (!info.han[id]) return [info.marks.has(id) ? 2 : 1, 0];
    const tone = info.tone![id]; // 0 平, 1 仄, 2 either
    if (tone !== 1) {
      const bits = info.rhyme![id];
      return [tone === 0 ? 3 : 4, bits ? 31 - Math.clz32(bits & -bits) : NONE];
    }
    const ze = b.readingsOf(standardOf(vocab.symbols[id])).find((r) => r.tone !== '平');
    return [5, ze ? groupIndex.get(ze.group) ?? NONE : NONE];
  };
  const ranks = vocab.symbols.map((_, id) => rank(id));
  return vocab.symbols.map((_, id) => id).sort((x, y) => ranks[x][0] - ranks[y][0] || ranks[x][1] - ranks[y][1] || x - y);
}
