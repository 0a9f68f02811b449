/**
 * The int8 generation product (Kernels.quantizeRows, quantizeWeights, gemmNTInt8): exact integer
 * dot products of quantized activations and weights, then one f32 scaling per element.
 *
 * Contract: every result is exact before the scaling, so all builds, tilings and splits agree bit
 * for bit; gemmNTInt8 is split like gemmNT (splitNT of gemm.ts).
 */
import { partM0, partM1, partN0, partN1, splitNT } from './gemm';

// ---------------------------------------------------------------------------------------------
// int8 generation products (Kernels.gemmNTInt8): C = (A quantized) · (W int8)ᵀ, exact in i32.
// A row of activations is quantized with its own scale (max |a| ↦ 63) and stored offset by 64,
// u = q + 64 in [1, 127]; a weight row to int8 with its own scale (max |w| ↦ 127) and its sum
// wsum = Σ_k w. Each dot product is an exact integer, Σ_k w·q = Σ_k w·u − 64·wsum (|·| ≤ 127 ·
// 127 · Kp, far below 2^31), so the order of the sum cannot matter: row m of C depends on row m of
// A alone, bit for bit, in any tiling, split, batch or build. The weights stream at a quarter of
// the f32 bytes, which is what a decoding step is bound by. Why the offset: the relaxed build
// multiplies 16 pairs per instruction (relaxed_dot_i8x16_i7x16_s), whose second operand is only
// defined in [0, 127]; the SIMD build widens both sides to i16 (dot_i16x8_s).
// Shapes: A [M,K] f32 (lda), aq [M,Kp] u8, ascale [M], wq [N,Kp] i8, wscale [N], wsum [N] i32,
// C [M,N] (ldc); Kp = K rounded up to 16, the padding q = 0 (u = 64) and w = 0.
// ---------------------------------------------------------------------------------------------

/**
 * One row a [K] f32 quantized into q [Kp] bytes: q[k] = nearest(a[k] · f32(qmax / amax)) + offset
 * (ties to even), amax = max_k |a[k]|, columns K..Kp `offset`; returns the row's scale amax / qmax
 * (0 for a zero row; NaN, every q `offset`, for a row with a non-finite entry: its products are
 * not finite) and writes Σ_k (q[k] − offset) to sum when sum is not 0.
 */
function quantizeRow(q: usize, a: usize, K: i32, Kp: i32, qmax: f32, offset: i32, sum: usize): f32 {
  // amax: max is exact in any order. The vectors take pmax (one instruction; f32x4.max's NaN and
  // signed-zero rules cost several) and note a non-finite |a| apart: amax is then Infinity, which
  // the row's outputs (every q `offset`, scale NaN) treat as the scalar NaN max
  let amax: f32 = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    let vmax = f32x4.splat(0);
    let bad = i32x4.splat(0);
    const inf = f32x4.splat(Infinity);
    for (; k + 4 <= K; k += 4) {
      const x = f32x4.abs(v128.load(a + <usize>k * 4));
      vmax = f32x4.pmax(vmax, x);
      bad = v128.or(bad, v128.not(f32x4.lt(x, inf)));
    }
    amax = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    if (v128.any_true(bad)) amax = Infinity;
  }
  for (; k < K; k++) amax = max(amax, abs(load<f32>(a + <usize>k * 4)));
  const inv: f32 = amax > 0 ? qmax / amax : 0;
  const finite = amax < Infinity;
  let total: i32 = 0;
  k = 0;
  if (ASC_FEATURE_SIMD && finite) {
    // 16 at a time, the same f32 product and ties-to-even rounding as below; q + offset lies in
    // [−127, 127], so the signed narrowings are exact and store its low byte, as store<u8> does
    const vinv = f32x4.splat(inv), voff = i32x4.splat(offset);
    let vtotal = i32x4.splat(0);
    for (; k + 16 <= K; k += 16) {
      const p = a + <usize>k * 4;
      const v0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p), vinv)));
      const v1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 16), vinv)));
      const v2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 32), vinv)));
      const v3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 48), vinv)));
      vtotal = i32x4.add(vtotal, i32x4.add(i32x4.add(v0, v1), i32x4.add(v2, v3)));
      const lo = i16x8.narrow_i32x4_s(i32x4.add(v0, voff), i32x4.add(v1, voff));
      const hi = i16x8.narrow_i32x4_s(i32x4.add(v2, voff), i32x4.add(v3, voff));
      v128.store(q + <usize>k, i8x16.narrow_i16x8_s(lo, hi));
    }
    total = i32x4.extract_lane(vtotal, 0) + i32x4.extract_lane(vtotal, 1) + i32x4.extract_lane(vtotal, 2) + i32x4.extract_lane(vtotal, 3);
  }
  for (; k < K; k++) {
    const v = finite ? <i32>nearest(load<f32>(a + <usize>k * 4) * inv) : 0;
    total += v;
    store<u8>(q + <usize>k, <u8>(v + offset));
  }
  memory.fill(q + <usize>K, <u8>offset, <usize>(Kp - K));
  if (sum) store<i32>(sum, total);
  return finite ? amax / qmax : NaN;
}

/** Activation rows: qmax and the offset 64 (Kernels.quantizeRows). */
const ACT_QMAX: f32 = 63;
const ACT_OFFSET: i32 = 64;

/** aq [M,Kp] u8 (q + 64) and ascale [M] from A [M,K] (lda): Kernels.quantizeRows. */
export function quantizeRows(aq: usize, ascale: usize, A: usize, lda: i32, M: i32, K: i32, Kp: i32): void {
  for (let m = 0; m < M; m++) {
    store<f32>(ascale + <usize>m * 4, quantizeRow(aq + <usize>m * Kp, A + <usize>m * lda * 4, K, Kp, ACT_QMAX, ACT_OFFSET, 0));
  }
}

/** wq [N,Kp] i8, wscale [N] and wsum [N] i32 from W [N,K] (contiguous), qmax 127: Kernels.quantizeWeights. */
export function quantizeWeights(wq: usize, wscale: usize, wsum: usize, W: usize, N: i32, K: i32, Kp: i32): void {
  for (let n = 0; n < N; n++) {
    store<f32>(wscale + <usize>n * 4, quantizeRow(wq + <usize>n * Kp, W + <usize>n * K * 4, K, Kp, 127, 0, wsum + <usize>n * 4));
  }
}

/** Σ of the four i32 lanes (exact). */
// @ts-ignore: decorator
@inline function isum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/**
 * acc + the products of 16 weights w (i8) and 16 activations u (u8 in [1, 127]), summed in
 * groups into four i32 lanes; exact either way (the lanes' sum is the same integer).
 */
// @ts-ignore: decorator
@inline function dot16(w: v128, u: v128, acc: v128): v128 {
  // i16 pairs (|w·u + w·u| ≤ 32258: no saturation), widened pairwise into the i32 lanes. Not
  // i32x4.relaxed_dot_i8x16_i7x16_add_s: Node 20's V8 returns twice the sum for it (x64, measured)
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, u)));
  const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), i16x8.extend_low_i8x16_u(u));
  return i32x4.add(acc, i32x4.add(lo, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), i16x8.extend_high_i8x16_u(u))));
}

/**
 * C[m, j] = f32(Σ w·u − 64·wsum_j) · wscale[j] · ascale[m] (+ C[m, j] when beta is 1), rounded
 * in that order.
 */
// @ts-ignore: decorator
@inline function storeInt8Dot(c: usize, acc: i32, wsum: i32, ws: f32, as: f32, beta: f32): void {
  const v = <f32>(acc - ACT_OFFSET * wsum) * ws * as;
  store<f32>(c, beta != 0 ? v + load<f32>(c) : v);
}

/**
 * storeInt8Dot for four adjacent columns j … j + 3 at once: the lanes of s0 … s3 summed (exact
 * integers: any order), then the same f32 conversion, products and add, lane by lane, as
 * storeInt8Dot's. c [4] (C[m, j:j+4]), wsum [4] i32 and wscale [4] at column j.
 */
// @ts-ignore: decorator
@inline function storeInt8Dots4(c: usize, s0: v128, s1: v128, s2: v128, s3: v128, wsum: usize, wscale: usize, as: f32, beta: f32): void {
  const x01 = i32x4.add(v128.shuffle<i32>(s0, s1, 0, 4, 1, 5), v128.shuffle<i32>(s0, s1, 2, 6, 3, 7));
  const x23 = i32x4.add(v128.shuffle<i32>(s2, s3, 0, 4, 1, 5), v128.shuffle<i32>(s2, s3, 2, 6, 3, 7));
  const acc = i32x4.add(v128.shuffle<i32>(x01, x23, 0, 1, 4, 5), v128.shuffle<i32>(x01, x23, 2, 3, 6, 7));
  const d = i32x4.sub(acc, i32x4.mul(i32x4.splat(ACT_OFFSET), v128.load(wsum)));
  const v = f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(d), v128.load(wscale)), f32x4.splat(as));
  v128.store(c, beta != 0 ? f32x4.add(v, v128.load(c)) : v);
}

/** One row of aq against one row of wq: Σ_k w·u over Kp (a multiple of 16), exact. */
function dotInt8(a: usize, w: usize, Kp: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    let s = i32x4.splat(0);
    for (let k = 0; k < Kp; k += 16) s = dot16(v128.load(w + <usize>k), v128.load(a + <usize>k), s);
    return isum(s);
  }
  let acc: i32 = 0;
  for (let k = 0; k < Kp; k++) acc += <i32>load<u8>(a + <usize>k) * <i32>load<i8>(w + <usize>k);
  return acc;
}

/**
 * Part `part` of nparts of C = ((aq − 64)·ascale)·(wq·wscale)ᵀ (+ C when beta is 1; beta 0 or 1 only),
 * split over columns in multiples of 4 (rows when M > N). The SIMD tile takes two rows of aq by
 * four rows of wq (8 i32x4 accumulators; an odd last row: one by four); dotInt8 is the naive
 * twin (and the scalar build's path). Every result is exact before the scaling, so all paths
 * agree bit for bit.
 */
export function gemmNTInt8(
  M: i32, N: i32, Kp: i32, aq: usize, ascale: usize, wq: usize, wscale: usize, wsum: usize, beta: f32, C: usize, ldc: i32,
  part: i32, nparts: i32, thread: i32,
): f64 {
  if (!splitNT(M, N, part, nparts)) return 0;
  const m0 = partM0, m1 = partM1, n0 = partN0, n1 = partN1;
  const ld = <usize>Kp;
  let j = n0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n1; j += 4) {
      const w0 = wq + <usize>j * ld, w1 = w0 + ld, w2 = w1 + ld, w3 = w2 + ld;
      let m = m0;
      for (; m + 2 <= m1; m += 2) {
        const a = aq + <usize>m * ld, e = a + ld;
        let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
        let t0 = i32x4.splat(0), t1 = i32x4.splat(0), t2 = i32x4.splat(0), t3 = i32x4.splat(0);
        for (let k = 0; k < Kp; k += 16) {
          const o = <usize>k;
          const av = v128.load(a + o), ev = v128.load(e + o);
          const v0 = v128.load(w0 + o), v1 = v128.load(w1 + o), v2 = v128.load(w2 + o), v3 = v128.load(w3 + o);
          s0 = dot16(v0, av, s0); s1 = dot16(v1, av, s1); s2 = dot16(v2, av, s2); s3 = dot16(v3, av, s3);
          t0 = dot16(v0, ev, t0); t1 = dot16(v1, ev, t1); t2 = dot16(v2, ev, t2); t3 = dot16(v3, ev, t3);
        }
        const as = load<f32>(ascale + <usize>m * 4), es = load<f32>(ascale + <usize>m * 4, 4);
        const c = C + (<usize>m * ldc + j) * 4, g = c + <usize>ldc * 4;
        storeInt8Dots4(c, s0, s1, s2, s3, wsum + <usize>j * 4, wscale + <usize>j * 4, as, beta);
        storeInt8Dots4(g, t0, t1, t2, t3, wsum + <usize>j * 4, wscale + <usize>j * 4, es, beta);
      }
      if (m < m1) {
        // an odd last row (a poem alone: the only one): one row of aq by four rows of wq
        const a = aq + <usize>m * ld;
        let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
        for (let k = 0; k < Kp; k += 16) {
          const o = <usize>k;
          const av = v128.load(a + o);
          s0 = dot16(v128.load(w0 + o), av, s0); s1 = dot16(v128.load(w1 + o), av, s1);
          s2 = dot16(v128.load(w2 + o), av, s2); s3 = dot16(v128.load(w3 + o), av, s3);
        }
        const as = load<f32>(ascale + <usize>m * 4);
        const c = C + (<usize>m * ldc + j) * 4;
        storeInt8Dots4(c, s0, s1, s2, s3, wsum + <usize>j * 4, wscale + <usize>j * 4, as, beta);
      }
    }
  }
  for (; j < n1; j++) {
    const w = wq + <usize>j * ld, ws = load<f32>(wscale + <usize>j * 4), u = load<i32>(wsum + <usize>j * 4);
    for (let m = m0; m < m1; m++) {
      storeInt8Dot(C + (<usize>m * ldc + j) * 4, dotInt8(aq + <usize>m * ld, w, Kp), u, ws, load<f32>(ascale + <usize>m * 4), beta);
    }
  }
  return 0;
}
