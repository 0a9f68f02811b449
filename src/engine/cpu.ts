/**
 * What the CPU can do, and which OpenBLAS core type fits it (docs/design.md §6).
 *
 * OpenBLAS built with DYNAMIC_ARCH picks its kernels by the CPU model it recognises at load. A CPU
 * newer than the library (0.3.21 and a recent AVX-512 Xeon in a VM) falls back to a generic core
 * such as `Prescott` (SSE3 kernels, a third of the speed). `coreTypeFor` is the pure rule that
 * names the core to ask for instead through OPENBLAS_CORETYPE; src/engine/blas.ts applies it
 * (before the load: the library reads the variable only then) and checks the result.
 *
 * The rule: only a core of the SSE era is replaced (a named AVX core is the library's own,
 * deliberate choice), and only by the best family the CPU's flags (as the kernel reports them, so
 * OS support for the wider registers is included) fully support:
 *   avx512f+cd+bw+dq+vl → SkylakeX;  avx2+fma → Haswell (Intel) / Zen (AMD);  avx → Sandybridge.
 */

/** The CPU as /proc/cpuinfo describes its first processor. */
export interface CpuInfo {
  /** `vendor_id`: GenuineIntel, AuthenticAMD, … ('' when not given). */
  vendor: string;
  /** `model name`, the key of the per-machine cache. */
  model: string;
  flags: ReadonlySet<string>;
}

/** Parses /proc/cpuinfo text (its first processor block). */
export function parseCpuInfo(text: string): CpuInfo {
  const field = (name: string): string => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { vendor: field('vendor_id'), model: field('model name'), flags: new Set(field('flags').split(/\s+/).filter(Boolean)) };
}

/** This machine's CPU (Linux; null elsewhere or when /proc/cpuinfo cannot be read). */
export async function readCpuInfo(): Promise<CpuInfo | null> {
  if (typeof process === 'undefined' || process.platform !== 'linux') return null;
  try {
    const { readFile } = await import('node:fs/promises');
    return parseCpuInfo(await readFile('/proc/cpuinfo', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * OpenBLAS's x86 cores of the SSE era (its names, lower case): on a CPU with AVX2 or AVX-512 one
 * of these means the library did not recognise the CPU and fell back.
 */
export const GENERIC_CORES: ReadonlySet<string> = new Set([
  'katmai', 'coppermine', 'northwood', 'prescott', 'banias', 'core2', 'penryn', 'dunnington', 'nehalem',
  'atom', 'athlon', 'opteron', 'opteron_sse3', 'barcelona', 'bobcat', 'nano', 'generic',
]);

const AVX512 = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];

/** The OpenBLAS core family the CPU's flags fully support, or null below AVX. */
export function bestCoreType(cpu: Pick<CpuInfo, 'vendor' | 'flags'>): string | null {
  const has = (f: string) => cpu.flags.has(f);
  if (AVX512.every(has)) return 'SkylakeX';
  if (has('avx2') && has('fma')) return cpu.vendor === 'AuthenticAMD' || cpu.vendor === 'HygonGenuine' ? 'Zen' : 'Haswell';
  if (has('avx')) return 'Sandybridge';
  return null;
}

/**
 * The OPENBLAS_CORETYPE to set when OpenBLAS named `corename` on this CPU, or null to keep the
 * library's choice (see the rule at the top).
 */
export function coreTypeFor(corename: string, cpu: Pick<CpuInfo, 'vendor' | 'flags'>): string | null {
  if (!GENERIC_CORES.has(corename.trim().toLowerCase())) return null;
  return bestCoreType(cpu);
}
