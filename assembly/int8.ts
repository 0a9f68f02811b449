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
  let amax: f32 = 0;
  for (let k = 0; k < K; k++) amax = max(amax, abs(load<f32>(a + <usize>k * 4)));
  const inv: f32 = amax > 0 ? qmax / amax : 0;
  const finite = amax < Infinity;
  let total: i32 = 0;
  for (let k = 0; k < K; k++) {
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
      const ws0 = load<f32>(wscale + <usize>j * 4), ws1 = load<f32>(wscale + <usize>j * 4, 4);
      const ws2 = load<f32>(wscale + <usize>j * 4, 8), ws3 = load<f32>(wscale + <usize>j * 4, 12);
      const u0 = load<i32>(wsum + <usize>j * 4), u1 = load<i32>(wsum + <usize>j * 4, 4);
      const u2 = load<i32>(wsum + <usize>j * 4, 8), u3 = load<i32>(wsum + <usize>j * 4, 12);
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
        storeInt8Dot(c, isum(s0), u0, ws0, as, beta); storeInt8Dot(c + 4, isum(s1), u1, ws1, as, beta);
        storeInt8Dot(c + 8, isum(s2), u2, ws2, as, beta); storeInt8Dot(c + 12, isum(s3), u3, ws3, as, beta);
        storeInt8Dot(g, isum(t0), u0, ws0, es, beta); storeInt8Dot(g + 4, isum(t1), u1, ws1, es, beta);
        storeInt8Dot(g + 8, isum(t2), u2, ws2, es, beta); storeInt8Dot(g + 12, isum(t3), u3, ws3, es, beta);
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
        storeInt8Dot(c, isum(s0), u0, ws0, as, beta); storeInt8Dot(c + 4, isum(s1), u1, ws1, as, beta);
        storeInt8Dot(c + 8, isum(s2), u2, ws2, as, beta); storeInt8Dot(c + 12, isum(s3), u3, ws3, as, beta);
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
