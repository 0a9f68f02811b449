/**
 * The small platform shim that lets one loader (src/engine/wasm.ts) run in Node and in the
 * browser: reading the compiled kernels from build/, counting cores, and starting a worker from
 * a source string (worker_threads in Node, a Blob-URL Web Worker in the page).
 */

/** A started worker; `terminate` stops it even while it sleeps in Atomics.wait. */
export interface WorkerHandle {
  terminate(): Promise<unknown> | void;
}

export interface Platform {
  /** Bytes of build/<name>, or null when the file is missing (no wasm build: callers fall back). */
  readBuildFile(name: string): Promise<Uint8Array<ArrayBuffer> | null>;
  /** Logical cores, the default thread count. */
  cores(): number;
  /**
   * Starts a worker running `source` (plain JS that handles both hosts) with `data`; resolves
   * once the worker posts its first message ('ready'), rejects on a worker error.
   */
  startWorker(source: string, data: unknown): Promise<WorkerHandle>;
  /** Whether this thread may block in Atomics.wait (not the browser's main thread). */
  readonly canBlock: boolean;
  /** Default largest wasm memory in MiB: the wasm32 limit in Node; less in a browser, where a large reservation may fail. */
  readonly maxMemoryMiB: number;
  /**
   * Turns on relaxed SIMD where the host has it behind a flag (Node 20: V8's
   * --experimental-wasm-relaxed-simd; it is on by default from Node 22 and in current browsers).
   */
  enableRelaxedSimd?(): void;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

let cached: Promise<Platform> | undefined;

/** The platform of the running host (cached). */
export function hostPlatform(): Promise<Platform> {
  cached ??= isNode ? nodePlatform() : Promise.resolve(browserPlatform());
  return cached;
}

async function nodePlatform(): Promise<Platform> {
  const [{ readFile }, os, { Worker }, v8] = await Promise.all([
    import('node:fs/promises'), import('node:os'), import('node:worker_threads'), import('node:v8'),
  ]);
  return {
    canBlock: true,
    maxMemoryMiB: 4096,
    enableRelaxedSimd: () => v8.setFlagsFromString('--experimental-wasm-relaxed-simd'),
    async readBuildFile(name) {
      try {
        return Uint8Array.from(await readFile(new URL(`../../build/${name}`, import.meta.url)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    cores: () => os.availableParallelism(),
    startWorker(source, data) {
      // execArgv: [] keeps the parent's loaders (tsx) out of a worker that runs plain JS
      const worker = new Worker(source, { eval: true, workerData: data, execArgv: [] });
      worker.unref(); // an idle pool never keeps the process alive
      return new Promise((resolve, reject) => {
        worker.once('message', () => resolve({ terminate: () => worker.terminate() }));
        worker.once('error', reject);
      });
    },
  };
}

function browserPlatform(): Platform {
  return {
    // a Web Worker may block; the page's main thread may not
    canBlock: typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined',
    maxMemoryMiB: 1024,
    async readBuildFile(name) {
      const res = await fetch(new URL(`../../build/${name}`, import.meta.url));
      return res.ok ? new Uint8Array(await res.arrayBuffer()) : null;
    },
    cores: () => globalThis.navigator?.hardwareConcurrency ?? 1,
    startWorker(source, data) {
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const worker = new Worker(url);
      worker.postMessage(data);
      return new Promise((resolve, reject) => {
        worker.onmessage = () => { URL.revokeObjectURL(url); resolve({ terminate: () => worker.terminate() }); };
        worker.onerror = (e) => reject(new Error(e.message));
      });
    },
  };
}
