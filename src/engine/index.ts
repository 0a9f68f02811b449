/**
 * Choosing the kernels: `selectKernels` picks the fastest backend that runs here (auto: blas >
 * wasm SIMD > wasm scalar > reference), or the one asked for, falling back down that list rather
 * than failing; `engineHint` then says how to get a faster one. The chosen `name` is what the
 * CLI prints (`engine: blas (OpenBLAS Cooperlake, 2 threads)`).
 *
 * auto takes blas only where it is faster than wasm on this machine: OpenBLAS with a core it does
 * not know may run SSE kernels slower than the wasm SIMD ones (docs/design.md §6). The one-off
 * measurement per machine is src/engine/calibrate.ts's; `--engine blas` is taken as asked.
 */
import type { Kernels } from './kernels.ts';
import { createReferenceKernels } from './reference.ts';
import { createWasmKernels, WasmUnavailableError } from './wasm.ts';
import { BlasUnavailableError, createBlasKernels } from './blas.ts';

import { ENGINES, type EngineName } from './names.ts';

export { ENGINES, type EngineName };

export interface SelectKernelsOptions {
  /** Backend to use (default 'auto'); an unavailable one falls back to the next (blas → wasm → reference). */
  engine?: EngineName;
  /** Threads for wasm/blas (default: all cores). */
  threads?: number;
  /** The OpenBLAS shared library for blas (default: the platform's usual names). */
  blasLibrary?: string;
  /**
   * What the kernels are for (default 'any'). 'decode': incremental generation, whose products go
   * through the row-invariant gemmNT of the wasm kernels on every engine (src/nn/model.ts step),
   * so blas would add only the cost of loading OpenBLAS: `auto` picks wasm for it, on one thread
   * unless `threads` says otherwise.
   */
  job?: 'any' | 'decode';
}

/** A user error: unknown engine name or bad thread count. */
export class EngineError extends Error {
  override name = 'EngineError';
}

/** Why each fallen-back Kernels is not the fastest possible, for engineHint. */
const hints = new WeakMap<Kernels<Float32Array>, string>();

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

const BLAS_HINT: Record<string, string> = {
  'OpenBLAS is not installed': 'install OpenBLAS (Debian/Ubuntu: apt install libopenblas0-pthread) for the faster blas engine',
  'the FFI package koffi is not installed': 'npm install koffi (and OpenBLAS) for the faster blas engine',
};

/** The kernels for `opts.engine`, or the best available below it. */
export async function selectKernels(opts: SelectKernelsOptions = {}): Promise<Kernels<Float32Array>> {
  const engine = opts.engine ?? 'auto';
  if (!ENGINES.includes(engine)) throw new EngineError(`unknown engine '${engine}' (expected ${ENGINES.join(', ')})`);
  // decoding is latency-bound, step after step of small products: helper threads cost their start
  // (~80 ms) and gain nothing measurable (bench/README.md: 64 七绝 as one batch, 1 vs 2 threads)
  const threads = opts.threads ?? (opts.job === 'decode' ? 1 : undefined);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new EngineError(`threads must be an integer from 1 to 64, got ${threads}`);
  }
  if (engine === 'reference') return createReferenceKernels('f32');

  let hint: string | undefined;
  if (engine === 'blas' || (engine === 'auto' && isNode && opts.job !== 'decode')) {
    try {
      const blas = await createBlasKernels({ threads, library: opts.blasLibrary });
      if (engine === 'blas') return blas;
      const { blasMs, wasmMs } = await (await import('./calibrate.ts')).calibration(blas);
      return blasMs <= wasmMs ? blas : blas.wasm;
    } catch (err) {
      if (!(err instanceof BlasUnavailableError) && !(err instanceof WasmUnavailableError)) throw err;
      if (err instanceof BlasUnavailableError) hint = BLAS_HINT[err.message] ?? `blas engine unavailable: ${err.message}`;
    }
  }
  try {
    const wasm = await createWasmKernels({ threads });
    if (wasm.variant === 'scalar') hint ??= 'this JavaScript runtime lacks WebAssembly SIMD; a current Node or browser is several times faster';
    if (hint && engine !== 'wasm') hints.set(wasm, hint);
    return wasm;
  } catch (err) {
    if (!(err instanceof WasmUnavailableError)) throw err;
    const reference = createReferenceKernels('f32');
    hints.set(reference, `${err.message}; the reference kernels are much slower`);
    return reference;
  }
}

/** How to get a faster engine than `kernels`, or null when it is already the best one here (or the one asked for). */
export function engineHint(kernels: Kernels<Float32Array>): string | null {
  return hints.get(kernels) ?? null;
}
