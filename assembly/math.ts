/**
 * Shared numerics of the kernels (nothing here is a wasm export): the multiply-add that the
 * relaxed build fuses (the f32 products only), lane sums, the vectorised exp with σ and tanh built
 * on it (never fused: the same bits in every build), the slice of a split kernel's part, and a row add.
 *
 * Contract: everything is @inline except addRow, so every kernel compiles its own copy and its
 * arithmetic is the same wherever it is used; f32 throughout.
 */

// ---------------------------------------------------------------------------------------------
// Vector helpers.
// ---------------------------------------------------------------------------------------------

/** a·b + c; one rounding in the relaxed build (FMA where the CPU has it), two otherwise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Σ of the four lanes of a vector, in a fixed order. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// ---------------------------------------------------------------------------------------------
// Vectorised exp and the activations built on it.
// exp(x) = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 (Cody–Waite split), e^r by the
// Cephes expf polynomial (≈1 ulp on [−ln2/2, ln2/2]). The rounding adds and subtracts 1.5·2^23,
// which leaves n in the low mantissa bits: cheaper than nearest + trunc_sat in V8's x64 code.
// x is clamped to [−87.3, 88] so 2^n stays a normal float: exp(−87.3) ≈ 1.2e−38 stands in for
// anything smaller, which no sum or ratio here can tell apart from 0.
// ---------------------------------------------------------------------------------------------

const EXP_LO: f32 = -87.3;
const EXP_HI: f32 = 88.0;
const LOG2E: f32 = 1.44269504088896341;
const ROUNDER: f32 = 12582912.0; // 1.5·2^23
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

// @ts-ignore: decorator
@inline export function expScalar(x: f32): f32 {
  x = min(max(x, EXP_LO), EXP_HI);
  const shifted = x * LOG2E + ROUNDER; // n = round(x·log2 e) sits in the low mantissa bits
  const n = shifted - ROUNDER;
  const r = x - n * LN2_HI - n * LN2_LO;
  let y = P0 * r + P1;
  y = y * r + P2; y = y * r + P3; y = y * r + P4; y = y * r + P5;
  y = y * r * r + r + 1;
  return y * reinterpret<f32>((reinterpret<i32>(shifted) + 127) << 23);
}

/** a·b + c rounded twice in every build (exp4: the same bits as expScalar's, see below). */
// @ts-ignore: decorator
@inline function mulAdd(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b rounded twice in every build. */
// @ts-ignore: decorator
@inline function mulSub(a: v128, b: v128, c: v128): v128 {
  return f32x4.sub(c, f32x4.mul(a, b));
}

/**
 * exp of four lanes, each lane bit for bit expScalar's: the multiply-adds are never fused (not
 * madd), so the relaxed build computes the same σ and tanh in the cells and the same sampling
 * weights as the others, and a decoding step is the same in every build. (Fused, a gate now and
 * then came out one ulp apart; through the int8 scales that moved whole rows of logits.)
 */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const shifted = mulAdd(x, f32x4.splat(LOG2E), f32x4.splat(ROUNDER));
  const n = f32x4.sub(shifted, f32x4.splat(ROUNDER));
  const r = mulSub(n, f32x4.splat(LN2_LO), mulSub(n, f32x4.splat(LN2_HI), x));
  let y = mulAdd(f32x4.splat(P0), r, f32x4.splat(P1));
  y = mulAdd(y, r, f32x4.splat(P2));
  y = mulAdd(y, r, f32x4.splat(P3));
  y = mulAdd(y, r, f32x4.splat(P4));
  y = mulAdd(y, r, f32x4.splat(P5));
  y = f32x4.add(mulAdd(f32x4.mul(y, r), r, r), f32x4.splat(1));
  // the bits of `shifted` are 0x4B400000 + n; shifting left by 23 drops the 0x4B4 part
  return f32x4.mul(y, i32x4.shl(i32x4.add(shifted, i32x4.splat(127)), 23));
}

// @ts-ignore: decorator
@inline export function sigmoidScalar(x: f32): f32 { return 1 / (1 + expScalar(-x)); }
// @ts-ignore: decorator
@inline export function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}
/** tanh(x) = 1 − 2/(e^{2x} + 1): saturates cleanly at ±1 where e^{2x} clamps. */
// @ts-ignore: decorator
@inline export function tanhScalar(x: f32): f32 { return 1 - 2 / (expScalar(2 * x) + 1); }
// @ts-ignore: decorator
@inline export function tanh4(x: v128): v128 {
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(exp4(f32x4.add(x, x)), f32x4.splat(1))));
}

// ---------------------------------------------------------------------------------------------
// Slices of split kernels, and a row add.
// ---------------------------------------------------------------------------------------------

/** [begin, end) of a part's slice of n items, in multiples of `align` so vectors stay whole. */
// @ts-ignore: decorator
@inline export function sliceBegin(n: i32, part: i32, nparts: i32, align: i32): i32 {
  const chunk = (n + nparts * align - 1) / (nparts * align) * align;
  return min(n, part * chunk);
}
// @ts-ignore: decorator
@inline export function sliceEnd(n: i32, part: i32, nparts: i32, align: i32): i32 {
  const chunk = (n + nparts * align - 1) / (nparts * align) * align;
  return min(n, part * chunk + chunk);
}

/** dst[0:n] += src[0:n]. */
export function addRow(dst: usize, src: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) v128.store(dst + <usize>j * 4, f32x4.add(v128.load(dst + <usize>j * 4), v128.load(src + <usize>j * 4)));
  }
  for (; j < n; j++) store<f32>(dst + <usize>j * 4, load<f32>(dst + <usize>j * 4) + load<f32>(src + <usize>j * 4));
}
