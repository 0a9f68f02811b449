/**
 * Sampling numerics of the decoder (generate.ts): which of a slot's allowed characters to take,
 * given the model's scores. Nothing here knows poems, forms or rules: a step hands over the
 * logits row [V] and the allowed ids, and gets one id back.
 *
 * - `choose`: greedy, temperature, top-k and top-p sampling over ids[0:count]. It is the naive
 *   twin of the kernels' `Kernels.sampleList` (f32 SIMD exponentials; src/engine/kernels.ts):
 *   plain sampling goes there when the model has a sampler, a mock or f64 model samples here.
 * - `topIds`: the n best ids by score (top-k, beam search), O(count + n log n) expected.
 * - `expNeg`, `logSumExp`: the exponentials they take, and why they are written by hand.
 * - `penalise`/`unpenalise`: the repetition penalty, applied to the model's row in place.
 *
 * Shapes: V vocabulary size; ids are vocabulary ids, scores a logits row [V].
 */
import type { Vocab } from '../data/vocab.ts';
import type { ListSampler } from '../nn/lm.ts';

/** Softmax temperature when none is given. */
export const DEFAULT_TEMPERATURE = 0.8;
/**
 * Temperatures below this are greedy: 1/T would overflow float32 (the kernels' sampler) below
 * about 3e-39 and write junk, and long before that a temperature picks the best character anyway.
 */
export const MIN_TEMPERATURE = 1e-6;

/** A uniform random source in [0, 1) (src/nn/rng.ts's Rng). */
export interface RandomSource {
  next(): number;
}

/**
 * Scratch of one thread's decoding (never shared across threads; reused by every poem of a batch).
 * Shapes: [V] each.
 */
export interface Scratch {
  ids: Int32Array; // the allowed ids of one hypothesis, ascending
  order: Int32Array; // a permutation of some of them (top-k / top-p selection)
  saved: Float32Array; // logits of the used ids while penalised (penalise)
  weights: Float64Array; // sampling weights, in `kept` order
  guided: Float32Array; // scores combined from two rows (generate.ts guided sampling), at the allowed ids
}
const scratchCache = new WeakMap<Vocab, Scratch>();
export function scratchFor(vocab: Vocab): Scratch {
  let s = scratchCache.get(vocab);
  if (!s) {
    const V = vocab.size;
    s = { ids: new Int32Array(V), order: new Int32Array(V), saved: new Float32Array(V), weights: new Float64Array(V), guided: new Float32Array(V) };
    scratchCache.set(vocab, s);
  }
  return s;
}

/**
 * The repetition penalty on a hypothesis's logits row [V], in place: the used ids' logits are
 * divided (positive) or multiplied (negative) by `penalty`, their old values kept in saved[0:U]
 * for `unpenalise`. The row is the model's, lent until its next step: changing U entries and
 * putting them back is cheaper than copying V.
 */
export function penalise(row: Float32Array, used: readonly number[], penalty: number, saved: Float32Array): void {
  if (penalty === 1) return;
  for (let k = 0; k < used.length; k++) {
    const x = (saved[k] = row[used[k]]);
    row[used[k]] = x > 0 ? x / penalty : x * penalty;
  }
}

export function unpenalise(row: Float32Array, used: readonly number[], penalty: number, saved: Float32Array): void {
  if (penalty === 1) return;
  for (let k = 0; k < used.length; k++) row[used[k]] = saved[k];
}

/** log Σ exp over all V (for log-probabilities under the model's full distribution). */
export function logSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i] - max);
  return max + Math.log(sum);
}

/** log Σ exp(x[ids[i]]) over ids[0:n], n ≥ 1 (Kernels.logSumExpList's JavaScript twin). */
export function logSumExpAmong(x: Float32Array, ids: Int32Array, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[ids[i]] > max) max = x[ids[i]];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(x[ids[i]] - max);
  return max + Math.log(sum);
}

/** 2^−n for n = 0 … 1099 (expNeg's scale). */
const POW2_NEG = Float64Array.from({ length: 1100 }, (_, n) => 2 ** -n);

/**
 * e^x for x ≤ 0, relative error < 1e-8: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor
 * polynomial of degree 7 (error ≤ r^8/8! ≈ 5e-9), times 2^n from a table. Cheaper than Math.exp
 * in V8 (bench/README.md), and the sampler needs one per allowed character (naive: Math.exp).
 * n is Math.round(x·log2 e), written floor(y + 0.5): for −1075 ≤ y ≤ 0 the sum is exact (or, for
 * y > −0.5, rounds within [0, 0.5]), so n is the same integer, but V8 compiles Math.round to a
 * branch that random y mispredict and floor to one instruction.
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
export interface Sampling {
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
export function choose(scores: Float32Array, ids: Int32Array, count: number, sampling: Sampling, rng: RandomSource, sc: Scratch, sampler?: ListSampler): number {
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
