/**
 * shiren's f32 kernels in AssemblyScript: the WASM side of src/engine/kernels.ts.
 *
 * Contract
 * - Every export works on byte addresses (usize) inside the one shared, imported memory; the JS
 *   side (src/engine/wasm.ts) passes `typedArray.byteOffset`. Nothing here allocates.
 * - One source, three builds (tools/build-wasm.js): scalar, SIMD, SIMD + relaxed FMA. The
 *   ASC_FEATURE_* constants are compile-time, so the unused branch is not even compiled.
 * - Exports whose last parameters are (part, nparts[, thread]) do a fixed slice (part p of nparts)
 *   of the work; JS hands the parts to whichever thread is free. Their f64 return is the part's
 *   partial result (0 where there is none); JS adds the parts in order 0..nparts-1 and chooses
 *   nparts from the sizes alone where there are partial sums. Every f32 result is computed in the
 *   same order whatever the split, so results do not depend on the thread count.
 * - Numerics: f32 throughout, sums accumulated in f32 (as BLAS does) except the loss and Σx²
 *   (f64); exp/σ/tanh by a vectorised Cephes-style exp (≈1–2 ulp).
 *
 * Legend: B batch, H hidden, G gates, V vocabulary, N rows, E embedding, M/N/K GEMM sizes.
 * MR×NR = 6×8 or 4×8 is the register tile of the sgemm micro-kernel (12 or 8 f32x4 accumulators).
 */

// ---------------------------------------------------------------------------------------------
// sgemm: C = alpha · op(A) · op(B) + beta · C, row-major, packed Goto/BLIS style.
// ---------------------------------------------------------------------------------------------

/**
 * Rows of the micro tile: 6 with FMA (12 accumulators hide its latency: 50 vs 46 GFLOP/s), 4
 * with separate mul + add, whose temporaries would make 6 rows spill (27 vs 36 GFLOP/s).
 */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
const NR: i32 = 8; // columns of the micro tile
const KC: i32 = 256; // depth of a packed block (A micro-panel ≤ 6 KiB, B micro-panel 8 KiB: L1)
const MC: i32 = 120; // rows of a packed A block (120 KiB: L2; a multiple of both MRs)
const NC: i32 = 1024; // columns of a packed B block (1 MiB at KC = 256)

/** Bytes of per-thread gemm workspace: packed A block [MC,KC] and packed B block [KC,NC]. */
const GEMM_WORKSPACE_BYTES: i32 = (MC * KC + KC * NC) * 4;

/** Bytes of gemm workspace per thread (JS allocates one per thread, back to back). */
export function gemmWorkspaceBytes(): i32 {
  return GEMM_WORKSPACE_BYTES + MR * NR * 4;
}

/**
 * Packs rows r0..r0+rows, depth k0..k0+kc of a matrix X as ceil(rows/W) micro-panels [kc][W]
 * (W = MR for op(A), NR for op(B)), zero-padding rows past `rows`. Element (r, k) is at
 * X[r·ld + k] when kContiguous (A as stored, Bᵀ as stored: 4×4 blocks are transposed), else at
 * X[k·ld + r] (Aᵀ, B: W consecutive floats per k, copied as vectors).
 */
function packPanels(dst: usize, X: usize, ld: i32, kContiguous: bool, r0: i32, k0: i32, rows: i32, kc: i32, W: i32): void {
  const rStride: usize = kContiguous ? <usize>ld * 4 : 4;
  const kStride: usize = kContiguous ? 4 : <usize>ld * 4;
  for (let p = 0; p < rows; p += W) {
    const count = min(W, rows - p);
    const panel = dst + <usize>(p * kc) * 4;
    const src = X + <usize>(r0 + p) * rStride + <usize>k0 * kStride;
    let k = 0;
    if (ASC_FEATURE_SIMD && count == W) {
      if (kContiguous) {
        // whole 4×4 blocks by vector transposes; the rows of a 6-row panel past them below
        for (; k + 4 <= kc; k += 4) {
          for (let g = 0; g + 4 <= W; g += 4) {
            const q = src + <usize>g * rStride + <usize>k * 4;
            transpose4Store(panel + <usize>(k * W + g) * 4, v128.load(q), v128.load(q + rStride), v128.load(q + 2 * rStride), v128.load(q + 3 * rStride), <usize>W * 4);
          }
        }
      } else {
        for (; k < kc; k++) {
          for (let g = 0; g < W; g += 4) v128.store(panel + <usize>(k * W + g) * 4, v128.load(src + <usize>k * kStride + <usize>g * 4));
        }
      }
    }
    if (ASC_FEATURE_SIMD && count == W && kContiguous && W & 3) {
      for (let kk = 0; kk < k; kk++) {
        for (let c = W & ~3; c < W; c++) store<f32>(panel + <usize>(kk * W + c) * 4, load<f32>(src + <usize>c * rStride + <usize>kk * 4));
      }
    }
    for (; k < kc; k++) {
      for (let c = 0; c < W; c++) {
        store<f32>(panel + <usize>(k * W + c) * 4, c < count ? load<f32>(src + <usize>c * rStride + <usize>k * kStride) : 0);
      }
    }
  }
}

/** Stores the transpose of rows r0..r3 (4 floats each) as 4 vectors, `stride` bytes apart. */
// @ts-ignore: decorator
@inline function transpose4Store(dst: usize, r0: v128, r1: v128, r2: v128, r3: v128, stride: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/** a·b + c; one rounding in the relaxed build (FMA where the CPU has it), two otherwise. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b; one rounding in the relaxed build. */
// @ts-ignore: decorator
@inline function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/** C[row, 0:4] += alpha · acc, for a full 4-wide column group. */
// @ts-ignore: decorator
@inline function addScaled4(c: usize, acc: v128, alpha: v128): void {
  v128.store(c, madd(acc, alpha, v128.load(c)));
}

/**
 * Micro-kernel: C[0:rows, 0:cols] += alpha · Ap[kc][MR]ᵀ · Bp[kc][NR]; full tiles store with
 * vectors, edge tiles element by element through `tile` (MR·NR floats of scratch).
 */
function microKernel(ap: usize, bp: usize, kc: i32, c: usize, ldc: i32, alpha: f32, rows: i32, cols: i32, tile: usize): void {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
    let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      let a = v128.load32_splat(ap);
      c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
      a = v128.load32_splat(ap, 4);
      c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
      a = v128.load32_splat(ap, 8);
      c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
      a = v128.load32_splat(ap, 12);
      c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
      if (MR == 6) {
        a = v128.load32_splat(ap, 16);
        c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
        a = v128.load32_splat(ap, 20);
        c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
      }
      ap += MR * 4; bp += NR * 4;
    }
    const va = f32x4.splat(alpha);
    const ld = <usize>ldc * 4;
    if (rows == MR && cols == NR) {
      addScaled4(c, c00, va); addScaled4(c + 16, c01, va);
      addScaled4(c + ld, c10, va); addScaled4(c + ld + 16, c11, va);
      addScaled4(c + 2 * ld, c20, va); addScaled4(c + 2 * ld + 16, c21, va);
      addScaled4(c + 3 * ld, c30, va); addScaled4(c + 3 * ld + 16, c31, va);
      if (MR == 6) {
        addScaled4(c + 4 * ld, c40, va); addScaled4(c + 4 * ld + 16, c41, va);
        addScaled4(c + 5 * ld, c50, va); addScaled4(c + 5 * ld + 16, c51, va);
      }
      return;
    }
    v128.store(tile, c00); v128.store(tile, c01, 16);
    v128.store(tile, c10, 32); v128.store(tile, c11, 48);
    v128.store(tile, c20, 64); v128.store(tile, c21, 80);
    v128.store(tile, c30, 96); v128.store(tile, c31, 112);
    if (MR == 6) {
      v128.store(tile, c40, 128); v128.store(tile, c41, 144);
      v128.store(tile, c50, 160); v128.store(tile, c51, 176);
    }
  } else {
    // scalar build: four 2×4 sub-tiles keep the accumulators in registers
    for (let r0 = 0; r0 < MR; r0 += 2) {
      for (let j0 = 0; j0 < NR; j0 += 4) {
        let s00: f32 = 0, s01: f32 = 0, s02: f32 = 0, s03: f32 = 0;
        let s10: f32 = 0, s11: f32 = 0, s12: f32 = 0, s13: f32 = 0;
        let pa = ap + <usize>r0 * 4, pb = bp + <usize>j0 * 4;
        for (let k = 0; k < kc; k++) {
          const a0 = load<f32>(pa), a1 = load<f32>(pa, 4);
          const b0 = load<f32>(pb), b1 = load<f32>(pb, 4), b2 = load<f32>(pb, 8), b3 = load<f32>(pb, 12);
          s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
          s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
          pa += MR * 4; pb += NR * 4;
        }
        const t = tile + <usize>(r0 * NR + j0) * 4;
        store<f32>(t, s00); store<f32>(t, s01, 4); store<f32>(t, s02, 8); store<f32>(t, s03, 12);
        store<f32>(t, s10, NR * 4); store<f32>(t, s11, NR * 4 + 4); store<f32>(t, s12, NR * 4 + 8); store<f32>(t, s13, NR * 4 + 12);
      }
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const p = c + (<usize>r * ldc + j) * 4;
      store<f32>(p, alpha * load<f32>(tile + <usize>(r * NR + j) * 4) + load<f32>(p));
    }
  }
}

/** C[m0:m1, n0:n1] *= beta (beta = 0 writes zeros, ignoring NaN in the old C). */
function scaleBlock(C: usize, ldc: i32, m0: i32, m1: i32, n0: i32, n1: i32, beta: f32): void {
  if (beta == 1) return;
  for (let i = m0; i < m1; i++) {
    const row = C + <usize>i * ldc * 4;
    if (beta == 0) {
      memory.fill(row + <usize>n0 * 4, 0, <usize>(n1 - n0) * 4);
    } else {
      for (let j = n0; j < n1; j++) store<f32>(row + <usize>j * 4, beta * load<f32>(row + <usize>j * 4));
    }
  }
}

/** Largest M that takes the unpacked dot-product path for op(B) = Bᵀ (generation: M = sequences). */
const SMALL_M: i32 = 8;

/** Σ of the four lanes of a vector, in a fixed order. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * C[0:M, n0:n1] += alpha · A · Bᵀ for small M with A [M,K] and B [N,K] row-major: dot products
 * along the contiguous K of both, four rows of B at a time (kept in L1 while every row of A
 * passes), so B streams from memory once and nothing is packed (a packed GEMM would copy all of
 * B for one row of output).
 */
function smallMxBt(M: i32, n0: i32, n1: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  const ldB = <usize>ldb * 4;
  let j = n0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n1; j += 4) {
      const b0 = B + <usize>j * ldB, b1 = b0 + ldB, b2 = b1 + ldB, b3 = b2 + ldB;
      for (let m = 0; m < M; m++) {
        const a = A + <usize>m * lda * 4;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let k = 0;
        for (; k + 4 <= K; k += 4) {
          const o = <usize>k * 4;
          const av = v128.load(a + o);
          s0 = madd(av, v128.load(b0 + o), s0);
          s1 = madd(av, v128.load(b1 + o), s1);
          s2 = madd(av, v128.load(b2 + o), s2);
          s3 = madd(av, v128.load(b3 + o), s3);
        }
        let d0 = hsum(s0), d1 = hsum(s1), d2 = hsum(s2), d3 = hsum(s3);
        for (; k < K; k++) {
          const o = <usize>k * 4;
          const av = load<f32>(a + o);
          d0 += av * load<f32>(b0 + o); d1 += av * load<f32>(b1 + o);
          d2 += av * load<f32>(b2 + o); d3 += av * load<f32>(b3 + o);
        }
        const c = C + (<usize>m * ldc + j) * 4;
        store<f32>(c, alpha * d0 + load<f32>(c));
        store<f32>(c, alpha * d1 + load<f32>(c, 4), 4);
        store<f32>(c, alpha * d2 + load<f32>(c, 8), 8);
        store<f32>(c, alpha * d3 + load<f32>(c, 12), 12);
      }
    }
  }
  for (; j < n1; j++) {
    const b = B + <usize>j * ldB;
    for (let m = 0; m < M; m++) {
      const a = A + <usize>m * lda * 4;
      let d: f32 = 0;
      for (let k = 0; k < K; k++) d += load<f32>(a + <usize>k * 4) * load<f32>(b + <usize>k * 4);
      const c = C + (<usize>m * ldc + j) * 4;
      store<f32>(c, alpha * d + load<f32>(c));
    }
  }
}

/**
 * C[m0:m1, n0:n1] += alpha · A · Bᵀ, A [M,K], B [N,K] row-major: smallMxBt register-tiled, two
 * rows of A by four rows of B (8 accumulators, 13 live vectors), for generation batches of any
 * M. Every element is computed exactly as smallMxBt computes it (4-lane partial sums over K in
 * order, `hsum`, the scalar tail in order, then alpha · d + C), so row m of C depends on row m of
 * A alone, bit for bit, whatever M, the tiling or the split: a poem decodes the same alone or in
 * a batch. smallMxBt is the naive twin (same arithmetic, one row of A at a time).
 */
function tiledMxBt(m0: i32, m1: i32, n0: i32, n1: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  if (!ASC_FEATURE_SIMD) {
    smallMxBt(m1 - m0, n0, n1, K, alpha, A + <usize>m0 * lda * 4, lda, B, ldb, C + <usize>m0 * ldc * 4, ldc);
    return;
  }
  const ldB = <usize>ldb * 4;
  const K4 = K & ~3;
  let j = n0;
  for (; j + 4 <= n1; j += 4) {
    const b0 = B + <usize>j * ldB, b1 = b0 + ldB, b2 = b1 + ldB, b3 = b2 + ldB;
    let m = m0;
    for (; m + 2 <= m1; m += 2) {
      const a = A + <usize>m * lda * 4, e = a + <usize>lda * 4;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k * 4;
        const av = v128.load(a + o), ev = v128.load(e + o);
        const v0 = v128.load(b0 + o), v1 = v128.load(b1 + o), v2 = v128.load(b2 + o), v3 = v128.load(b3 + o);
        s0 = madd(av, v0, s0); s1 = madd(av, v1, s1); s2 = madd(av, v2, s2); s3 = madd(av, v3, s3);
        t0 = madd(ev, v0, t0); t1 = madd(ev, v1, t1); t2 = madd(ev, v2, t2); t3 = madd(ev, v3, t3);
      }
      let d0 = hsum(s0), d1 = hsum(s1), d2 = hsum(s2), d3 = hsum(s3);
      let f0 = hsum(t0), f1 = hsum(t1), f2 = hsum(t2), f3 = hsum(t3);
      for (let k = K4; k < K; k++) {
        const o = <usize>k * 4;
        const av = load<f32>(a + o), ev = load<f32>(e + o);
        const w0 = load<f32>(b0 + o), w1 = load<f32>(b1 + o), w2 = load<f32>(b2 + o), w3 = load<f32>(b3 + o);
        d0 += av * w0; d1 += av * w1; d2 += av * w2; d3 += av * w3;
        f0 += ev * w0; f1 += ev * w1; f2 += ev * w2; f3 += ev * w3;
      }
      const c = C + (<usize>m * ldc + j) * 4, g = c + <usize>ldc * 4;
      store<f32>(c, alpha * d0 + load<f32>(c));
      store<f32>(c, alpha * d1 + load<f32>(c, 4), 4);
      store<f32>(c, alpha * d2 + load<f32>(c, 8), 8);
      store<f32>(c, alpha * d3 + load<f32>(c, 12), 12);
      store<f32>(g, alpha * f0 + load<f32>(g));
      store<f32>(g, alpha * f1 + load<f32>(g, 4), 4);
      store<f32>(g, alpha * f2 + load<f32>(g, 8), 8);
      store<f32>(g, alpha * f3 + load<f32>(g, 12), 12);
    }
    // an odd last row: smallMxBt's own code on these four columns
    if (m < m1) smallMxBt(1, j, j + 4, K, alpha, A + <usize>m * lda * 4, lda, B, ldb, C + <usize>m * ldc * 4, ldc);
  }
  if (j < n1) smallMxBt(m1 - m0, j, n1, K, alpha, A + <usize>m0 * lda * 4, lda, B, ldb, C + <usize>m0 * ldc * 4, ldc);
}

/** The block [partM0, partM1) × [partN0, partN1) of C that splitNT gave this part (per instance: per thread). */
let partM0 = 0, partM1 = 0, partN0 = 0, partN1 = 0;

/**
 * The block of C [M,N] that part `part` of nparts of a generation product writes: columns in
 * multiples of 4 when N ≥ M, else rows; false when it is empty (gemmNT, gemmNTInt8).
 */
function splitNT(M: i32, N: i32, part: i32, nparts: i32): bool {
  const byColumns = N >= M;
  partM0 = byColumns ? 0 : sliceBegin(M, part, nparts, 1);
  partM1 = byColumns ? M : sliceEnd(M, part, nparts, 1);
  partN0 = byColumns ? sliceBegin(N, part, nparts, 4) : 0;
  partN1 = byColumns ? sliceEnd(N, part, nparts, 4) : N;
  return partM0 < partM1 && partN0 < partN1;
}

/**
 * Part `part` of nparts of C = alpha · A · Bᵀ + beta · C (Kernels.gemmNT: generation), A [M,K],
 * B [N,K], split over columns in multiples of 4 (rows when M > N). Row-invariant: see tiledMxBt.
 */
export function gemmNT(
  M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32,
  part: i32, nparts: i32, thread: i32,
): f64 {
  if (!splitNT(M, N, part, nparts)) return 0;
  const m0 = partM0, m1 = partM1, n0 = partN0, n1 = partN1;
  scaleBlock(C, ldc, m0, m1, n0, n1, beta);
  if (alpha == 0 || K == 0) return 0;
  tiledMxBt(m0, m1, n0, n1, K, alpha, A, lda, B, ldb, C, ldc);
  return 0;
}

/**
 * Part `part` of nparts of an sgemm (see Kernels.gemm). The split is over columns of C (multiples
 * of NR) when N ≥ M, else over rows (multiples of MR), so every element of C sees the same
 * computation whatever the split (the path, packed or small-M, depends on the shape only). The calling thread packs into its own workspace at
 * work + thread·(GEMM_WORKSPACE_BYTES + MR·NR·4) (the last MR·NR floats: edge-tile scratch).
 */
export function gemm(
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32, A: usize, lda: i32,
  B: usize, ldb: i32, beta: f32, C: usize, ldc: i32, work: usize, part: i32, nparts: i32, thread: i32,
): f64 {
  let m0 = 0, m1 = M, n0 = 0, n1 = N;
  if (N >= M) {
    const chunk = (N + nparts * NR - 1) / (nparts * NR) * NR;
    n0 = min(N, part * chunk); n1 = min(N, n0 + chunk);
  } else {
    const chunk = (M + nparts * MR - 1) / (nparts * MR) * MR;
    m0 = min(M, part * chunk); m1 = min(M, m0 + chunk);
  }
  if (m0 >= m1 || n0 >= n1) return 0;
  scaleBlock(C, ldc, m0, m1, n0, n1, beta);
  if (alpha == 0 || K == 0) return 0;
  if (M <= SMALL_M && transB && !transA) {
    smallMxBt(M, n0, n1, K, alpha, A, lda, B, ldb, C, ldc);
    return 0;
  }
  const ap = work + <usize>thread * (GEMM_WORKSPACE_BYTES + MR * NR * 4);
  const bp = ap + <usize>MC * KC * 4;
  const tile = bp + <usize>KC * NC * 4;
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packPanels(bp, B, ldb, transB, jc, pc, nc, kc, NR);
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = min(MC, m1 - ic);
        packPanels(ap, A, lda, !transA, ic, pc, mc, kc, MR);
        for (let jr = 0; jr < nc; jr += NR) {
          const bPanel = bp + <usize>(jr * kc) * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(
              ap + <usize>(ir * kc) * 4, bPanel, kc,
              C + (<usize>(ic + ir) * ldc + jc + jr) * 4, ldc, alpha,
              min(MR, mc - ir), min(NR, nc - jr), tile,
            );
          }
        }
      }
    }
  }
  return 0;
}

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

// ---------------------------------------------------------------------------------------------
// Vectorised exp and the activations built on it.
// exp(x) = 2^n · e^r with n = round(x·log2 e), r = x − n·ln 2 (Cody–Waite split), e^r by the
// Cephes expf polynomial (≈1 ulp on [−ln2/2, ln2/2]). The rounding adds and subtracts 1.5·2^23,
// which leaves n in the low mantissa bits: cheaper than nearest + trunc_sat in V8's x64 code. x is clamped to [−87.3, 88] so 2^n stays a
// normal float: exp(−87.3) ≈ 1.2e−38 stands in for anything smaller, which no sum or ratio here
// can tell apart from 0.
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
@inline function expScalar(x: f32): f32 {
  x = min(max(x, EXP_LO), EXP_HI);
  const shifted = x * LOG2E + ROUNDER; // n = round(x·log2 e) sits in the low mantissa bits
  const n = shifted - ROUNDER;
  const r = x - n * LN2_HI - n * LN2_LO;
  let y = P0 * r + P1;
  y = y * r + P2; y = y * r + P3; y = y * r + P4; y = y * r + P5;
  y = y * r * r + r + 1;
  return y * reinterpret<f32>((reinterpret<i32>(shifted) + 127) << 23);
}

// @ts-ignore: decorator
@inline function exp4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const shifted = madd(x, f32x4.splat(LOG2E), f32x4.splat(ROUNDER));
  const n = f32x4.sub(shifted, f32x4.splat(ROUNDER));
  const r = nmadd(n, f32x4.splat(LN2_LO), nmadd(n, f32x4.splat(LN2_HI), x));
  let y = madd(f32x4.splat(P0), r, f32x4.splat(P1));
  y = madd(y, r, f32x4.splat(P2));
  y = madd(y, r, f32x4.splat(P3));
  y = madd(y, r, f32x4.splat(P4));
  y = madd(y, r, f32x4.splat(P5));
  y = f32x4.add(madd(f32x4.mul(y, r), r, r), f32x4.splat(1));
  // the bits of `shifted` are 0x4B400000 + n; shifting left by 23 drops the 0x4B4 part
  return f32x4.mul(y, i32x4.shl(i32x4.add(shifted, i32x4.splat(127)), 23));
}

// @ts-ignore: decorator
@inline function sigmoidScalar(x: f32): f32 { return 1 / (1 + expScalar(-x)); }
// @ts-ignore: decorator
@inline function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}
/** tanh(x) = 1 − 2/(e^{2x} + 1): saturates cleanly at ±1 where e^{2x} clamps. */
// @ts-ignore: decorator
@inline function tanhScalar(x: f32): f32 { return 1 - 2 / (expScalar(2 * x) + 1); }
// @ts-ignore: decorator
@inline function tanh4(x: v128): v128 {
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(exp4(f32x4.add(x, x)), f32x4.splat(1))));
}

/** [begin, end) of a part's slice of n items, in multiples of `align` so vectors stay whole. */
// @ts-ignore: decorator
@inline function sliceBegin(n: i32, part: i32, nparts: i32, align: i32): i32 {
  const chunk = (n + nparts * align - 1) / (nparts * align) * align;
  return min(n, part * chunk);
}
// @ts-ignore: decorator
@inline function sliceEnd(n: i32, part: i32, nparts: i32, align: i32): i32 {
  const chunk = (n + nparts * align - 1) / (nparts * align) * align;
  return min(n, part * chunk + chunk);
}

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

/**
 * Draws one of the candidates ids[0:n] of a logits row: w_i = exp((scores[ids[i]] − max) · invT)
 * in f32 (max over the candidates), written to w[0:n]; the sums run over blocks of four, each
 * block's sum (w0 + w1) + (w2 + w3) added in f64 in order (a lone tail element is its own block);
 * returns the first i whose running sum exceeds u · Σ w (u in [0, 1)), or n − 1 when rounding
 * leaves none. It depends on this row's scores and ids alone (a poem draws the same in any batch).
 * scores [V], ids [n], w [n].
 */
export function sampleList(scores: usize, ids: usize, n: i32, invT: f32, u: f64, w: usize): i32 {
  if (n <= 1) return 0;
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

// ---------------------------------------------------------------------------------------------
// Bias and embedding. addBias splits rows, biasBackward splits columns (each column's sum keeps
// the row order of the naive loop).
// ---------------------------------------------------------------------------------------------

export function addBias(out: usize, bias: usize, R: i32, C: i32, part: i32, nparts: i32): f64 {
  const r1 = sliceEnd(R, part, nparts, 1);
  for (let r = sliceBegin(R, part, nparts, 1); r < r1; r++) addRow(out + <usize>r * C * 4, bias, C);
  return 0;
}

/** dst[0:n] += src[0:n]. */
function addRow(dst: usize, src: usize, n: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 4 <= n; j += 4) v128.store(dst + <usize>j * 4, f32x4.add(v128.load(dst + <usize>j * 4), v128.load(src + <usize>j * 4)));
  }
  for (; j < n; j++) store<f32>(dst + <usize>j * 4, load<f32>(dst + <usize>j * 4) + load<f32>(src + <usize>j * 4));
}

/** Columns are split (JS gives each part ≥ 512 columns, so rows stay long contiguous runs). */
export function biasBackward(dbias: usize, dout: usize, R: i32, C: i32, part: i32, nparts: i32): f64 {
  const c0 = sliceBegin(C, part, nparts, 16), c1 = sliceEnd(C, part, nparts, 16);
  if (c0 >= c1) return 0;
  for (let r = 0; r < R; r++) addRow(dbias + <usize>c0 * 4, dout + (<usize>r * C + c0) * 4, c1 - c0);
  return 0;
}

export function embeddingForward(out: usize, table: usize, ids: usize, N: i32, E: i32): void {
  for (let n = 0; n < N; n++) {
    const id = load<i32>(ids + <usize>n * 4);
    memory.copy(out + <usize>n * E * 4, table + <usize>id * E * 4, <usize>E * 4);
  }
}

export function embeddingBackward(dtable: usize, dout: usize, ids: usize, N: i32, E: i32): void {
  for (let n = 0; n < N; n++) {
    const id = load<i32>(ids + <usize>n * 4);
    addRow(dtable + <usize>id * E * 4, dout + <usize>n * E * 4, E);
  }
}

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
