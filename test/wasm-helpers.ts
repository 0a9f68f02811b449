/**
 * Shared by the wasm and blas tests: building the kernels when build/ is missing or stale, and a
 * small seeded PRNG. (Not a test file: node --test runs only *.test.ts.)
 */
// @ts-expect-error: a plain JS build script without type declarations
import { buildIsFresh, buildWasm } from '../tools/build-wasm.js';

/** Builds build/kernels-*.wasm unless they are newer than assembly/. */
export async function ensureWasmBuild(): Promise<void> {
  if (!buildIsFresh()) await buildWasm({ quiet: true });
}

/** Seeded uniform [0, 1) generator (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
