/**
 * Plain sampling of generation (Kernels.sampleList; the JS twin is src/poetry/generate.ts
 * `choose`): one draw among a row's candidates, weighted by exp of their scaled logits; a guided
 * draw from two rows with both rows' log Σ exp (guidedSample); log Σ exp alone (logSumExpList).
 *
 * Contract: not split; the draw depends on this row's scores, ids and u alone (a guided draw on
 * its two rows, ids and r alone).
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
  // the candidates' scores gathered into w (once), and their max: pmax, one instruction (f32x4.max's
  // NaN rules cost several); a NaN score it passes over still makes its weight and the sum NaN,
  // so the draw is n − 1 as with max
  let mx: f32 = -Infinity;
  const n4 = ASC_FEATURE_SIMD ? n & ~3 : 0;
  if (ASC_FEATURE_SIMD) {
    let vmax = f32x4.splat(-Infinity);
    for (let i = 0; i < n4; i += 4) {
      const v = gather4(scores, ids + <usize>i * 4);
      v128.store(w + <usize>i * 4, v);
      vmax = f32x4.pmax(vmax, v);
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
 * The first i whose running sum of w[0:n] exceeds target, or n − 1 when rounding leaves none: the
 * sums run over blocks of four as `weights` summed them (a lone tail element is its own block). w [n].
 */
// @ts-ignore: decorator
@inline function pick(w: usize, n: i32, target: f64): i32 {
  const n4 = ASC_FEATURE_SIMD ? n & ~3 : 0;
  let acc: f64 = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k < n4; k += 4) {
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
 * Draws one of the candidates ids[0:n] of a logits row: the weights w[0:n] of `weights`; returns
 * the first i whose running sum exceeds u · Σ w (u in [0, 1)), or n − 1 when rounding leaves none.
 * It depends on this row's scores and ids alone (a poem draws the same in any batch).
 * scores [V], ids [n], w [n].
 */
export function sampleList(scores: usize, ids: usize, n: i32, invT: f32, u: f64, w: usize): i32 {
  if (n <= 1) return 0;
  const total = weights(scores, ids, n, invT, w);
  return pick(w, n, u * total);
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

/**
 * Guided sampling with its measurement in one pass over the candidates ids[0:n] (n ≥ 1) of two
 * rows (generate.ts: a candidate on a given title and its untitled twin): g_i = t_i + γ·(t_i − u_i)
 * with t_i = t[ids[i]], u_i = u[ids[i]]; draws i as sampleList draws from g (weights
 * exp((g_i − max g)·invT), the first running sum over r · Σ); writes out[0] = log Σ exp t_i and
 * out[1] = log Σ exp u_i (the draw's log-probability among the candidates under each row is then
 * t[id] − out[0], u[id] − out[1]). t [V], u [V], ids [n], w [3n] scratch (t_i, u_i, then the
 * weights), out [2].
 */
export function guidedSample(t: usize, u: usize, ids: usize, n: i32, gamma: f32, invT: f32, r: f64, w: usize, out: usize): i32 {
  const wt = w, wu = w + (<usize>n << 2), wg = w + (<usize>n << 3);
  const n4 = ASC_FEATURE_SIMD ? n & ~3 : 0;
  // the candidates' two scores and their guided combination, gathered once, and the three maxima
  let mt: f32 = -Infinity, mu: f32 = -Infinity, mg: f32 = -Infinity;
  if (ASC_FEATURE_SIMD) {
    const vgamma = f32x4.splat(gamma);
    let xt = f32x4.splat(-Infinity), xu = f32x4.splat(-Infinity), xg = f32x4.splat(-Infinity);
    for (let i = 0; i < n4; i += 4) {
      const vt = gather4(t, ids + <usize>i * 4), vu = gather4(u, ids + <usize>i * 4);
      const vg = f32x4.add(vt, f32x4.mul(vgamma, f32x4.sub(vt, vu)));
      v128.store(wt + <usize>i * 4, vt);
      v128.store(wu + <usize>i * 4, vu);
      v128.store(wg + <usize>i * 4, vg);
      xt = f32x4.pmax(xt, vt);
      xu = f32x4.pmax(xu, vu);
      xg = f32x4.pmax(xg, vg);
    }
    mt = max(max(f32x4.extract_lane(xt, 0), f32x4.extract_lane(xt, 1)), max(f32x4.extract_lane(xt, 2), f32x4.extract_lane(xt, 3)));
    mu = max(max(f32x4.extract_lane(xu, 0), f32x4.extract_lane(xu, 1)), max(f32x4.extract_lane(xu, 2), f32x4.extract_lane(xu, 3)));
    mg = max(max(f32x4.extract_lane(xg, 0), f32x4.extract_lane(xg, 1)), max(f32x4.extract_lane(xg, 2), f32x4.extract_lane(xg, 3)));
  }
  for (let j = n4; j < n; j++) {
    const id = <usize>load<i32>(ids + <usize>j * 4) << 2;
    const vt = load<f32>(t + id), vu = load<f32>(u + id);
    const vg = vt + gamma * (vt - vu);
    store<f32>(wt + <usize>j * 4, vt);
    store<f32>(wu + <usize>j * 4, vu);
    store<f32>(wg + <usize>j * 4, vg);
    mt = max(mt, vt);
    mu = max(mu, vu);
    mg = max(mg, vg);
  }
  // Σ exp of each, the guided weights in place
  let st: f64 = 0, su: f64 = 0, total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    const vmt = f32x4.splat(mt), vmu = f32x4.splat(mu), vmg = f32x4.splat(mg), vt = f32x4.splat(invT);
    for (let i = 0; i < n4; i += 4) {
      st += <f64>hsum(exp4(f32x4.sub(v128.load(wt + <usize>i * 4), vmt)));
      su += <f64>hsum(exp4(f32x4.sub(v128.load(wu + <usize>i * 4), vmu)));
      const e = exp4(f32x4.mul(f32x4.sub(v128.load(wg + <usize>i * 4), vmg), vt));
      v128.store(wg + <usize>i * 4, e);
      total += <f64>hsum(e);
    }
  }
  for (let j = n4; j < n; j++) {
    st += <f64>expScalar(load<f32>(wt + <usize>j * 4) - mt);
    su += <f64>expScalar(load<f32>(wu + <usize>j * 4) - mu);
    const e = expScalar((load<f32>(wg + <usize>j * 4) - mg) * invT);
    store<f32>(wg + <usize>j * 4, e);
    total += <f64>e;
  }
  store<f32>(out, <f32>(<f64>mt + Math.log(st)));
  store<f32>(out, <f32>(<f64>mu + Math.log(su)), 4);
  return pick(wg, n, r * total);
}
