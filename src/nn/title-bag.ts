/**
 * The title bag (config.titleBag; issue 21): the mean embedding of the title characters read so
 * far, m_t = (1/c_t) Σ_{s ≤ t, s a title position} x_s, where x_s is row s's input embedding and the
 * title positions of a sequence are its inputs before the first `<sep>` that are not control
 * symbols (`<bos> <form> title <sep> poem`: the title's characters; none for an untitled poem,
 * whose m stays 0). The model adds A m_t to its tied projection (model.ts), so every position
 * reads the title directly instead of only through the recurrent state.
 *
 * A forward/backward pair (llm.c style, outputs first; backward accumulates) over time-major
 * sequences, in plain loops: N·E additions, nothing beside the step's products.
 *
 * Legend: T steps, B sequences, N = T·B rows (time-major: row t·B + b), E embed, V vocabulary.
 */
import type { FloatArray } from '../engine/kernels.ts';

/**
 * Which ids can be title positions ([V], 1 for characters and marks, 0 for the special and
 * control symbols) and the id of `<sep>`, which closes the title.
 */
export interface TitleTokens {
  titleable: Uint8Array;
  sep: number;
}

/**
 * out[outAt:outAt+E] = (c·prev[prevAt:…] + x[xAt:…]) / (c + 1): the bag of c characters with one
 * more added, the arithmetic both the forward pass and the generation step use (so a step's m is
 * the forward pass's, bit for bit). prev may be out (in place).
 */
export function bagAdd<F extends FloatArray>(out: F, outAt: number, prev: F, prevAt: number, x: F, xAt: number, c: number, E: number): void {
  for (let e = 0; e < E; e++) out[outAt + e] = ((c > 0 ? prev[prevAt + e]! * c : 0) + x[xAt + e]!) / (c + 1);
}

/**
 * m [N,E] (overwritten) from the inputs ids [N] and their embeddings emb [N,E]; count [N] (out)
 * c_t, the title positions up to t (0: m_t = 0), and isTitle [N] (out) 1 where row t is a title
 * position (backward reads both).
 */
export function titleBagForward<F extends FloatArray>(
  m: F, count: F, isTitle: Uint8Array, emb: F, ids: Int32Array, tokens: TitleTokens, T: number, B: number, E: number,
): void {
  for (let b = 0; b < B; b++) {
    let open = true;
    let c = 0;
    for (let t = 0; t < T; t++) {
      const row = t * B + b;
      const id = ids[row]!;
      if (id === tokens.sep) open = false;
      const take = open && tokens.titleable[id] === 1;
      isTitle[row] = take ? 1 : 0;
      const out = row * E;
      if (take) {
        // m_t = (c_{t−1}·m_{t−1} + x_t) / c_t, from the previous row's mean
        bagAdd(m, out, m, (row - B) * E, emb, row * E, c, E);
        c++;
      } else if (c > 0) {
        m.copyWithin(out, (row - B) * E, (row - B + 1) * E);
      } else {
        m.fill(0, out, out + E);
      }
      count[row] = c;
    }
  }
}

/**
 * dEmbTable [V,E] += the title bag's share of the input embeddings' gradient, from dm [N,E]:
 * a title position s gathers Σ_{t ≥ s} dm_t / c_t (c_t ≥ 1 there), summed from the last step down.
 * `scratch` [E].
 */
export function titleBagBackward<F extends FloatArray>(
  dEmbTable: F, dm: F, count: F, isTitle: Uint8Array, ids: Int32Array, scratch: F, T: number, B: number, E: number,
): void {
  for (let b = 0; b < B; b++) {
    scratch.fill(0, 0, E);
    for (let t = T - 1; t >= 0; t--) {
      const row = t * B + b;
      const c = count[row]!;
      if (c > 0) for (let e = 0; e < E; e++) scratch[e]! += dm[row * E + e]! / c;
      if (isTitle[row]) {
        const to = ids[row]! * E;
        for (let e = 0; e < E; e++) dEmbTable[to + e]! += scratch[e]!;
      }
    }
  }
}
