/**
 * The blas backend: OpenBLAS sgemm on the WASM memory against the reference gemm (all transpose
 * cases, odd sizes, leading dimensions, beta = 0 over NaN, degenerate sizes), the pointwise
 * kernels staying wasm, the fallback to wasm with a hint when the library is missing, the load
 * check of sgemm products, and auto following the per-machine calibration (in a temp cache folder).
 * Needs OpenBLAS (Debian: libopenblas0-pthread), which .ci/run installs; without it the first
 * test says so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlasUnavailableError, checkSgemm, createBlasKernels, type BlasKernels, type Sgemm } from '../src/engine/blas.ts';
import { calibrationKey } from '../src/engine/calibrate.ts';
import { writeCacheEntry } from '../src/engine/machine-cache.ts';
import { engineHint, selectKernels, EngineError } from '../src/engine/index.ts';
import type { WasmKernels } from '../src/engine/wasm.ts';
import { ensureWasmBuild, mulberry32 } from './wasm-helpers.ts';

await ensureWasmBuild();
// this file's own per-machine cache: the tests neither read nor change the user's
process.env.SHIREN_CACHE_DIR = mkdtempSync(join(tmpdir(), 'shiren-cache-'));
after(() => rmSync(process.env.SHIREN_CACHE_DIR!, { recursive: true, force: true }));

test('OpenBLAS is installed (Debian: apt-get install libopenblas0-pthread)', async () => {
  const k = await createBlasKernels({ threads: 1 }).catch((err: Error) => {
    throw new Error(`the blas tests need OpenBLAS: ${err.message} (Debian: apt-get install -y libopenblas0-pthread)`);
  });
  await k.close();
});

const ref = createReferenceKernels('f32');

for (const threads of [1, 2]) {
  describe(`blas, ${threads} thread(s)`, () => {
    let k: BlasKernels;
    before(async () => { k = await createBlasKernels({ threads }); });
    after(() => k.close());

    test('is named after OpenBLAS and its threads', () => {
      assert.match(k.name, new RegExp(`^blas \\(OpenBLAS \\w+(, | from OPENBLAS_CORETYPE, | set by shiren, .*; )${threads} thread${threads > 1 ? 's' : ''}\\)$`));
      assert.ok(k.name.includes(k.core.name!), k.name);
      assert.equal(k.threads, threads);
    });

    test('gemm matches the reference: transposes, odd sizes, leading dimensions, alpha, beta', () => {
      const rand = mulberry32(7 + threads);
      const fill = (n: number) => { const a = k.alloc(n); for (let i = 0; i < n; i++) a[i] = 2 * rand() - 1; return a; };
      for (const [M, N, K] of [[1, 1, 1], [37, 29, 41], [6, 19, 300], [131, 1029, 40]]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const [alpha, beta] of [[1, 0], [-1.3, 0.5]]) {
              const lda = (transA ? M : K) + 3, ldb = (transB ? K : N) + 2, ldc = N + 5;
              const A = fill((transA ? K : M) * lda), B = fill((transB ? N : K) * ldb), C = fill(M * ldc);
              if (beta === 0) C.fill(NaN);
              const C0 = Float32Array.from(C);
              k.gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
              ref.gemm(transA, transB, M, N, K, alpha, Float32Array.from(A), lda, Float32Array.from(B), ldb, beta, C0, ldc);
              for (let i = 0; i < M; i++) {
                for (let j = 0; j < N; j++) {
                  const got = C[i * ldc + j], want = C0[i * ldc + j];
                  assert.ok(Math.abs(got - want) <= 2e-5 * Math.sqrt(K) + 1e-5 * Math.abs(want),
                    `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${M}x${N}x${K} at (${i},${j}): ${got} vs ${want}`);
                }
              }
            }
          }
        }
      }
    });

    test('gemm with K = 0 scales C by beta and prints nothing', () => {
      const C = k.alloc(6).fill(2);
      k.gemm(false, false, 2, 3, 0, 1, k.alloc(1), 1, k.alloc(1), 3, 0.5, C, 3);
      assert.deepEqual(Array.from(C), [1, 1, 1, 1, 1, 1]);
    });

    test('pointwise kernels are the wasm ones on the same memory', () => {
      const x = k.alloc(5).fill(2);
      k.scale(x, 3, 5);
      assert.deepEqual(Array.from(x), [6, 6, 6, 6, 6]);
      assert.equal(k.sumSquares(x, 5), 180);
    });
  });
}

test('a missing library is a BlasUnavailableError, and selectKernels falls back to wasm with a hint', async () => {
  await assert.rejects(createBlasKernels({ library: '/nonexistent/libopenblas.so.0', threads: 1 }), BlasUnavailableError);
  const k = await selectKernels({ engine: 'blas', threads: 1, blasLibrary: '/nonexistent/libopenblas.so.0' });
  assert.match(k.name, /^wasm-/);
  assert.match(engineHint(k) ?? '', /cannot load/);
  await (k as WasmKernels).close();
});

test('auto takes blas only where the calibration found it faster than wasm', async () => {
  const blas = await createBlasKernels({ threads: 1 });
  const key = await calibrationKey(blas);
  try {
    writeCacheEntry('calibration', key, { blasMs: 10, wasmMs: 20, at: 'test' });
    const fast = await selectKernels({ threads: 1 });
    assert.match(fast.name, /^blas \(OpenBLAS/);
    assert.equal(engineHint(fast), null);
    writeCacheEntry('calibration', key, { blasMs: 20, wasmMs: 10, at: 'test' });
    const slow = await selectKernels({ threads: 1 });
    assert.match(slow.name, /^wasm-simd/);
    assert.equal(engineHint(slow), null);
    assert.match((await selectKernels({ engine: 'blas', threads: 1 })).name, /^blas/, '--engine blas is taken as asked');
    // no entry: measured once, then cached
    writeCacheEntry('calibration', key, undefined);
    await selectKernels({ threads: 1 });
    assert.equal((await import('../src/engine/machine-cache.ts')).readCache<{ at: string }>('calibration')[key]?.at.length, 24);
  } finally {
    await blas.close();
  }
});

test('the load check of sgemm: the reference products pass, one wrong element fails with a reason', () => {
  const ref = createReferenceKernels('f32');
  const reference: Sgemm = (_order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) =>
    ref.gemm(transA === 112, transB === 112, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  assert.equal(checkSgemm(reference), null);
  const wrong: Sgemm = (...args) => { reference(...args); args[12][3] += 1e-3; };
  assert.match(checkSgemm(wrong) ?? '', /^A·B \(19×37×29\) element 3 is .*, the reference kernels say/);
});

test('selectKernels rejects unknown engines and bad thread counts with one-line errors', async () => {
  await assert.rejects(selectKernels({ engine: 'cuda' as 'auto' }), EngineError);
  await assert.rejects(selectKernels({ threads: 0 }), /threads must be an integer/);
  assert.equal((await selectKernels({ engine: 'reference' })).name, 'reference (TypeScript, f32)');
});

test('two blas Kernels with different thread counts each keep their own (the library setting is process-wide)', async () => {
  const koffi = (await import('koffi')).default;
  const two = await createBlasKernels({ threads: 2 });
  const one = await createBlasKernels({ threads: 1 });
  const getThreads = koffi.load(two.library).func('int openblas_get_num_threads()') as () => number;
  try {
    for (const k of [two, one, two]) {
      const A = k.alloc(64 * 64).fill(1), C = k.alloc(64 * 64);
      k.gemm(false, false, 64, 64, 64, 1, A, 64, A, 64, 0, C, 64);
      assert.ok(C.every((x) => x === 64), k.name);
      assert.equal(getThreads(), k.threads, `${k.name}: OpenBLAS threads`);
    }
  } finally {
    await Promise.all([two.close(), one.close()]);
  }
});

test('auto for decoding (writing only) is the wasm engine: its products are gemmNT on every engine', async () => {
  const k = await selectKernels({ job: 'decode' });
  assert.match(k.name, /^wasm/);
  assert.equal(k.threads, 1, 'on one thread: helper threads cost their start and gain nothing for decoding');
  assert.equal((await selectKernels({ job: 'decode', threads: 2 })).threads, 2, 'threads asked for are kept');
  assert.equal((await selectKernels({ engine: 'blas', job: 'decode' })).name.startsWith('blas'), true, 'an engine asked for is kept');
});
