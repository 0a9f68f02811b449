/**
 * Two judges of written poems that are not the model itself (issue 18; docs/design.md §7), learned
 * from the train split by counting, so a figure they give cannot be bought by fitting the network:
 *
 * - fluency: `fluencyJudge(texts)` is an interpolated modified Kneser-Ney character n-gram (order 4
 *   by default; Chen & Goodman 1998: three discounts per order, the lowest order interpolated with
 *   the uniform distribution) over the poems' characters and line marks, each poem read as
 *   `<s> c1 … cm </s>`. `perplexity(text)` is per token (the m characters and `</s>`; whitespace is
 *   dropped, a character never seen in training is one `<unk>` symbol); lower is more fluent.
 * - topic: `topicJudge(poems)` counts, over the train poems, in how many poems each title character
 *   t goes with each poem character c (distinct Han characters on both sides). `score(title, text)`
 *   is the mean over the poem's distinct Han characters of log P(c | title) / P(c), where P(c) is
 *   the share of poems holding c and P(c | title) the mean over the title's known characters of
 *   the smoothed share (n(t,c) + μ·P(c)) / (n(t) + μ); higher goes better with the title.
 *   `rankOfTrueTitle` ranks the true title among distractors (1 best, ties counted against the
 *   true title); `topicFigure` gives the share ranked first among 10 (chance: 10%).
 *
 * Browser-safe (no Node module): the caller reads the corpus (src/data/corpus.ts readTitledSplit)
 * and passes the poems in. Counts live in typed arrays as sorted rows (a trie of n-grams whose
 * children are contiguous; one row of poem characters per title character), built by counting
 * sorts and a dense counter, so the full train split (~51k poems, ~3M characters) builds in
 * seconds and thousands of poems score per second.
 */
import { isHan } from '../data/clean.ts';
import { cleanTitle } from '../data/sequence.ts';
import { mix32, Rng, shuffle } from '../nn/rng.ts';

/** A poem to judge: its title (cleaned as the corpus cleans titles) and its text. */
export interface JudgedPoem {
  title: string;
  text: string;
}

/** Both judges, trained on the train split's poems (all forms): what a figure is measured with. */
export function trainJudges(train: readonly JudgedPoem[]): { fluency: FluencyJudge; topic: TopicJudge } {
  return { fluency: fluencyJudge(train.map((p) => p.text)), topic: topicJudge(train) };
}

/**
 * The poems a figure is measured on: the first `count` of `poems` shuffled by Rng(seed) (issue 18:
 * 400 of the test split's regulated poems), the same wherever it is drawn (tools/judge-poems.ts,
 * evaluation, weight tuning).
 */
export function judgeSample<P>(poems: readonly P[], count = 400, seed = 0): P[] {
  return shuffle([...poems], new Rng(seed)).slice(0, count);
}

// ---------------------------------------------------------------------------------------------
// Shared pieces: sorted rows, growable typed arrays, a dense counter, ids of characters.

/** The index in [lo, hi) where `sorted[index] === x`, or -1 (binary search over a sorted row). */
function findInRow(sorted: Int32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

type Growable = Int32Array | Float64Array | Uint8Array;
/** `arr`, or a copy of it with room for at least `n` items (doubling). */
function grow<T extends Growable>(arr: T, n: number): T {
  if (n <= arr.length) return arr;
  const out = new (arr.constructor as new (n: number) => T)(Math.max(n, arr.length * 2));
  out.set(arr);
  return out;
}

/** `arr`, or a copy of it with room for exactly `n` items when it has less. */
function fit<T extends Growable>(arr: T, n: number): T {
  if (n <= arr.length) return arr;
  const out = new (arr.constructor as new (n: number) => T)(n);
  out.set(arr);
  return out;
}

/**
 * Counts ids in [0, ids) one group at a time: `add` each id of the group, then `flush` gives the
 * distinct ids ascending (`sorted`), how often each came (`counts`) and the item that brought it
 * first (`first`), and starts the next group. Dense and cache-friendly, unlike a map of pairs.
 */
class GroupCounter {
  sorted = new Int32Array(256);
  counts = new Int32Array(256);
  first = new Int32Array(256);
  private n = 0;
  private readonly counter: Int32Array;
  private readonly firstOf: Int32Array;

  constructor(ids: number) {
    this.counter = new Int32Array(ids);
    this.firstOf = new Int32Array(ids);
  }

  add(id: number, item: number): void {
    if (this.counter[id]!++ === 0) {
      if (this.n === this.sorted.length) this.sorted = grow(this.sorted, this.n + 1);
      this.sorted[this.n++] = id;
      this.firstOf[id] = item;
    }
  }

  /** The number of distinct ids of the group; their data in sorted/counts/first [0, n). */
  flush(): number {
    const n = this.n;
    this.n = 0;
    const sorted = this.sorted;
    if (n > 16) sorted.subarray(0, n).sort();
    else {
      // most groups are tiny (the n-grams after a rare context): an insertion sort, no allocation
      for (let j = 1; j < n; j++) {
        const x = sorted[j]!;
        let k = j - 1;
        for (; k >= 0 && sorted[k]! > x; k--) sorted[k + 1] = sorted[k]!;
        sorted[k + 1] = x;
      }
    }
    this.counts = grow(this.counts, n);
    this.first = grow(this.first, n);
    for (let j = 0; j < n; j++) {
      const id = this.sorted[j]!;
      this.counts[j] = this.counter[id]!;
      this.first[j] = this.firstOf[id]!;
      this.counter[id] = 0;
    }
    return n;
  }
}

/** Code points → dense ids from `first` on, in order of first sight. */
class Alphabet {
  private readonly ids = new Map<number, number>();
  readonly symbols: string[] = [];
  constructor(private readonly first: number) {}
  add(cp: number): number {
    let id = this.ids.get(cp);
    if (id === undefined) {
      id = this.first + this.symbols.length;
      this.ids.set(cp, id);
      this.symbols.push(String.fromCodePoint(cp));
    }
    return id;
  }
  /** The id of a code point, or -1 when never added. */
  get(cp: number): number {
    return this.ids.get(cp) ?? -1;
  }
  /** One past the largest id. */
  get size(): number {
    return this.first + this.symbols.length;
  }
}

const WHITESPACE = /\s/u;

// ---------------------------------------------------------------------------------------------
// Fluency: interpolated modified Kneser-Ney.

const BOS = 0;
const END = 1;
const UNK = 2;

export interface FluencyOptions {
  /** n of the n-gram, default 4 (2…8). */
  order?: number;
}

/** A text's log-probability (natural log) and the tokens it covers (its characters and `</s>`). */
export interface TextScore {
  logProb: number;
  tokens: number;
}

export interface FluencyJudge {
  readonly order: number;
  /** The symbols a poem's next token is one of: `</s>`, `<unk>`, then the train characters. */
  readonly symbols: readonly string[];
  /** log P(text) under the model and the tokens scored (characters + `</s>`). */
  score(text: string): TextScore;
  /** exp(−log P(text) / tokens): per-token perplexity of one text. */
  perplexity(text: string): number;
  /** exp(−Σ log P / Σ tokens) over many texts: the corpus-level figure. */
  corpusPerplexity(texts: Iterable<string>): number;
  /**
   * P(next symbol | the poem so far) for every symbol of `symbols`, in that order (sums to 1).
   * `prefix` is the poem's text so far (its start implied).
   */
  distribution(prefix: string): Float64Array;
}

/** The n-gram trie of a training stream (see fluencyJudge): per node, and where each order ends. */
interface Ngrams {
  /** the last symbol of the node's n-gram */
  word: Int32Array;
  /** Kneser-Ney's adjusted count (0 for the `<s>` unigram, never predicted) */
  count: Int32Array;
  /** the n-gram's order | 0x80 when it starts with `<s>` */
  info: Uint8Array;
  /** the node's children are childStart[h] … childStart[h+1] (one more entry than nodes) */
  childStart: Int32Array;
  /** orderEnd[k]: the first node after those of order k (orderEnd[0] = 1: the root) */
  orderEnd: number[];
}

/**
 * Counts the n-grams of orders 1…n of `stream` (<s> c1 … cm </s> per poem; symbols < V) one order
 * at a time: the positions are grouped by their context (the node of the n−1 symbols before them,
 * by a counting sort), and each group's symbols counted (GroupCounter) into that context's sorted
 * children. Then each n-gram of order k < n takes its count of distinct left extensions, except
 * those starting with <s>.
 */
function countNgrams(stream: Int32Array, V: number, N: number): Ngrams {
  const T = stream.length;
  // per node, sized as each order needs
  let word = new Int32Array(0); // the last symbol of the node's n-gram
  let count = new Int32Array(0); // raw counts, later the adjusted ones
  let cont = new Int32Array(0); // distinct left extensions
  let info = new Uint8Array(0); // order | 0x80 when the n-gram starts with <s>
  let childStart = new Int32Array(0);
  let nodes = 1; // node 0: the empty context
  const orderEnd = [1]; // orderEnd[k]: the first node after those of order k
  const counter = new GroupCounter(V);
  const slot = new Int32Array(V); // a group's node per symbol
  let at = new Int32Array(T); // at[i]: the node of the n-gram of the order before that ends at position i (order 0: the root)
  for (let k = 1; k <= N; k++) {
    const lo = k === 1 ? 0 : orderEnd[k - 2]!; // the contexts: the nodes of order k − 1
    const hi = nodes;
    // the context of position i: the (k−1)-gram ending just before it (-1: none); <s> starts a poem and is predicted only at order 1
    const contextOf = new Int32Array(T);
    for (let i = 0; i < T; i++) contextOf[i] = k === 1 ? 0 : stream[i] === BOS ? -1 : at[i - 1]!;
    // positions grouped by context (a counting sort)
    const start = new Int32Array(hi - lo + 1);
    for (let i = 0; i < T; i++) if (contextOf[i]! >= 0) start[contextOf[i]! - lo + 1]!++;
    for (let g = 0; g < hi - lo; g++) start[g + 1]! += start[g]!;
    const grouped = new Int32Array(start[hi - lo]!); // the positions, by context
    const symbols = new Int32Array(grouped.length); // and their symbols (read in order below, not at random)
    const fill = start.slice(0, hi - lo);
    for (let i = 0; i < T; i++) {
      if (contextOf[i]! < 0) continue;
      const j = fill[contextOf[i]! - lo]!++;
      grouped[j] = i;
      symbols[j] = stream[i]!;
    }
    const need = nodes + grouped.length + 2; // at most one node per position
    word = fit(word, need); count = fit(count, need); cont = fit(cont, need); info = fit(info, need); childStart = fit(childStart, need);
    const next = new Int32Array(T).fill(-1);
    for (let h = lo; h < hi; h++) {
      childStart[h] = nodes;
      for (let j = start[h - lo]!; j < start[h - lo + 1]!; j++) counter.add(symbols[j]!, grouped[j]!);
      const n = counter.flush();
      for (let j = 0; j < n; j++) {
        const id = nodes++;
        const w = counter.sorted[j]!;
        word[id] = w;
        count[id] = counter.counts[j]!;
        info[id] = k === 1 ? (w === BOS ? 0x81 : 1) : k | (info[h]! & 0x80);
        if (k >= 2) cont[at[counter.first[j]!]!]!++; // its suffix: the (k−1)-gram ending at the same position
        slot[w] = id;
      }
      for (let j = start[h - lo]!; j < start[h - lo + 1]!; j++) next[grouped[j]!] = slot[symbols[j]!]!;
    }
    orderEnd.push(nodes);
    at = next;
  }
  for (let h = orderEnd[N - 1]!; h <= nodes; h++) childStart[h] = nodes; // order n: no children
  const size = nodes;
  for (let node = 1; node < size; node++) {
    if (info[node] === 0x81) count[node] = 0; // the <s> unigram: a context only
    else if ((info[node]! & 0x7f) < N && !(info[node]! & 0x80)) count[node] = cont[node]!;
  }
  return { word: word.slice(0, size), count: count.slice(0, size), info: info.slice(0, size), childStart: childStart.slice(0, size + 1), orderEnd };
}

/**
 * Trains the fluency judge on `texts` (the train split's poems, all forms). Throws on no text.
 *
 * The n-grams are the nodes of a trie built one order at a time: node 0 the empty context, the
 * nodes of order k the children of those of order k−1, each node's children contiguous and sorted
 * by symbol (childStart[h] … childStart[h+1]), found by binary search. Each n-gram of order k < n
 * counts its distinct left extensions (Kneser-Ney's continuation count), except those starting
 * with `<s>` (which cannot be extended) and those of order n, which keep their own counts.
 */
export function fluencyJudge(texts: Iterable<string>, opts: FluencyOptions = {}): FluencyJudge {
  const N = opts.order ?? 4;
  if (!Number.isInteger(N) || N < 2 || N > 8) throw new RangeError(`order must be an integer from 2 to 8, got ${N}`);
  const alphabet = new Alphabet(3);
  // the training stream: <s> c1 … cm </s> per poem
  let stream = new Int32Array(1 << 16);
  let T = 0;
  for (const text of texts) {
    stream = grow(stream, T + text.length + 2);
    stream[T++] = BOS;
    for (const ch of text) if (!WHITESPACE.test(ch)) stream[T++] = alphabet.add(ch.codePointAt(0)!);
    stream[T++] = END;
  }
  if (T === 0) throw new RangeError('the fluency judge needs at least one training text');
  const V = alphabet.size; // symbol ids 0 … V−1, <s> included

  const { word, count, info, childStart, orderEnd } = countNgrams(stream.subarray(0, T), V, N);
  const orderOf = (node: number) => info[node]! & 0x7f;
  const ofCount = Array.from({ length: N + 1 }, () => new Float64Array(5));
  for (let node = 1; node < count.length; node++) if (count[node]! <= 4) ofCount[orderOf(node)]![count[node]!]!++;
  const discount = ofCount.map((n) => {
    const y = n[1]! / (n[1]! + 2 * n[2]!);
    const d = [0, 1 - 2 * y * (n[2]! / n[1]!), 2 - 3 * y * (n[3]! / n[2]!), 3 - 4 * y * (n[4]! / n[3]!)];
    // a tiny corpus can leave a count-of-counts empty: a plain discount then
    return d.map((x, j) => (j === 0 ? 0 : Number.isFinite(x) && x > 0 && x < j ? x : Math.min(0.75, j)));
  });
  // each context's total and the mass its discounts free for the order below: γ(h) = freed(h) / total(h)
  const total = new Float64Array(orderEnd[N - 1]!);
  const freed = new Float64Array(orderEnd[N - 1]!);
  for (let h = 0; h < total.length; h++) {
    for (let x = childStart[h]!; x < childStart[h + 1]!; x++) {
      const a = count[x]!;
      if (a === 0) continue;
      total[h] += a;
      freed[h] += discount[orderOf(x)]![Math.min(a, 3)]!;
    }
  }

  const symbols = ['</s>', '<unk>', ...alphabet.symbols];
  const uniform = 1 / (V - 1); // every symbol but <s>
  const ctx = new Int32Array(N); // ctx[j]: the node of the last j symbols, or -1
  const nextCtx = new Int32Array(N);

  /** P(w | ctx), from the uniform distribution up the orders; the nodes of the new context into `into`. */
  function prob(w: number, into: Int32Array | null): number {
    let p = uniform;
    if (into) into.fill(-1);
    for (let k = 1; k <= N; k++) {
      const h = ctx[k - 1]!;
      if (h < 0 || total[h] === 0) break; // no longer context was seen either
      const x = findInRow(word, childStart[h]!, childStart[h + 1]!, w);
      const a = x >= 0 ? count[x]! : 0;
      p = (a > 0 ? a - discount[k]![Math.min(a, 3)]! : 0) / total[h]! + (freed[h]! / total[h]!) * p;
      if (into && k < N) into[k] = x;
    }
    return p;
  }

  const idOf = (ch: string): number => {
    const id = alphabet.get(ch.codePointAt(0)!);
    return id < 0 ? UNK : id;
  };
  /** The context of a poem's start: (<s>). */
  function begin(): void {
    ctx.fill(-1);
    ctx[0] = 0;
    ctx[1] = findInRow(word, childStart[0]!, childStart[1]!, BOS);
  }
  function advance(w: number): number {
    const p = prob(w, nextCtx);
    nextCtx[0] = 0;
    ctx.set(nextCtx);
    return p;
  }

  const judge: FluencyJudge = {
    order: N,
    symbols,
    score(text) {
      begin();
      let logProb = 0, tokens = 0;
      for (const ch of text) {
        if (WHITESPACE.test(ch)) continue;
        logProb += Math.log(advance(idOf(ch)));
        tokens++;
      }
      logProb += Math.log(advance(END));
      return { logProb, tokens: tokens + 1 };
    },
    perplexity(text) {
      const s = judge.score(text);
      return Math.exp(-s.logProb / s.tokens);
    },
    corpusPerplexity(texts) {
      let logProb = 0, tokens = 0;
      for (const t of texts) {
        const s = judge.score(t);
        logProb += s.logProb;
        tokens += s.tokens;
      }
      if (tokens === 0) throw new RangeError('corpusPerplexity needs at least one text');
      return Math.exp(-logProb / tokens);
    },
    distribution(prefix) {
      begin();
      for (const ch of prefix) if (!WHITESPACE.test(ch)) advance(idOf(ch));
      const out = new Float64Array(symbols.length);
      for (let w = END; w < V; w++) out[w - 1] = prob(w, null);
      return out;
    },
  };
  return judge;
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Topic: title characters ↔ poem characters.

export interface TopicOptions {
  /** Prior strength μ of the smoothed share (n(t,c) + μ·P(c)) / (n(t) + μ); default 20. */
  mu?: number;
}

export interface TopicJudge {
  /**
   * How well `text` goes with `title`: the mean over the poem's distinct Han characters of
   * log P(c | title) / P(c) (0: the title says nothing, e.g. none of its characters is known).
   * The title is cleaned as the corpus cleans titles.
   */
  score(title: string, text: string): number;
  /**
   * 1 + the number of `distractorTitles` whose score for `text` is at least the true title's
   * (ties count against the true title): 1 is first.
   */
  rankOfTrueTitle(text: string, trueTitle: string, distractorTitles: readonly string[]): number;
}

/** The distinct Han characters of a string, as code points. */
function hanSet(s: string): number[] {
  const out = new Set<number>();
  for (const ch of s) if (isHan(ch)) out.add(ch.codePointAt(0)!);
  return [...out];
}

/**
 * Trains the topic judge on `poems` (the train split; untitled poems count only for P(c)).
 * n(t, c) is kept as one sorted row of poem characters per title character.
 */
export function topicJudge(poems: Iterable<JudgedPoem>, opts: TopicOptions = {}): TopicJudge {
  const mu = opts.mu ?? 20;
  if (!(mu > 0)) throw new RangeError(`mu must be positive, got ${mu}`);
  const titleChars = new Alphabet(0);
  const poemChars = new Alphabet(0);
  // each poem's distinct characters (chars[charStart[p] … charStart[p+1]]) and its title's
  let chars = new Int32Array(1 << 16), charStart = new Int32Array(1 << 12);
  let titleOf = new Int32Array(1 << 12), titleStart = new Int32Array(1 << 12);
  let all = 0;
  for (const poem of poems) {
    const cs = hanSet(poem.text), ts = hanSet(cleanTitle(poem.title));
    charStart = grow(charStart, all + 2);
    titleStart = grow(titleStart, all + 2);
    chars = grow(chars, charStart[all]! + cs.length);
    titleOf = grow(titleOf, titleStart[all]! + ts.length);
    let c = charStart[all]!, t = titleStart[all]!;
    for (const cp of cs) chars[c++] = poemChars.add(cp);
    for (const cp of ts) titleOf[t++] = titleChars.add(cp);
    charStart[all + 1] = c;
    titleStart[all + 1] = t;
    all++;
  }
  if (all === 0) throw new RangeError('the topic judge needs at least one training poem');
  const holding = new Int32Array(poemChars.size); // poems holding c
  for (let j = 0; j < charStart[all]!; j++) holding[chars[j]!]!++;
  // the poems of each title character (a counting sort); n(t) is the length of its list
  const T = titleChars.size;
  const listStart = new Int32Array(T + 1);
  for (let j = 0; j < titleStart[all]!; j++) listStart[titleOf[j]! + 1]!++;
  for (let t = 0; t < T; t++) listStart[t + 1]! += listStart[t]!;
  const lists = new Int32Array(listStart[T]!);
  const fill = listStart.slice(0, T);
  for (let p = 0; p < all; p++) for (let j = titleStart[p]!; j < titleStart[p + 1]!; j++) lists[fill[titleOf[j]!]!++] = p;
  // row t: the poem characters c with n(t, c) > 0, ascending (cols), and n(t, c) (vals)
  const rowStart = new Int32Array(T + 1);
  let cols = new Int32Array(1 << 16), vals = new Int32Array(1 << 16);
  const counter = new GroupCounter(poemChars.size);
  for (let t = 0; t < T; t++) {
    for (let j = listStart[t]!; j < listStart[t + 1]!; j++) {
      const p = lists[j]!;
      for (let k = charStart[p]!; k < charStart[p + 1]!; k++) counter.add(chars[k]!, p);
    }
    const n = counter.flush();
    cols = grow(cols, rowStart[t]! + n);
    vals = grow(vals, rowStart[t]! + n);
    cols.set(counter.sorted.subarray(0, n), rowStart[t]!);
    vals.set(counter.counts.subarray(0, n), rowStart[t]!);
    rowStart[t + 1] = rowStart[t]! + n;
  }

  /** The poem's known characters with their background share P(c) (a character never seen says nothing). */
  function poemSide(text: string): { ids: number[]; share: number[] } {
    const ids: number[] = [], share: number[] = [];
    for (const cp of hanSet(text)) {
      const c = poemChars.get(cp);
      if (c >= 0) {
        ids.push(c);
        share.push(holding[c]! / all);
      }
    }
    return { ids, share };
  }

  function scoreSide(title: string, side: { ids: number[]; share: number[] }): number {
    const ts = hanSet(cleanTitle(title)).map((cp) => titleChars.get(cp)).filter((t) => t >= 0);
    if (ts.length === 0 || side.ids.length === 0) return 0;
    let sum = 0;
    for (let i = 0; i < side.ids.length; i++) {
      const c = side.ids[i]!, pc = side.share[i]!;
      let p = 0;
      for (const t of ts) {
        const x = findInRow(cols, rowStart[t]!, rowStart[t + 1]!, c);
        p += ((x >= 0 ? vals[x]! : 0) + mu * pc) / (listStart[t + 1]! - listStart[t]! + mu);
      }
      sum += Math.log(p / ts.length / pc);
    }
    return sum / side.ids.length;
  }

  return {
    score: (title, text) => scoreSide(title, poemSide(text)),
    rankOfTrueTitle(text, trueTitle, distractorTitles) {
      const side = poemSide(text);
      const own = scoreSide(trueTitle, side);
      let rank = 1;
      for (const d of distractorTitles) if (scoreSide(d, side) >= own) rank++;
      return rank;
    },
  };
}

/**
 * `k` titles of `pool` for poem `index` whose title is `trueTitle`: drawn by (seed, index, draw),
 * each non-empty, different from the true title and from each other (after cleaning), so the same
 * (seed, index, true title) always meets the same distractors, whatever poem it is. Fewer than `k`
 * only when the pool has too few distinct titles.
 */
export function drawDistractors(pool: readonly string[], index: number, trueTitle: string, k = 9, seed = 0): string[] {
  const own = cleanTitle(trueTitle);
  const chosen = new Set<string>();
  const out: string[] = [];
  for (let draw = 0; out.length < k && draw < 50 * k + 100 && pool.length; draw++) {
    const r = mix32((mix32((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0) + draw) >>> 0);
    const t = cleanTitle(pool[r % pool.length]!);
    if (t === '' || t === own || chosen.has(t)) continue;
    chosen.add(t);
    out.push(t);
  }
  return out;
}

/** What `topicFigure` measured. */
export interface TopicFigure {
  /** the share of judged poems whose true title ranks first among 1 + `distractors` */
  top1: number;
  /** the mean rank of the true title (1 best) */
  meanRank: number;
  /** poems judged (those with a non-empty title) */
  poems: number;
}

/**
 * The topic figure of `poems`: each poem's true title ranked among `distractors` (default 9) titles
 * of `pool` drawn by drawDistractors(pool, index, title, distractors, seed), where a poem's index is
 * its position, or `indices[i]` when given (so a subset meets the distractors of the whole). Poems
 * without a title are skipped.
 */
export function topicFigure(
  judge: TopicJudge,
  poems: readonly JudgedPoem[],
  pool: readonly string[],
  seed = 0,
  distractors = 9,
  indices?: readonly number[],
): TopicFigure {
  let first = 0, rankSum = 0, n = 0;
  poems.forEach((p, i) => {
    if (cleanTitle(p.title) === '') return;
    const rank = judge.rankOfTrueTitle(p.text, p.title, drawDistractors(pool, indices?.[i] ?? i, p.title, distractors, seed));
    n++;
    rankSum += rank;
    if (rank === 1) first++;
  });
  return { top1: n ? first / n : 0, meanRank: n ? rankSum / n : 0, poems: n };
}
