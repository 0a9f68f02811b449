/**
 * The optimiser step (Kernels.adam): Adam with PyTorch's semantics.
 *
 * Contract: a split kernel over slices of 16 floats; each parameter's update is independent.
 */
import { sliceBegin, sliceEnd } from './math';

/**
 * Adam, PyTorch semantics (see Kernels.adam). JS computes in f64, once: stepSize = lr/(1−β1^t),
 * invBc2Sqrt = 1/sqrt(1−β2^t), and c1 = 1−β1, c2 = 1−β2 (1 − f32(0.999) would be 1.3e−5 off).
 */
export function adam(
  param: usize, grad: usize, m: usize, v: usize, n: i32, stepSize: f32, beta1: f32, beta2: f32, c1: f32, c2: f32,
  eps: f32, weightDecay: f32, invBc2Sqrt: f32, part: i32, nparts: i32,
): f64 {
  let i = sliceBegin(n, part, nparts, 16);
  const end = sliceEnd(n, part, nparts, 16);
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(beta1), vb2 = f32x4.splat(beta2), vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2);
    const vwd = f32x4.splat(weightDecay), veps = f32x4.splat(eps), vstep = f32x4.splat(stepSize), vinv = f32x4.splat(invBc2Sqrt);
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i * 4;
      const p = v128.load(param + o);
      const g = f32x4.add(v128.load(grad + o), f32x4.mul(vwd, p));
      const mm = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, g));
      const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(g, g)));
      v128.store(m + o, mm);
      v128.store(v + o, vv);
      const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vv), vinv), veps);
      v128.store(param + o, f32x4.sub(p, f32x4.div(f32x4.mul(vstep, mm), denom)));
    }
  }
  for (; i < end; i++) {
    const o = <usize>i * 4;
    const p = load<f32>(param + o);
    const g = load<f32>(grad + o) + weightDecay * p;
    const mm = beta1 * load<f32>(m + o) + c1 * g;
    const vv = beta2 * load<f32>(v + o) + c2 * (g * g);
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(param + o, p - (stepSize * mm) / (Mathf.sqrt(vv) * invBc2Sqrt + eps));
  }
  return 0;
}
