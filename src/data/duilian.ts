/**
 * The 对联 data of the corpus (docs/design.md §1, form `duilian`): the 颔联 (lines 3–4) and 颈联
 * (lines 5–6) of every 律诗 (wulv, qilv) are parallel couplets by rule; each gives one pair,
 * 上联 → 下联. The corpus writes them like a form's poems: `<split>/duilian.titles.txt` holds the
 * 上联 (the conditioning text, Han characters only), `<split>/duilian.txt` the 下联 closed by 。
 * (a one-line poem in canonical punctuation), on the same line number; a conditioned model reads
 * `<bos> <duilian> 上联 <sep> 下联。 <eos>`.
 *
 * Split: a pair goes to its poem's split (the sha1 rule of corpus.ts), so no poem gives pairs to two
 * splits. Repeats: a pair with a line already taken, as 上联 or 下联 (the same couplet in two
 * copies of a poem, a variant reading of one line), is dropped and counted, so no line of a
 * held-out pair is in train. Sources, in reading order: the Tang 律诗 of the corpus (always) and, opt-in
 * (`shiren corpus --song`), the Song 律诗 of `poet.song.*.json`: 4.7 times the pairs for 4–5 times
 * the build time and a train split the size of the whole Tang corpus (see stats.json `duilian`).
 *
 * Not used as data: 声律启蒙 (`mengxue/shenglvqimeng.json`). Its 5- and 7-character couplets are
 * about 180 (0.4% of the Tang pairs), beside 1- to 3-character and 4+6 / 4+7 pairs of another
 * shape; it is a primer written to teach 对 (every pair 仄起平收), so it serves better as the
 * checker's independent test set (test/duilian.test.ts) than as a sliver of training data.
 */
import { splitLines, type Form } from './clean.ts';
import type { Split } from './split.ts';

export const DUILIAN_SOURCES = ['tang', 'song'] as const;
export type DuilianSource = (typeof DUILIAN_SOURCES)[number];

export interface DuilianPair {
  /** 上联, Han characters only */
  readonly upper: string;
  /** 下联, Han characters only */
  readonly lower: string;
}

/** The parallel couplets of one poem in canonical punctuation: 颔联 and 颈联 of a 律诗, [] otherwise. */
export function coupletsOf(text: string, form: Form): DuilianPair[] {
  if (form !== 'wulv' && form !== 'qilv') return [];
  const lines = splitLines(text);
  return [2, 4].map((i) => ({ upper: lines[i]!, lower: lines[i + 1]! }));
}

/** A pair as the corpus writes it: the 上联 as the title, the 下联 closed by 。 as the text. */
export function corpusEntry(pair: DuilianPair): { title: string; text: string } {
  return { title: pair.upper, text: `${pair.lower}。` };
}

/** The inverse of corpusEntry, for readers of the corpus files. */
export function pairOfEntry(entry: { title: string; text: string }): DuilianPair {
  return { upper: entry.title, lower: entry.text.replace(/[，。？！；：、]+$/u, '') };
}

/** Where the pairs come from, as stats.json `duilian` reports it. */
export interface DuilianStats {
  /** per source: 律诗 read, pairs kept per split, pairs dropped as repeats */
  sources: Partial<Record<DuilianSource, { poems: number; train: number; valid: number; test: number; repeats: number }>>;
}

/** Collects the pairs of the poems of the sources read, in order, dropping repeats (file comment). */
export class DuilianPairs {
  /** every line taken, 上联 or 下联 (a line may come back in the other role) */
  private readonly seen = new Set<string>();
  private readonly kept: Record<Split, DuilianPair[]> = { train: [], valid: [], test: [] };
  readonly stats: DuilianStats = { sources: {} };

  /** Adds the couplets of one clean poem (any form: only 律诗 give pairs). */
  addPoem(text: string, form: Form, split: Split, source: DuilianSource): void {
    const pairs = coupletsOf(text, form);
    if (pairs.length === 0) return;
    const counts = (this.stats.sources[source] ??= { poems: 0, train: 0, valid: 0, test: 0, repeats: 0 });
    counts.poems++;
    for (const pair of pairs) {
      if (this.seen.has(pair.upper) || this.seen.has(pair.lower)) {
        counts.repeats++;
        continue;
      }
      this.seen.add(pair.upper);
      this.seen.add(pair.lower);
      this.kept[split].push(pair);
      counts[split]++;
    }
  }

  /** The pairs kept in a split, in reading order. */
  pairs(split: Split): readonly DuilianPair[] {
    return this.kept[split];
  }
}
