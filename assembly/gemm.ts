/**
 * sgemm (Kernels.gemm) and the generation product gemmNT: packed Goto/BLIS blocks with an MR×NR
 * register tile, and an unpacked dot-product path for a few rows times Bᵀ.
 *
 * Contract: split kernels (see index.ts); every element of C is computed the same way whatever
 * the split, and gemmNT is row-invariant (row m of C depends on row m of A alone) and
 * column-invariant (column j of C depends on row j of B alone, whatever columns the product
 * starts and ends at: the decoding step computes only the logits a poem may read). splitNT and
 * the part bounds are shared with the int8 product (int8.ts).
 */
import { hsum, madd, sliceBegin, sliceEnd } from './math';

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

/**
 * Largest M that takes the unpacked dot-product path for op(B) = Bᵀ (generation: M = sequences).
 * Exported (gemmSmallM) because the blas backend keeps these shapes on this path.
 */
const SMALL_M: i32 = 8;

/** SMALL_M, for the JS side (src/engine/wasm.ts `smallM`, read by src/engine/blas.ts). */
export function gemmSmallM(): i32 {
  return SMALL_M;
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
  // the last columns one at a time, with the SIMD arithmetic of the blocks above (4-lane partial
  // sums, hsum, the scalar tail over k): a column's result does not depend on where a product's
  // columns start or end, so the decoder may compute only some of them (Model.step's spans)
  for (; j < n1; j++) {
    const b = B + <usize>j * ldB;
    for (let m = 0; m < M; m++) {
      const a = A + <usize>m * lda * 4;
      let d: f32 = 0;
      let k = 0;
      if (ASC_FEATURE_SIMD) {
        let s = f32x4.splat(0);
        for (; k + 4 <= K; k += 4) s = madd(v128.load(a + <usize>k * 4), v128.load(b + <usize>k * 4), s);
        d = hsum(s);
      }
      for (; k < K; k++) d += load<f32>(a + <usize>k * 4) * load<f32>(b + <usize>k * 4);
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
export let partM0 = 0, partM1 = 0, partN0 = 0, partN1 = 0;

/**
 * The block of C [M,N] that part `part` of nparts of a generation product writes: columns in
 * multiples of 4 when N ≥ M, else rows; false when it is empty (gemmNT, gemmNTInt8).
 */
export function splitNT(M: i32, N: i32, part: i32, nparts: i32): bool {
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
