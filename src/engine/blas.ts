/**
 * The `blas` backend (Node only): the wasm kernels for all pointwise work, with gemm through the
 * system's OpenBLAS `cblas_sgemm`, called via the FFI package koffi straight on the WASM shared
 * memory (a typed-array view passes as a pointer: no copies).
 *
 * OpenBLAS is deterministic for a fixed thread count (its splits depend on sizes and threads),
 * which is all the Kernels contract asks. Missing koffi or library → BlasUnavailableError, which
 * src/engine/index.ts turns into a fallback to wasm with a hint.
 */
import { createWasmKernels, type WasmKernelOptions, type WasmKernels } from './wasm.ts';

export interface BlasKernelOptions extends WasmKernelOptions {
  /** The shared library to load (default: the usual OpenBLAS names of Linux, macOS and Windows). */
  library?: string;
}

export class BlasUnavailableError extends Error {
  override name = 'BlasUnavailableError';
}

/** Where OpenBLAS usually is: Debian/Ubuntu libopenblas0-*, Fedora, Homebrew, MSYS2/vcpkg. */
const LIBRARY_NAMES = [
  'libopenblas.so.0', 'libopenblas.so', 'libopenblasp.so.0',
  'libopenblas.dylib', '/opt/homebrew/opt/openblas/lib/libopenblas.dylib', '/usr/local/opt/openblas/lib/libopenblas.dylib',
  'libopenblas.dll', 'openblas.dll',
];

const CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112;
/** assembly/index.ts SMALL_M: the rows up to which its gemm takes the unpacked A·Bᵀ path. */
const SMALL_M = 8;

type Sgemm = (
  order: number, transA: number, transB: number, M: number, N: number, K: number,
  alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number,
) => void;

interface OpenBlas {
  sgemm: Sgemm;
  setThreads: (n: number) => void;
}

/**
 * OpenBLAS's idle threads spin for 2^OPENBLAS_THREAD_TIMEOUT cycles before sleeping, 2^28 (≈0.1 s)
 * by default: between its calls they then take a core from the WASM kernels and the JS of the
 * training step (measured: 3,500 → 4,300 tokens/s on 2 cores with 20). 2^20 cycles (≈0.4 ms)
 * still covers the gap between two recurrent matmuls. The library reads the variable when it
 * loads, so it is set only around the load (a child process such as the PyTorch baseline must
 * not inherit it) and never over the user's own setting.
 */
function withThreadTimeout<T>(load: () => T): T {
  if (process.env.OPENBLAS_THREAD_TIMEOUT !== undefined) return load();
  process.env.OPENBLAS_THREAD_TIMEOUT = '20';
  try {
    return load();
  } finally {
    delete process.env.OPENBLAS_THREAD_TIMEOUT;
  }
}

/** Loads koffi and the first OpenBLAS that opens; throws BlasUnavailableError with the reason. */
async function loadOpenBlas(library?: string): Promise<OpenBlas> {
  let koffi: typeof import('koffi').default;
  try {
    koffi = (await import('koffi')).default;
  } catch {
    throw new BlasUnavailableError('the FFI package koffi is not installed');
  }
  for (const name of library ? [library] : LIBRARY_NAMES) {
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = withThreadTimeout(() => koffi.load(name));
    } catch {
      continue;
    }
    try {
      const sgemm = lib.func('void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int)') as Sgemm;
      const setThreads = lib.func('void openblas_set_num_threads(int)') as (n: number) => void;
      return { sgemm, setThreads };
    } catch {
      throw new BlasUnavailableError(`${name} is not OpenBLAS (no cblas_sgemm/openblas_set_num_threads)`);
    }
  }
  throw new BlasUnavailableError(library ? `cannot load ${library}` : 'OpenBLAS is not installed');
}

/** The thread count last given to OpenBLAS (0: not yet), shared by every blas Kernels of the process. */
let openBlasThreads = 0;

/** The blas backend: wasm kernels with OpenBLAS sgemm on the same memory. */
export async function createBlasKernels(opts: BlasKernelOptions = {}): Promise<WasmKernels> {
  if (typeof process === 'undefined' || !process.versions?.node) throw new BlasUnavailableError('the blas engine needs Node');
  const blas = await loadOpenBlas(opts.library);
  const wasm = await createWasmKernels(opts);
  const threads = wasm.threads;
  const wasmGemm = wasm.gemm;
  return {
    ...wasm,
    name: `blas (OpenBLAS, ${threads} thread${threads > 1 ? 's' : ''})`,
    gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      // degenerate shapes: OpenBLAS rejects ld < 1 and prints to stderr; the wasm gemm handles
      // them. A few rows times Bᵀ (generation): the wasm dot-product path streams B faster
      // (measured 1×6000×256: 295 µs vs 630 µs)
      if (M === 0 || N === 0 || K === 0 || (M <= SMALL_M && transB && !transA)) {
        return wasmGemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      }
      // the library's thread count is process-wide: another blas Kernels may have changed it
      if (openBlasThreads !== threads) blas.setThreads(openBlasThreads = threads);
      blas.sgemm(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS, transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
        M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    },
  };
}
