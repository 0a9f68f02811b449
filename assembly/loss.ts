/**
 * The training loss (Kernels.softmaxCrossEntropy): masked softmax cross-entropy fused with its
 * gradient.
 *
 * Contract: split over rows; the part's loss returns in f64 and JS adds the parts in order.
 */
import { exp4, expScalar, sliceBegin, sliceEnd } from './math';

// ---------------------------------------------------------------------------------------------
// Softmax cross-entropy, fused with its gradient. Rows are split over parts.
// ---------------------------------------------------------------------------------------------

export function softmaxCrossEntropy(
  dlogits: usize, logits: usize, targets: usize, N: i32, V: i32, ignoreId: i32, scale: f32, part: i32, nparts: i32,
): f64 {
  const r0 = sliceBegin(N, part, nparts, 1), r1 = sliceEnd(N, part, nparts, 1);
  let loss: f64 = 0;
  for (let n = r0; n < r1; n++) {
    const x = logits + <usize>n * V * 4;
    const d = dlogits + <usize>n * V * 4;
    const t = load<i32>(targets + <usize>n * 4);
    if (t == ignoreId) {
      memory.fill(d, 0, <usize>V * 4);
      continue;
    }
    // pass 1: row max
    let mx: f32 = -Infinity;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      let vm = f32x4.splat(-Infinity);
      for (; j + 4 <= V; j += 4) vm = f32x4.pmax(vm, v128.load(x + <usize>j * 4));
      mx = max(max(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), max(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
    }
    for (; j < V; j++) mx = max(mx, load<f32>(x + <usize>j * 4));
    const xt = load<f32>(x + <usize>t * 4); // read before d (which may alias x) is written
    // pass 2: e = exp(x − max) into d, and its sum
    let sum: f32 = 0;
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const vmx = f32x4.splat(mx);
      let vs = f32x4.splat(0);
      for (; j + 4 <= V; j += 4) {
        const e = exp4(f32x4.sub(v128.load(x + <usize>j * 4), vmx));
        v128.store(d + <usize>j * 4, e);
        vs = f32x4.add(vs, e);
      }
      sum = (f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 1)) + (f32x4.extract_lane(vs, 2) + f32x4.extract_lane(vs, 3));
    }
    for (; j < V; j++) {
      const e = expScalar(load<f32>(x + <usize>j * 4) - mx);
      store<f32>(d + <usize>j * 4, e);
      sum += e;
    }
    loss += Math.log(<f64>sum) + <f64>mx - <f64>xt;
    // pass 3: d = scale · e / sum, minus scale at the target
    const k: f32 = scale / sum;
    j = 0;
    if (ASC_FEATURE_SIMD) {
      const vk = f32x4.splat(k);
      for (; j + 4 <= V; j += 4) v128.store(d + <usize>j * 4, f32x4.mul(v128.load(d + <usize>j * 4), vk));
    }
    for (; j < V; j++) store<f32>(d + <usize>j * 4, load<f32>(d + <usize>j * 4) * k);
    const dt = d + <usize>t * 4;
    store<f32>(dt, load<f32>(dt) - scale);
  }
  return loss;
}
