/**
 * The recurrent cells' pointwise work (Kernels.rnnCell*, lstmCell*, gru*): the gate activations
 * and the state updates, fused forward and backward. The matrix products are gemm's.
 *
 * Contract: not split (per-step work is small); shapes as in src/engine/kernels.ts.
 */
import { sigmoid4, sigmoidScalar, tanh4, tanhScalar } from './math';

// ---------------------------------------------------------------------------------------------
// Recurrent cells: fused pointwise forward/backward, row by row over the batch (H is usually a
// multiple of 4; the scalar tails take the rest).
// ---------------------------------------------------------------------------------------------

export function rnnCellForward(h: usize, pre: usize, B: i32, H: i32): void {
  const n = B * H;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) v128.store(h + <usize>i * 4, tanh4(v128.load(pre + <usize>i * 4)));
  }
  for (; i < n; i++) store<f32>(h + <usize>i * 4, tanhScalar(load<f32>(pre + <usize>i * 4)));
}

export function rnnCellBackward(dpre: usize, dh: usize, h: usize, B: i32, H: i32): void {
  const n = B * H;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i * 4;
      const hv = v128.load(h + o);
      v128.store(dpre + o, f32x4.mul(v128.load(dh + o), f32x4.sub(one, f32x4.mul(hv, hv))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    const hv = load<f32>(h + o);
    store<f32>(dpre + o, load<f32>(dh + o) * (1 - hv * hv));
  }
}

export function lstmCellForward(h: usize, c: usize, gates: usize, cPrev: usize, B: i32, H: i32): void {
  const hb = <usize>H * 4;
  for (let b = 0; b < B; b++) {
    const gi = gates + <usize>b * 4 * hb, gf = gi + hb, gg = gf + hb, go = gg + hb;
    const row = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const i4 = sigmoid4(v128.load(gi + o)), f4 = sigmoid4(v128.load(gf + o));
        const g4 = tanh4(v128.load(gg + o)), o4 = sigmoid4(v128.load(go + o));
        v128.store(gi + o, i4); v128.store(gf + o, f4); v128.store(gg + o, g4); v128.store(go + o, o4);
        const c4 = f32x4.add(f32x4.mul(f4, v128.load(cPrev + row + o)), f32x4.mul(i4, g4));
        v128.store(c + row + o, c4);
        v128.store(h + row + o, f32x4.mul(o4, tanh4(c4)));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j * 4;
      const iv = sigmoidScalar(load<f32>(gi + o)), fv = sigmoidScalar(load<f32>(gf + o));
      const gv = tanhScalar(load<f32>(gg + o)), ov = sigmoidScalar(load<f32>(go + o));
      store<f32>(gi + o, iv); store<f32>(gf + o, fv); store<f32>(gg + o, gv); store<f32>(go + o, ov);
      const cv = fv * load<f32>(cPrev + row + o) + iv * gv;
      store<f32>(c + row + o, cv);
      store<f32>(h + row + o, ov * tanhScalar(cv));
    }
  }
}

export function lstmCellBackward(
  dgates: usize, dcPrev: usize, dh: usize, dc: usize, gates: usize, c: usize, cPrev: usize, B: i32, H: i32,
): void {
  const hb = <usize>H * 4;
  for (let b = 0; b < B; b++) {
    const gi = gates + <usize>b * 4 * hb, gf = gi + hb, gg = gf + hb, go = gg + hb;
    const di = dgates + <usize>b * 4 * hb, df = di + hb, dg = df + hb, dgo = dg + hb;
    const row = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const i4 = v128.load(gi + o), f4 = v128.load(gf + o), g4 = v128.load(gg + o), o4 = v128.load(go + o);
        const tc = tanh4(v128.load(c + row + o));
        const dh4 = v128.load(dh + row + o);
        const dct = f32x4.add(v128.load(dc + row + o), f32x4.mul(f32x4.mul(dh4, o4), f32x4.sub(one, f32x4.mul(tc, tc))));
        v128.store(di + o, f32x4.mul(f32x4.mul(dct, g4), f32x4.mul(i4, f32x4.sub(one, i4))));
        v128.store(df + o, f32x4.mul(f32x4.mul(dct, v128.load(cPrev + row + o)), f32x4.mul(f4, f32x4.sub(one, f4))));
        v128.store(dg + o, f32x4.mul(f32x4.mul(dct, i4), f32x4.sub(one, f32x4.mul(g4, g4))));
        v128.store(dgo + o, f32x4.mul(f32x4.mul(dh4, tc), f32x4.mul(o4, f32x4.sub(one, o4))));
        v128.store(dcPrev + row + o, f32x4.mul(dct, f4));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j * 4;
      const iv = load<f32>(gi + o), fv = load<f32>(gf + o), gv = load<f32>(gg + o), ov = load<f32>(go + o);
      const tc = tanhScalar(load<f32>(c + row + o));
      const dhv = load<f32>(dh + row + o);
      const dct = load<f32>(dc + row + o) + dhv * ov * (1 - tc * tc);
      store<f32>(di + o, dct * gv * (iv * (1 - iv)));
      store<f32>(df + o, dct * load<f32>(cPrev + row + o) * (fv * (1 - fv)));
      store<f32>(dg + o, dct * iv * (1 - gv * gv));
      store<f32>(dgo + o, dhv * tc * (ov * (1 - ov)));
      store<f32>(dcPrev + row + o, dct * fv);
    }
  }
}

export function gruGatesForward(gates: usize, rh: usize, pre: usize, hPrev: usize, B: i32, H: i32): void {
  const hb = <usize>H * 4;
  for (let b = 0; b < B; b++) {
    const pr = pre + <usize>b * 3 * hb, pz = pr + hb;
    const gr = gates + <usize>b * 3 * hb, gz = gr + hb;
    const row = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const r4 = sigmoid4(v128.load(pr + o));
        v128.store(gr + o, r4);
        v128.store(gz + o, sigmoid4(v128.load(pz + o)));
        v128.store(rh + row + o, f32x4.mul(r4, v128.load(hPrev + row + o)));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j * 4;
      const rv = sigmoidScalar(load<f32>(pr + o));
      store<f32>(gr + o, rv);
      store<f32>(gz + o, sigmoidScalar(load<f32>(pz + o)));
      store<f32>(rh + row + o, rv * load<f32>(hPrev + row + o));
    }
  }
}

export function gruOutputForward(h: usize, gates: usize, preN: usize, ldPre: i32, hPrev: usize, B: i32, H: i32): void {
  const hb = <usize>H * 4;
  for (let b = 0; b < B; b++) {
    const pn = preN + <usize>b * ldPre * 4;
    const gz = gates + <usize>b * 3 * hb + hb, gn = gz + hb;
    const row = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const n4 = tanh4(v128.load(pn + o));
        const z4 = v128.load(gz + o);
        const hp = v128.load(hPrev + row + o);
        v128.store(gn + o, n4);
        v128.store(h + row + o, f32x4.add(hp, f32x4.mul(z4, f32x4.sub(n4, hp))));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j * 4;
      const nv = tanhScalar(load<f32>(pn + o));
      const zv = load<f32>(gz + o);
      const hp = load<f32>(hPrev + row + o);
      store<f32>(gn + o, nv);
      store<f32>(h + row + o, hp + zv * (nv - hp));
    }
  }
}

export function gruOutputBackward(dpre: usize, dhPrev: usize, dh: usize, gates: usize, hPrev: usize, B: i32, H: i32): void {
  const hb = <usize>H * 4;
  for (let b = 0; b < B; b++) {
    const gz = gates + <usize>b * 3 * hb + hb, gn = gz + hb;
    const dz = dpre + <usize>b * 3 * hb + hb, dn = dz + hb;
    const row = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const z4 = v128.load(gz + o), n4 = v128.load(gn + o);
        const dh4 = v128.load(dh + row + o), hp = v128.load(hPrev + row + o);
        v128.store(dz + o, f32x4.mul(f32x4.mul(dh4, f32x4.sub(n4, hp)), f32x4.mul(z4, f32x4.sub(one, z4))));
        v128.store(dn + o, f32x4.mul(f32x4.mul(dh4, z4), f32x4.sub(one, f32x4.mul(n4, n4))));
        v128.store(dhPrev + row + o, f32x4.mul(dh4, f32x4.sub(one, z4)));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j * 4;
      const zv = load<f32>(gz + o), nv = load<f32>(gn + o);
      const dhv = load<f32>(dh + row + o), hp = load<f32>(hPrev + row + o);
      store<f32>(dz + o, dhv * (nv - hp) * (zv * (1 - zv)));
      store<f32>(dn + o, dhv * zv * (1 - nv * nv));
      store<f32>(dhPrev + row + o, dhv * (1 - zv));
    }
  }
}

export function gruGatesBackward(dpre: usize, dhPrev: usize, drh: usize, gates: usize, hPrev: usize, B: i32, H: i32): void {
  const hb = <usize>H * 4;
  for (let b = 0; b < B; b++) {
    const gr = gates + <usize>b * 3 * hb;
    const dr = dpre + <usize>b * 3 * hb;
    const row = <usize>b * hb;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const one = f32x4.splat(1);
      for (; j + 4 <= H; j += 4) {
        const o = <usize>j * 4;
        const r4 = v128.load(gr + o);
        const d4 = v128.load(drh + row + o);
        v128.store(dr + o, f32x4.mul(f32x4.mul(d4, v128.load(hPrev + row + o)), f32x4.mul(r4, f32x4.sub(one, r4))));
        v128.store(dhPrev + row + o, f32x4.add(v128.load(dhPrev + row + o), f32x4.mul(d4, r4)));
      }
    }
    for (; j < H; j++) {
      const o = <usize>j * 4;
      const rv = load<f32>(gr + o);
      const dv = load<f32>(drh + row + o);
      store<f32>(dr + o, dv * load<f32>(hPrev + row + o) * (rv * (1 - rv)));
      store<f32>(dhPrev + row + o, load<f32>(dhPrev + row + o) + dv * rv);
    }
  }
}
