/**
 * The blas backend: OpenBLAS sgemm on the WASM memory against the reference gemm (all transpose
 * cases, odd sizes, leading dimensions, beta = 0 over NaN, degenerate sizes), the pointwise
 * kernels staying wasm, and the fallback to wasm with a hint when the library is missing.
 * Needs OpenBLAS (Debian: libopenblas0-pthread), which .ci/run installs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { BlasUnavailableError, createBlasKernels } from '../src/engine/blas.ts';
import { engineHint, selectKernels, EngineError } from '../src/engine/index.ts';
import type { WasmKernels } from '../src/engine/wasm.ts';
import { ensureWasmBuild, mulberry32 } from './wasm-helpers.ts';

await ensureWasmBuild();

const ref = createReferenceKernels('f32');

for (const threads of [1, 2]) {
  describe(`blas, ${threads} thread(s)`, () => {
    let k: WasmKernels;
    before(async () => { k = await createBlasKernels({ threads }); });
    after(() => k.close());

    test('is named after OpenBLAS and its threads', () => {
      assert.equal(k.name, `blas (OpenBLAS, ${threads} thread${threads > 1 ? 's' : ''})`);
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
  const auto = await selectKernels({ threads: 1 });
  assert.match(auto.name, /^blas \(OpenBLAS, 1 thread\)$/);
  assert.equal(engineHint(auto), null);
  await Promise.all([k, auto].map((x) => (x as WasmKernels).close()));
});

test('selectKernels rejects unknown engines and bad thread counts with one-line errors', async () => {
  await assert.rejects(selectKernels({ engine: 'cuda' as 'auto' }), EngineError);
  await assert.rejects(selectKernels({ threads: 0 }), /threads must be an integer/);
  assert.equal((await selectKernels({ engine: 'reference' })).name, 'reference (TypeScript, f32)');
});

test('two blas Kernels with different thread counts each keep their own (the library setting is process-wide)', async () => {
  const koffi = (await import('koffi')).default;
  const getThreads = koffi.load('libopenblas.so.0').func('int openblas_get_num_threads()') as () => number;
  const two = await createBlasKernels({ threads: 2 });
  const one = await createBlasKernels({ threads: 1 });
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
