/**
 * The `blas` backend (Node only): the wasm kernels for all pointwise work, with gemm through the
 * system's OpenBLAS `cblas_sgemm`, called via the FFI package koffi straight on the WASM shared
 * memory (a typed-array view passes as a pointer: no copies).
 *
 * OpenBLAS is deterministic for a fixed thread count (its splits depend on sizes and threads),
 * which is all the Kernels contract asks. Missing koffi or library → BlasUnavailableError, which
 * src/engine/index.ts turns into a fallback to wasm with a hint.
 */
import { bestCoreType, coreTypeFor, readCpuInfo } from './cpu.ts';
import { createReferenceKernels } from './reference.ts';
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

export type Sgemm = (
  order: number, transA: number, transB: number, M: number, N: number, K: number,
  alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number,
) => void;

interface OpenBlas {
  sgemm: Sgemm;
  setThreads: (n: number) => void;
  core: OpenBlasCore;
  /** The name it was loaded by. */
  library: string;
}

/**
 * OpenBLAS's idle threads spin for 2^OPENBLAS_THREAD_TIMEOUT cycles before sleeping, 2^28 (≈0.1 s)
 * by default: between its calls they then take a core from the WASM kernels and the JS of the
 * training step (measured: 3,500 → 4,300 tokens/s on 2 cores with 20). 2^20 cycles (≈0.4 ms)
 * still covers the gap between two recurrent matmuls.
 */
const THREAD_TIMEOUT = '20';

/**
 * Runs `load` with the environment variables OpenBLAS reads when it loads. They are set only around
 * the load (a child process such as the PyTorch baseline must not inherit them) and never over
 * the user's own setting.
 */
function withLoadEnv<T>(vars: Record<string, string | undefined>, load: () => T): T {
  const set = Object.entries(vars).filter(([name, value]) => value !== undefined && process.env[name] === undefined);
  for (const [name, value] of set) process.env[name] = value;
  try {
    return load();
  } finally {
    for (const [name] of set) delete process.env[name];
  }
}

/** How the OpenBLAS core was chosen, for the engine's name. */
export interface OpenBlasCore {
  /** The core the library runs (`openblas_get_corename`), or null when the library does not say. */
  name: string | null;
  /** 'library': its own detection; 'user': OPENBLAS_CORETYPE from the environment; 'shiren': set by cpu.ts's rule. */
  source: 'library' | 'user' | 'shiren';
  /** With source 'shiren': the generic core the library had detected. */
  detected?: string;
}

/** What the per-machine cache (`openblas.json`) keeps per CPU model and library: the probe's answer. */
interface CoreCacheEntry {
  /** libraryId of the probed library: another build or version invalidates the entry. */
  config: string | null;
  /** The library's own core on this CPU. */
  detected: string | null;
  /** The core to ask for (cpu.ts's rule), or null to keep the library's. */
  coreType: string | null;
  /** A core type that failed the load check here (never asked for again). */
  rejected?: string;
}

/** `openblas_get_config()` less the core it names, which changes with OPENBLAS_CORETYPE: the build's identity. */
function libraryId(config: string | null, corename: string | null): string | null {
  return config === null ? null : config.split(/\s+/).filter((word) => word !== corename).join(' ');
}

/**
 * The library's own core on this CPU, found in a child process (OpenBLAS reads OPENBLAS_CORETYPE
 * only when it loads, so this process must not load it before deciding): `{ name, corename,
 * config }` of the first of `names` that opens, null when none opens, undefined when the probe
 * itself failed (then the library's own choice stands, unchecked by the rule, and nothing is cached).
 */
async function probeLibrary(koffiPath: string, names: readonly string[]): Promise<{ name: string; corename: string | null; config: string | null } | null | undefined> {
  const { spawnSync } = await import('node:child_process');
  const script = `
    const { koffi: path, names } = JSON.parse(process.env.SHIREN_OPENBLAS_PROBE);
    const koffi = require(path);
    const call = (lib, decl) => { try { return lib.func(decl)(); } catch { return null; } };
    let found = null;
    for (const name of names) {
      let lib;
      try { lib = koffi.load(name); } catch { continue; }
      found = { name, corename: call(lib, 'const char *openblas_get_corename()'), config: call(lib, 'const char *openblas_get_config()') };
      break;
    }
    console.log(JSON.stringify(found));`;
  const env: NodeJS.ProcessEnv = { ...process.env, SHIREN_OPENBLAS_PROBE: JSON.stringify({ koffi: koffiPath, names }), OPENBLAS_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 30_000 });
  try {
    return r.status === 0 ? JSON.parse(r.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A few sgemm products (every transpose case at sizes that leave edge tiles, and one large enough
 * for the library's threads; a few ms with the reference kernels) against the reference kernels:
 * some OpenBLAS builds compute wrong results on some CPUs, and a core type set from outside is
 * trusted no more. Returns what went wrong, or null. The tolerance is the worst case of float32
 * rounding: entries in [−1, 1), so each result sums K products of magnitude ≤ 1 and differs from
 * the exact sum by at most K·u·K (u = 2^-24) in either computation, plus the rounding of β·C.
 */
export function checkSgemm(sgemm: Sgemm): string | null {
  const reference = createReferenceKernels('f32');
  let seed = 12345;
  const random = (n: number) => Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1);
  const cases = [[19, 37, 29, false, false], [19, 37, 29, false, true], [19, 37, 29, true, false], [19, 37, 29, true, true], [72, 80, 64, false, true]] as const;
  for (const [M, N, K, transA, transB] of cases) {
    const A = random(M * K), B = random(K * N), C = random(M * N), expected = C.slice();
    const lda = transA ? M : K, ldb = transB ? K : N;
    const tolerance = 2 * (K * K + 2) * 2 ** -24;
    reference.gemm(transA, transB, M, N, K, 1, A, lda, B, ldb, 0.5, expected, N);
    sgemm(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS, transB ? CBLAS_TRANS : CBLAS_NO_TRANS, M, N, K, 1, A, lda, B, ldb, 0.5, C, N);
    for (let i = 0; i < M * N; i++) {
      if (!(Math.abs(C[i]! - expected[i]!) <= tolerance)) {
        return `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'} (${M}×${N}×${K}) element ${i} is ${C[i]}, the reference kernels say ${expected[i]}`;
      }
    }
  }
  return null;
}

/**
 * Loads koffi and the first OpenBLAS that opens, with the core chosen as docs/design.md §6 says:
 * the user's OPENBLAS_CORETYPE wins; else, on a CPU whose flags support a better core than the
 * generic one the library falls back to, shiren sets that core (cpu.ts; the library's choice is
 * probed once per machine in a child process and cached). Every load is then checked with
 * checkSgemm. Throws BlasUnavailableError with the reason.
 */
function loadOpenBlas(library?: string): Promise<OpenBlas> {
  const key = library ?? '';
  let loading = loaded.get(key);
  if (!loading) loaded.set(key, loading = loadOpenBlasOnce(library));
  return loading;
}

/** One load and check per library and process: the library stays loaded, and its core with it. */
const loaded = new Map<string, Promise<OpenBlas>>();

async function loadOpenBlasOnce(library?: string): Promise<OpenBlas> {
  let koffi: typeof import('koffi').default;
  let koffiPath: string;
  try {
    koffi = (await import('koffi')).default;
    koffiPath = (await import('node:module')).createRequire(import.meta.url).resolve('koffi');
  } catch {
    throw new BlasUnavailableError('the FFI package koffi is not installed');
  }
  const names = library ? [library] : LIBRARY_NAMES;
  const userCore = process.env.OPENBLAS_CORETYPE || undefined;
  const cpu = userCore ? null : await readCpuInfo();
  const cache = await import('./machine-cache.ts');
  const key = `${cpu?.model ?? ''}|${library ?? 'default'}`; // one entry per CPU model and library asked for
  let entry: CoreCacheEntry | undefined;
  if (cpu && bestCoreType(cpu)) {
    entry = cache.readCache<CoreCacheEntry>('openblas')[key];
    if (!entry) {
      const probe = await probeLibrary(koffiPath, names);
      if (probe === null) throw new BlasUnavailableError(library ? `cannot load ${library}` : 'OpenBLAS is not installed');
      if (probe) {
        entry = { config: libraryId(probe.config, probe.corename), detected: probe.corename, coreType: probe.corename ? coreTypeFor(probe.corename, cpu) : null };
        cache.writeCacheEntry('openblas', key, entry);
      }
    }
  }
  const coreType = userCore ?? entry?.coreType ?? undefined;

  for (const name of names) {
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = withLoadEnv({ OPENBLAS_THREAD_TIMEOUT: THREAD_TIMEOUT, OPENBLAS_CORETYPE: coreType }, () => koffi.load(name));
    } catch {
      continue;
    }
    let sgemm: Sgemm, setThreads: (n: number) => void;
    try {
      sgemm = lib.func('void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int)') as Sgemm;
      setThreads = lib.func('void openblas_set_num_threads(int)') as (n: number) => void;
    } catch {
      throw new BlasUnavailableError(`${name} is not OpenBLAS (no cblas_sgemm/openblas_set_num_threads)`);
    }
    const optional = (decl: string): string | null => { try { return (lib.func(decl) as () => string)(); } catch { return null; } };
    const corename = optional('const char *openblas_get_corename()');
    // another library now (a different build or version): probe again next time
    if (entry && entry.config !== libraryId(optional('const char *openblas_get_config()'), corename)) cache.writeCacheEntry('openblas', key, undefined);
    const core: OpenBlasCore = userCore ? { name: corename, source: 'user' }
      : entry?.coreType ? { name: corename, source: 'shiren', detected: entry.detected ?? undefined }
      : { name: corename, source: 'library' };
    const wrong = checkSgemm(sgemm);
    if (wrong) {
      if (core.source === 'shiren') {
        // the next run keeps the library's own core
        cache.writeCacheEntry<CoreCacheEntry>('openblas', key, { ...entry!, coreType: null, rejected: entry!.coreType! });
        throw new BlasUnavailableError(`OpenBLAS with core ${coreType} (set by shiren; the library detected ${core.detected}) computes wrong products here (${wrong}); the next run keeps the detected core`);
      }
      throw new BlasUnavailableError(`OpenBLAS${corename ? ` (core ${corename}${core.source === 'user' ? ', from OPENBLAS_CORETYPE' : ''})` : ''} computes wrong products on this CPU (${wrong})`);
    }
    return { sgemm, setThreads, core, library: name };
  }
  throw new BlasUnavailableError(library ? `cannot load ${library}` : 'OpenBLAS is not installed');
}

/**
 * The engine's name: `blas (OpenBLAS Cooperlake, 2 threads)`, `blas (OpenBLAS SkylakeX from
 * OPENBLAS_CORETYPE, 2 threads)`, `blas (OpenBLAS SkylakeX set by shiren, the library took this
 * CPU for Prescott; 2 threads)`.
 */
export function blasName(core: OpenBlasCore, threads: number): string {
  const t = `${threads} thread${threads > 1 ? 's' : ''}`;
  if (!core.name) return `blas (OpenBLAS, ${t})`;
  if (core.source === 'user') return `blas (OpenBLAS ${core.name} from OPENBLAS_CORETYPE, ${t})`;
  if (core.source === 'shiren') return `blas (OpenBLAS ${core.name} set by shiren, the library took this CPU for ${core.detected ?? 'an older one'}; ${t})`;
  return `blas (OpenBLAS ${core.name}, ${t})`;
}

/** The thread count last given to OpenBLAS (0: not yet), shared by every blas Kernels of the process. */
let openBlasThreads = 0;

/** The blas Kernels: the wasm ones with OpenBLAS's gemm, and what selectKernels needs to weigh them. */
export interface BlasKernels extends WasmKernels {
  /** The same kernels with the wasm gemm (same memory and threads), for when that is faster. */
  readonly wasm: WasmKernels;
  readonly core: OpenBlasCore;
  /** The library's name as loaded (a key of the per-machine calibration). */
  readonly library: string;
}

/** The blas backend: wasm kernels with OpenBLAS sgemm on the same memory. */
export async function createBlasKernels(opts: BlasKernelOptions = {}): Promise<BlasKernels> {
  if (typeof process === 'undefined' || !process.versions?.node) throw new BlasUnavailableError('the blas engine needs Node');
  const blas = await loadOpenBlas(opts.library);
  const wasm = await createWasmKernels(opts);
  const threads = wasm.threads;
  const wasmGemm = wasm.gemm;
  const smallM = wasm.smallM;
  return {
    ...wasm,
    wasm,
    core: blas.core,
    library: blas.library,
    name: blasName(blas.core, threads),
    gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      // degenerate shapes: OpenBLAS rejects ld < 1 and prints to stderr; the wasm gemm handles
      // them. A few rows times Bᵀ (generation): the wasm dot-product path streams B faster
      // (measured 1×6000×256: 295 µs vs 630 µs)
      if (M === 0 || N === 0 || K === 0 || (M <= smallM && transB && !transA)) {
        return wasmGemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      }
      // the library's thread count is process-wide: another blas Kernels may have changed it
      if (openBlasThreads !== threads) blas.setThreads(openBlasThreads = threads);
      blas.sgemm(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS, transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
        M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    },
  };
}
