/**
 * Elementwise kernels (Kernels.mul, addInPlace, scale, sumSquares): dropout masks, gradient sums
 * and clipping.
 *
 * Contract: split kernels over slices of 16 floats; sumSquares returns its part's Σx² in f64.
 */
import { addRow, sliceBegin, sliceEnd } from './math';

// ---------------------------------------------------------------------------------------------
// Elementwise kernels. Slices are multiples of 16 floats (whole vectors, 64-byte lines).
// ---------------------------------------------------------------------------------------------

export function mul(out: usize, a: usize, b: usize, n: i32, part: i32, nparts: i32): f64 {
  let i = sliceBegin(n, part, nparts, 16);
  const end = sliceEnd(n, part, nparts, 16);
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i * 4;
      v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < end; i++) store<f32>(out + <usize>i * 4, load<f32>(a + <usize>i * 4) * load<f32>(b + <usize>i * 4));
  return 0;
}

export function addInPlace(out: usize, a: usize, n: i32, part: i32, nparts: i32): f64 {
  const i = sliceBegin(n, part, nparts, 16);
  addRow(out + <usize>i * 4, a + <usize>i * 4, sliceEnd(n, part, nparts, 16) - i);
  return 0;
}

export function scale(x: usize, s: f32, n: i32, part: i32, nparts: i32): f64 {
  let i = sliceBegin(n, part, nparts, 16);
  const end = sliceEnd(n, part, nparts, 16);
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(s);
    for (; i + 4 <= end; i += 4) v128.store(x + <usize>i * 4, f32x4.mul(v128.load(x + <usize>i * 4), vs));
  }
  for (; i < end; i++) store<f32>(x + <usize>i * 4, load<f32>(x + <usize>i * 4) * s);
  return 0;
}

/** Σ x² of the part's slice, in f64 (two f64 lanes per half vector). */
export function sumSquares(x: usize, n: i32, part: i32, nparts: i32): f64 {
  let i = sliceBegin(n, part, nparts, 16);
  const end = sliceEnd(n, part, nparts, 16);
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (; i + 4 <= end; i += 4) {
      const v = v128.load(x + <usize>i * 4);
      const a = f64x2.promote_low_f32x4(v);
      const b = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      lo = f64x2.add(lo, f64x2.mul(a, a));
      hi = f64x2.add(hi, f64x2.mul(b, b));
    }
    const t = f64x2.add(lo, hi);
    s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  }
  for (; i < end; i++) {
    const v = <f64>load<f32>(x + <usize>i * 4);
    s += v * v;
  }
  return s;
}
