/**
 * Where the time of a config-R training step (and of generation) goes, per kernel: wraps every
 * Kernels method with a timer, runs a few steps, prints ms per step by kernel (gemm split by
 * shape class) and the rest (JS outside the kernels).
 * Usage: node --import tsx bench/profile.ts [--engine blas|wasm|reference] [--threads N] [--cell lstm|gru|rnn] [--seconds 2] [--gen]
 */
import { parseArgs } from 'node:util';
import { selectKernels, type EngineName } from '../src/engine/index.ts';
import type { Kernels } from '../src/engine/kernels.ts';
import { generationMs, trainTokensPerSecond } from '../src/domain/bench.ts';
import type { CellType } from '../src/nn/config.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    cell: { type: 'string', default: 'lstm' },
    seconds: { type: 'string', default: '2' },
    gen: { type: 'boolean', default: false },
  },
});

const base = await selectKernels({ engine: values.engine as EngineName, threads: values.threads ? Number(values.threads) : undefined });
const totals = new Map<string, { ms: number; calls: number; flops: number }>();

/** Kernels whose every method adds its wall time to `totals` (gemm keyed by transposes and M). */
function profiled(k: Kernels<Float32Array>): Kernels<Float32Array> {
  const wrapped: Record<string, unknown> = { name: k.name, dtype: k.dtype, threads: k.threads };
  for (const key of Object.keys(k) as (keyof Kernels<Float32Array>)[]) {
    const f = k[key];
    if (typeof f !== 'function') continue;
    wrapped[key] = (...args: never[]) => {
      const start = performance.now();
      const result = (f as (...a: never[]) => unknown).apply(k, args);
      const ms = performance.now() - start;
      let label: string = key;
      let flops = 0;
      if (key === 'gemm') {
        const [tA, tB, M, N, K] = args as unknown as [boolean, boolean, number, number, number];
        label = `gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${K}`;
        flops = 2 * M * N * K;
      }
      const t = totals.get(label) ?? { ms: 0, calls: 0, flops: 0 };
      t.ms += ms; t.calls++; t.flops += flops;
      totals.set(label, t);
      return result;
    };
  }
  return wrapped as unknown as Kernels<Float32Array>;
}

const k = profiled(base);
const seconds = Number(values.seconds);
let steps: number, wall: number;
if (values.gen) {
  const start = performance.now();
  const median = generationMs(k);
  steps = 33; // generationMs runs 3 warm-up + 30 timed quatrains
  wall = performance.now() - start;
  console.log(`generation, ${base.name}: median ${median.toFixed(2)} ms per quatrain (profiled); per quatrain:`);
} else {
  const start = performance.now();
  const r = trainTokensPerSecond(k, values.cell as CellType, seconds);
  steps = r.steps + 2; // with the warm-up steps, which the totals include
  wall = performance.now() - start;
  console.log(`${values.cell} config R, ${base.name}: ${Math.round(r.tokensPerS)} tokens/s (profiled), per step:`);
}
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
let inKernels = 0;
for (const [label, t] of rows) {
  inKernels += t.ms;
  const gflops = t.flops ? `${(t.flops / t.ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : '';
  console.log(`${label.padEnd(28)} ${(t.ms / steps).toFixed(2).padStart(8)} ms  ${(t.calls / steps).toFixed(0).padStart(5)} calls  ${gflops}`);
}
console.log(`${'outside the kernels'.padEnd(28)} ${((wall - inKernels) / steps).toFixed(2).padStart(8)} ms  (includes creating the model, spread over the steps)`);
process.exit(0);
