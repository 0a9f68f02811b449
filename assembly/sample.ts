/**
 * Plain sampling of generation (Kernels.sampleList; the JS twin is src/poetry/generate.ts
 * `choose`): one draw among a row's candidates, weighted by exp of their scaled logits.
 *
 * Contract: not split; the draw depends on this row's scores, ids and u alone.
 */
import { exp4, expScalar, hsum } from './math';

// ---------------------------------------------------------------------------------------------
// Sampling one candidate of a logits row (generation; src/poetry/generate.ts plain sampling).
// ---------------------------------------------------------------------------------------------

/** scores[ids[i]] for the four i of a block, as one vector (a gather: no wasm instruction for it). */
// @ts-ignore: decorator
@inline function gather4(scores: usize, ids: usize): v128 {
  let v = f32x4.splat(load<f32>(scores + (<usize>load<i32>(ids) << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(scores + (<usize>load<i32>(ids, 4) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(scores + (<usize>load<i32>(ids, 8) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(scores + (<usize>load<i32>(ids, 12) << 2)));
}

/** The max of the candidates' scores, set by `weights` (a second result). */
let listMax: f32 = 0;

/**
 * w_i = exp((scores[ids[i]] − max) · invT) into w[0:n] (max over the candidates, kept in listMax),
 * in f32; returns Σ w summed over blocks of four, each block's sum (w0 + w1) + (w2 + w3) added in
 * f64 in order (a lone tail element is its own block). scores [V], ids [n], w [n].
 */
// @ts-ignore: decorator
@inline function weights(scores: usize, ids: usize, n: i32, invT: f32, w: usize): f64 {
  // the candidates' scores gathered into w (once), and their max
  let mx: f32 = -Infinity;
  const n4 = ASC_FEATURE_SIMD ? n & ~3 : 0;
  if (ASC_FEATURE_SIMD) {
    let vmax = f32x4.splat(-Infinity);
    for (let i = 0; i < n4; i += 4) {
      const v = gather4(scores, ids + <usize>i * 4);
      v128.store(w + <usize>i * 4, v);
      vmax = f32x4.max(vmax, v);
    }
    mx = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
  }
  for (let j = n4; j < n; j++) {
    const v = load<f32>(scores + (<usize>load<i32>(ids + <usize>j * 4) << 2));
    store<f32>(w + <usize>j * 4, v);
    mx = max(mx, v);
  }
  listMax = mx;
  // the weights, in place
  let total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vmax = f32x4.splat(mx), vt = f32x4.splat(invT);
    for (let i = 0; i < n4; i += 4) {
      const e = exp4(f32x4.mul(f32x4.sub(v128.load(w + <usize>i * 4), vmax), vt));
      v128.store(w + <usize>i * 4, e);
      total += <f64>hsum(e);
    }
  }
  for (let j = n4; j < n; j++) {
    const e = expScalar((load<f32>(w + <usize>j * 4) - mx) * invT);
    store<f32>(w + <usize>j * 4, e);
    total += <f64>e;
  }
  return total;
}

/**
 * Draws one of the candidates ids[0:n] of a logits row: the weights w[0:n] of `weights`; returns
 * the first i whose running sum exceeds u · Σ w (u in [0, 1)), or n − 1 when rounding leaves none.
 * It depends on this row's scores and ids alone (a poem draws the same in any batch).
 * scores [V], ids [n], w [n].
 */
export function sampleList(scores: usize, ids: usize, n: i32, invT: f32, u: f64, w: usize): i32 {
  if (n <= 1) return 0;
  const total = weights(scores, ids, n, invT, w);
  const n4 = ASC_FEATURE_SIMD ? n & ~3 : 0;
  const i = n4;
  const target = u * total;
  let acc: f64 = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k < i; k += 4) {
      const b = <f64>hsum(v128.load(w + <usize>k * 4));
      if (acc + b > target) {
        // the block that crosses: its elements one by one
        for (let j = k; j < k + 3; j++) {
          acc += <f64>load<f32>(w + <usize>j * 4);
          if (acc > target) return j;
        }
        return k + 3;
      }
      acc += b;
    }
  }
  for (; k < n; k++) {
    acc += <f64>load<f32>(w + <usize>k * 4);
    if (acc > target) return k;
  }
  return n - 1;
}

/**
 * log Σ_i exp(scores[ids[i]]) over the candidates ids[0:n] (n ≥ 1): max + log Σ w with the weights
 * of `weights` at invT 1, the sum in f64 (a log-probability under the rules: generate.ts measures a
 * chosen token against the ids it was chosen from). scores [V], ids [n], w [n] (scratch).
 */
export function logSumExpList(scores: usize, ids: usize, n: i32, w: usize): f64 {
  const total = weights(scores, ids, n, 1, w);
  return <f64>listMax + Math.log(total);
}
