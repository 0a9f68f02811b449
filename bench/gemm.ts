/**
 * sgemm GFLOP/s per backend for the shapes of config R (docs/design.md §6), on 1 and all threads:
 * the output layer (N·V·H both ways and its weight gradient), the input projections, and the
 * per-time-step recurrent matmul (M = B = 32) that dominates latency.
 * Usage: node --import tsx bench/gemm.ts [--seconds 1] [--engines wasm,blas] [--threads 1,2] [--json]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createWasmKernels, type WasmKernels } from '../src/engine/wasm.ts';
import { createBlasKernels } from '../src/engine/blas.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1' },
    engines: { type: 'string', default: 'wasm,wasm-simd,blas' },
    threads: { type: 'string', default: [...new Set([1, os.availableParallelism()])].join(',') },
    json: { type: 'boolean', default: false },
  },
});

/** [label, transA, transB, M, N, K] for B=32, T=48 (N=1536 rows), E=128, H=256, V=6000, lstm G·H=1024. */
const SHAPES: [string, boolean, boolean, number, number, number][] = [
  ['logits = h·Wᵀ', false, true, 1536, 6000, 256],
  ['dh = dlogits·W', false, false, 1536, 256, 6000],
  ['dW = dlogitsᵀ·h', true, false, 6000, 256, 1536],
  ['pre = x·W_ihᵀ', false, true, 1536, 1024, 256],
  ['step: h·W_hhᵀ', false, true, 32, 1024, 256],
  ['step: dpre·W_hh', false, false, 32, 256, 1024],
];

async function make(engine: string, threads: number): Promise<WasmKernels> {
  if (engine === 'blas') return createBlasKernels({ threads });
  return createWasmKernels({ threads, relaxed: engine === 'wasm' });
}

const seconds = Number(values.seconds);
const results: Record<string, unknown>[] = [];
for (const engine of values.engines.split(',')) {
  for (const threads of values.threads.split(',').map(Number)) {
    const k = await make(engine, threads);
    for (const [label, tA, tB, M, N, K] of SHAPES) {
      const A = k.alloc(M * K), B = k.alloc(K * N), C = k.alloc(M * N);
      for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
      for (let i = 0; i < B.length; i++) B[i] = Math.cos(i);
      const run = () => k.gemm(tA, tB, M, N, K, 1, A, tA ? M : K, B, tB ? K : N, 0, C, N);
      for (let i = 0; i < 3; i++) run();
      let reps = 0;
      const start = performance.now();
      while (performance.now() - start < seconds * 1000 || reps < 3) { run(); reps++; }
      const ms = (performance.now() - start) / reps;
      const gflops = (2 * M * N * K) / ms / 1e6;
      results.push({ engine: k.name, threads, shape: `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${K}`, label, ms: Number(ms.toFixed(4)), gflops: Number(gflops.toFixed(1)) });
      if (!values.json) console.log(`${k.name.padEnd(34)} ${label.padEnd(18)} ${`${M}x${N}x${K}`.padEnd(15)} ${gflops.toFixed(1).padStart(6)} GFLOP/s  ${ms.toFixed(3)} ms`);
    }
    await k.close();
  }
}
if (values.json) console.log(JSON.stringify({ cpu: os.cpus()[0]?.model, results }, null, 1));
process.exit(0);
