/**
 * Ascending lists of token ids, as the plans keep them (a poem's used characters, a title's) and
 * as the sampler reads the allowed ones: insert one, copy a list less another.
 */

/** Inserts `id` into the ascending `ids` unless it is there. */
export function addSorted(ids: number[], id: number): void {
  let i = ids.length;
  while (i > 0 && ids[i - 1] > id) i--;
  if (i > 0 && ids[i - 1] === id) return;
  ids.splice(i, 0, id);
}

/** Plain memory for copyExcept to compact in (grown as needed; generation runs on one thread). */
let compactScratch = new Int32Array(0);

/** Whether `a` lies in shared memory (the kernels' WebAssembly memory); false where there is none. */
function isShared(a: Int32Array): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/**
 * Writes the ids of `list` (ascending) that are not in `skip` (ascending: a poem's used ids, a
 * title's) to out[at:], ascending; returns the new end. Into shared memory (the sampler's ids, in
 * the kernels' memory) every block copy costs several times what it costs in plain memory (V8
 * copies shared buffers word by word), so the list is compacted in plain memory and copied once.
 */
export function copyExcept(list: Int32Array, skip: readonly number[], out: Int32Array, at: number): number {
  if (!skip.length || !isShared(out)) return compactExcept(list, skip, out, at);
  if (compactScratch.length < list.length) compactScratch = new Int32Array(list.length);
  const n = compactExcept(list, skip, compactScratch, 0);
  out.set(compactScratch.subarray(0, n), at);
  return at + n;
}

/**
 * copyExcept's work: one block copy of the whole list, then a binary search finds each skipped id
 * and the run after it moves down over it (memmove, no allocation): a few thousand ids cost far
 * less than copying them one by one.
 */
function compactExcept(list: Int32Array, skip: readonly number[], out: Int32Array, at: number): number {
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
