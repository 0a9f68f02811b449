/**
 * Whether OpenBLAS's gemm beats the wasm gemm on this machine (docs/design.md §6: `auto` never
 * picks an engine slower than another one here). A one-off measurement per CPU model, library,
 * OpenBLAS core, wasm build and thread count, cached in the user's cache folder
 * (machine-cache.ts, `calibration.json`); about 0.3 s the first time, nothing after.
 *
 * Why one measurement covers every job: the blas engine differs from wasm only in the gemms it
 * hands to OpenBLAS, those with more than SMALL_M rows (assembly/gemm.ts) or a transposed A —
 * generating up to 8 poems runs the wasm gemm in both. The gemms it does hand over are those of
 * batches, measured here at config R's shapes (B=32, T=48, E=128, H=256, lstm 4H): one input
 * projection of all B·T rows, (B·T)×4H×H, plus T recurrent steps of B×4H×H; best of 3 rounds,
 * the two engines alternating so that a busy machine slows both alike.
 */
import type { BlasKernels } from './blas.ts';
import type { Kernels } from './kernels.ts';

export interface Calibration {
  /** Best time of one round, ms. */
  blasMs: number;
  wasmMs: number;
  /** When it was measured (ISO date). */
  at: string;
}

const B = 32, T = 48, H = 256, G = 4 * H;

/** Times one round of config R's batch gemms on `k`, in ms. */
function round(k: Kernels<Float32Array>, x: Float32Array, w: Float32Array, pre: Float32Array): number {
  const t0 = performance.now();
  k.gemm(false, true, B * T, G, H, 1, x, H, w, H, 0, pre, G);
  for (let t = 0; t < T; t++) k.gemm(false, true, B, G, H, 1, x.subarray(t * B * H), H, w, H, 1, pre.subarray(t * B * G), G);
  return performance.now() - t0;
}

/** Measures blas against wasm on the same memory and threads. */
export function measure(k: BlasKernels): Calibration {
  // the kernels' memory never shrinks: 2.4 M floats (9.5 MiB) once per machine
  const x = k.alloc(B * T * H), w = k.alloc(G * H), pre = k.alloc(B * T * G);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 2003) / 2003 - 0.5;
  for (let i = 0; i < w.length; i++) w[i] = ((i * 104729) % 1009) / 1009 - 0.5;
  round(k, x, w, pre); // warm-up: page faults, OpenBLAS's threads
  round(k.wasm, x, w, pre);
  let blasMs = Infinity, wasmMs = Infinity;
  for (let r = 0; r < 3; r++) {
    blasMs = Math.min(blasMs, round(k, x, w, pre));
    wasmMs = Math.min(wasmMs, round(k.wasm, x, w, pre));
  }
  return { blasMs, wasmMs, at: new Date().toISOString() };
}

/** The calibration's key in `calibration.json`: CPU model, library, OpenBLAS core, wasm build, threads. */
export async function calibrationKey(k: BlasKernels): Promise<string> {
  const cpu = await (await import('./cpu.ts')).readCpuInfo();
  return [cpu?.model ?? process.arch, k.library, k.core.name ?? '?', k.wasm.variant, k.threads].join('|');
}

/** The cached calibration for `k` on this machine, measured now when there is none. */
export async function calibration(k: BlasKernels): Promise<Calibration> {
  const cache = await import('./machine-cache.ts');
  const key = await calibrationKey(k);
  const known = cache.readCache<Calibration>('calibration')[key];
  if (known && Number.isFinite(known.blasMs) && Number.isFinite(known.wasmMs)) return known;
  const measured = measure(k);
  cache.writeCacheEntry('calibration', key, measured);
  return measured;
}
