/**
 * The `wasm` backend: the AssemblyScript kernels of assembly/ (compiled into build/ by
 * tools/build-wasm.js) behind the Kernels interface, for Node and the browser alike.
 *
 * - One shared WebAssembly.Memory holds every buffer; `alloc` is a bump allocator over it that
 *   never frees (buffers live as long as the Kernels) and returns zeroed views. Growing a shared
 *   memory keeps old views valid, so views never need refreshing.
 * - Threads: `threads − 1` workers instantiate the same module over the same memory. A job is a
 *   split kernel, a function index plus f64 arguments in a control block, cut into parts; the
 *   calling thread and the workers claim parts with an atomic counter until none is left, so
 *   the interface stays synchronous and a descheduled worker only loses its help, never stalls
 *   the job. Parts write disjoint outputs and partial sums are added in part order. Kernels with
 *   partial sums are cut by their sizes only, and a GEMM's elements do not depend on its cut:
 *   results are the same for every thread count. Workers spin briefly, then sleep in Atomics.wait.
 * - Small work (the per-step cell kernels, GEMMs under 2^20 multiply-adds) runs on the calling
 *   thread only: waking a worker costs more than it saves.
 * - Build choice: relaxed SIMD (FMA) > SIMD > scalar, by WebAssembly.validate of each module;
 *   Node 20 has relaxed SIMD behind a V8 flag, which the platform shim turns on when needed.
 *
 * Memory map (bytes): [0, 64 Ki) the module's static data | control block | gemm workspaces
 * (threads × GEMM workspace + edge tiles) | allocations.
 */
import type { Kernels } from './kernels.ts';
import { hostPlatform, type Platform, type WorkerHandle } from './platform.ts';

/** The three builds of tools/build-wasm.js, fastest first. */
export type WasmVariant = 'relaxed' | 'simd' | 'scalar';

export interface WasmKernelOptions {
  /** Threads including the calling one (default: all cores). */
  threads?: number;
  /** false forces the scalar build; default: SIMD where the runtime validates it. */
  simd?: boolean;
  /** false skips the relaxed-SIMD (FMA) build even where the runtime accepts it (default true). */
  relaxed?: boolean;
  /** Largest memory in MiB the kernels may grow to (default: the platform's, 4096 in Node, 1024 in a browser). */
  maxMemoryMiB?: number;
  /** Host services (default: the running host's). */
  platform?: Platform;
}

/** The wasm Kernels plus what the blas backend and the tools need. */
export interface WasmKernels extends Kernels<Float32Array> {
  readonly memory: WebAssembly.Memory;
  readonly variant: WasmVariant;
  /**
   * The most rows for which gemm multiplies A·Bᵀ by unpacked dot products (SMALL_M of
   * assembly/gemm.ts, read from the module): the blas backend keeps those shapes here.
   */
  readonly smallM: number;
  /** Stops the workers; the Kernels must not be used afterwards. */
  close(): Promise<void>;
}

/** Thrown when the wasm backend cannot run here (no build, no shared memory); callers fall back. */
export class WasmUnavailableError extends Error {
  override name = 'WasmUnavailableError';
}

const PAGE = 65536;
const STATIC_BYTES = 65536; // the module's data segments (Math.log tables) live below this
const MAX_THREADS = 64;
const MAX_PARTS = 256;
// control block: Int32 slots (slot 1, a count of finished parts before, is unused), then f64
// arguments, then per-part f64 results, then per-part Int32 finished slots
/**
 * JOB = generation << PART_BITS | next unclaimed part. The part field holds 0..MAX_PARTS (a claim
 * may step one past the last part); the generation has the other 23 bits, so a worker would have
 * to sleep through 8 M jobs between reading JOB and claiming for its claim to match a later job.
 */
const JOB = 0, PART_BITS = 9, PART_MASK = (1 << PART_BITS) - 1;
const FN = 2, ARGC = 3, NPARTS = 4, SLEEPERS = 5, FAILED = 6;
/** How long the caller sleeps on a part's slot before looking again (the worker's notify wakes it sooner). */
const MAIN_WAIT_MS = 5;
/** A part unfinished this long means a broken pool: the caller throws rather than hang. */
const MAIN_GIVE_UP_MS = 60_000;
const ARGS_AT = 128, MAX_ARGS = 32, RESULTS_AT = 512;
/** Per part, the generation of the job whose part it last finished (Int32 slots). */
const FINISHED_AT = RESULTS_AT + MAX_PARTS * 8;
const CTRL_BYTES = FINISHED_AT + MAX_PARTS * 4;
/**
 * How long a worker polls for the next job before sleeping in Atomics.wait: longer than the gaps
 * between split kernels inside a training step (a wake-up from sleep costs tens of µs), short
 * enough not to take a busy machine's core for long.
 */
const WORKER_SPIN_MS = 0.5;
/** How long the caller polls for the workers' last parts before sleeping (a descheduled worker needs the core). */
const MAIN_SPIN_MS = 0.2;
/** Work per part: gemm multiply-adds, elements of the pointwise kernels. */
const GEMM_PART_MACS = 1 << 20;
const POINTWISE_PART_ELEMENTS = 1 << 16;

/** Split kernels, by index in the job protocol: each ends in (part, nparts, thread) and returns f64. */
const PART_FUNCTIONS = ['gemm', 'gemmNT', 'softmaxCrossEntropy', 'mul', 'addInPlace', 'scale', 'sumSquares', 'adam', 'addBias', 'biasBackward', 'gemmNTInt8'] as const;
type PartFunction = (typeof PART_FUNCTIONS)[number];
const PART_INDEX = Object.fromEntries(PART_FUNCTIONS.map((name, i) => [name, i])) as Record<PartFunction, number>;

type WasmFn = (...args: number[]) => number;

/** What a worker gets: the module and memory to instantiate, and where the control block is. */
interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of the control block. */
  ctrl: number;
  names: readonly string[];
  /** This worker's thread number (1..threads−1; the caller is 0). */
  thread: number;
  spinMs: number;
  /** The control block's layout (the constants above: the worker runs as source, without them). */
  layout: { JOB: number; PART_BITS: number; PART_MASK: number; FN: number; ARGC: number; NPARTS: number; SLEEPERS: number; FAILED: number; ARGS_AT: number; MAX_ARGS: number; RESULTS_AT: number; FINISHED_AT: number; MAX_PARTS: number };
}

/**
 * A worker's life: instantiate the module over the shared memory, post 'ready', then serve jobs
 * until terminated: wait for a new generation, claim parts, run them. Type-checked here, but run
 * from its source text (WORKER_SOURCE), so it may use only its arguments and the globals every
 * host has (WebAssembly, Atomics, performance, typed arrays) — no imports, no outer constants,
 * no named inner functions (tsx would wrap them in a `__name` helper).
 */
function serveJobs(d: WorkerData, post: (message: string) => void): void {
  const L = d.layout;
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const fns = d.names.map((n) => inst.exports[n] as (...args: number[]) => number);
  const ctrl = new Int32Array(d.memory.buffer, d.ctrl, L.ARGS_AT / 4);
  const args = new Float64Array(d.memory.buffer, d.ctrl + L.ARGS_AT, L.MAX_ARGS);
  const results = new Float64Array(d.memory.buffer, d.ctrl + L.RESULTS_AT, L.MAX_PARTS);
  const finished = new Int32Array(d.memory.buffer, d.ctrl + L.FINISHED_AT, L.MAX_PARTS);
  const list: number[] = [];
  let seen = Atomics.load(ctrl, L.JOB) >>> L.PART_BITS;
  post('ready');
  for (;;) {
    let spins = 0, until = performance.now() + d.spinMs, w: number;
    while (((w = Atomics.load(ctrl, L.JOB)) >>> L.PART_BITS) === seen) {
      if ((++spins & 255) === 0 && performance.now() > until) {
        Atomics.add(ctrl, L.SLEEPERS, 1);
        Atomics.wait(ctrl, L.JOB, w);
        Atomics.sub(ctrl, L.SLEEPERS, 1);
        until = performance.now() + d.spinMs;
      }
    }
    seen = w >>> L.PART_BITS;
    // the bound for claiming; the job itself is read only after a claim succeeds, when the caller
    // cannot start the next job (this part is unfinished), so it is always the claimed job's
    let bound = ctrl[L.NPARTS]!;
    while ((w >>> L.PART_BITS) === seen && (w & L.PART_MASK) < bound) {
      const prev = Atomics.compareExchange(ctrl, L.JOB, w, w + 1);
      if (prev !== w) { w = prev; continue; }
      const part = w & L.PART_MASK, nparts = ctrl[L.NPARTS]!;
      // a bound read from an earlier job can only claim past the end: harmless, nothing to run
      if (part >= nparts) break;
      bound = nparts;
      const fn = fns[ctrl[L.FN]!]!, argc = ctrl[L.ARGC]!;
      list.length = argc + 3;
      for (let i = 0; i < argc; i++) list[i] = args[i]!;
      list[argc] = part;
      list[argc + 1] = nparts;
      list[argc + 2] = d.thread;
      try { results[part] = fn.apply(null, list); } catch { Atomics.store(ctrl, L.FAILED, 1); }
      Atomics.store(finished, part, seen);
      Atomics.notify(finished, part);
      w = Atomics.load(ctrl, L.JOB);
    }
  }
}

/**
 * The worker's source: serveJobs plus the few lines that differ between hosts (worker_threads'
 * workerData in Node, the first message in a Web Worker). `__name` is the identity for builds
 * that keep function names through such a helper.
 */
const WORKER_SOURCE = `(function () {
  var __name = function (f) { return f; };
  var serve = ${serveJobs.toString()};
  if (typeof require === 'function') {
    var wt = require('node:worker_threads');
    serve(wt.workerData, function (m) { wt.parentPort.postMessage(m); });
  } else {
    self.onmessage = function (e) { serve(e.data, function (m) { self.postMessage(m); }); };
  }
})();
`;

const LAYOUT: WorkerData['layout'] = { JOB, PART_BITS, PART_MASK, FN, ARGC, NPARTS, SLEEPERS, FAILED, ARGS_AT, MAX_ARGS, RESULTS_AT, FINISHED_AT, MAX_PARTS };

/** Which build this runtime can run, fastest first, honouring the options. */
async function pickVariant(platform: Platform, simd: boolean, relaxed: boolean): Promise<{ variant: WasmVariant; module: WebAssembly.Module }> {
  const order: WasmVariant[] = simd ? (relaxed ? ['relaxed', 'simd', 'scalar'] : ['simd', 'scalar']) : ['scalar'];
  let missing = true;
  for (const variant of order) {
    const bytes = await platform.readBuildFile(`kernels-${variant}.wasm`);
    if (!bytes) continue;
    missing = false;
    let valid = WebAssembly.validate(bytes);
    if (!valid && variant === 'relaxed' && platform.enableRelaxedSimd) {
      // only hosts that have relaxed SIMD behind a flag (Node 20) get the flag turned on
      platform.enableRelaxedSimd();
      valid = WebAssembly.validate(bytes);
    }
    if (valid) return { variant, module: await WebAssembly.compile(bytes) };
  }
  throw new WasmUnavailableError(missing
    ? 'the WebAssembly kernels are not built (run `npm run build:wasm`)'
    : 'this runtime cannot run the WebAssembly kernels (no threads/shared memory support)');
}

/** Runs split kernels on the calling thread and the workers over the control block. */
class ThreadPool {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly results: Float64Array;
  private readonly finished: Int32Array;
  private generation = 0;

  constructor(memory: WebAssembly.Memory, ctrlOffset: number, private readonly fns: WasmFn[],
    private readonly canBlock: boolean, private readonly workers: WorkerHandle[]) {
    this.ctrl = new Int32Array(memory.buffer, ctrlOffset, ARGS_AT / 4);
    this.args = new Float64Array(memory.buffer, ctrlOffset + ARGS_AT, MAX_ARGS);
    this.results = new Float64Array(memory.buffer, ctrlOffset + RESULTS_AT, MAX_PARTS);
    this.finished = new Int32Array(memory.buffer, ctrlOffset + FINISHED_AT, MAX_PARTS);
  }

  /**
   * Runs parts 0..nparts−1 of PART_FUNCTIONS[fn](...args, part, nparts, thread) and returns their
   * results summed in part order.
   */
  run(fn: number, args: number[], nparts: number): number {
    const f = this.fns[fn];
    if (this.workers.length === 0 || nparts === 1) {
      let total = 0;
      for (let part = 0; part < nparts; part++) total += f(...args, part, nparts, 0);
      return total;
    }
    const { ctrl, results, finished } = this;
    this.args.set(args);
    ctrl[FN] = fn;
    ctrl[ARGC] = args.length;
    ctrl[NPARTS] = nparts;
    ctrl[FAILED] = 0;
    finished.fill(0, 0, nparts);
    // 1 … 2^23 − 1: never 0, the value of a part not finished
    this.generation = this.generation % ((1 << (32 - PART_BITS)) - 1) + 1;
    const gen = this.generation << PART_BITS; // negative as an Int32 past 2^22: compared as bits
    Atomics.store(ctrl, JOB, gen); // publishes everything above
    if (Atomics.load(ctrl, SLEEPERS) > 0) Atomics.notify(ctrl, JOB);
    let failure: unknown = null;
    for (let w = gen; (w & PART_MASK) < nparts;) {
      const prev = Atomics.compareExchange(ctrl, JOB, w, w + 1);
      if (prev !== w) { w = prev; continue; }
      // a trap still marks its part finished: the workers' parts of this job must finish before
      // the error leaves, or the next job would reset the slots under them
      try { results[w & PART_MASK] = f(...args, w & PART_MASK, nparts, 0); } catch (err) { failure ??= err; }
      Atomics.store(finished, w & PART_MASK, this.generation);
      w = Atomics.load(ctrl, JOB);
    }
    // the job is over when every part's slot holds its generation. (A shared count of finished
    // parts, as before, hung in one CI run and 2 of 16 loaded `eval` runs here: it stood one past
    // nparts with every part claimed once; where the extra count came from was not found. A slot
    // per part cannot count twice, and no count survives from one job into the next.)
    const start = performance.now();
    let spins = 0;
    for (let part = 0; part < nparts;) {
      const seen = Atomics.load(finished, part);
      if (seen === this.generation) { part++; continue; }
      if (!this.canBlock || (++spins & 255) !== 0) continue;
      const now = performance.now();
      // timed: a lost wake-up costs a few ms, never a hang
      if (now > start + MAIN_SPIN_MS) Atomics.wait(finished, part, seen, MAIN_WAIT_MS);
      if (now > start + MAIN_GIVE_UP_MS) {
        throw new Error(`the wasm thread pool lost part ${part} of ${nparts} of ${PART_FUNCTIONS[fn]} (job ${this.generation}): restart the process`);
      }
    }
    if (failure) throw failure;
    if (ctrl[FAILED]) throw new Error(`wasm kernel ${PART_FUNCTIONS[fn]} failed in a worker thread`);
    let total = 0;
    for (let p = 0; p < nparts; p++) total += results[p];
    return total;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Parts for `work` units at `perPart` units each: at least 1, at most MAX_PARTS. */
function partsFor(work: number, perPart: number): number {
  return Math.max(1, Math.min(MAX_PARTS, Math.ceil(work / perPart)));
}

/** Creates the wasm backend: picks the build, starts the workers, returns synchronous Kernels. */
export async function createWasmKernels(opts: WasmKernelOptions = {}): Promise<WasmKernels> {
  const platform = opts.platform ?? await hostPlatform();
  const threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(opts.threads ?? platform.cores())));
  if (typeof SharedArrayBuffer === 'undefined') throw new WasmUnavailableError('SharedArrayBuffer is not available (the page is not cross-origin isolated)');
  const { variant, module } = await pickVariant(platform, opts.simd ?? true, opts.relaxed ?? true);

  const maxPages = Math.min(65536, Math.floor((opts.maxMemoryMiB ?? platform.maxMemoryMiB) * 16));
  const memory = new WebAssembly.Memory({ initial: 1, maximum: maxPages, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const ex = instance.exports as Record<string, WasmFn>;

  const ctrlOffset = STATIC_BYTES;
  const work = ctrlOffset + CTRL_BYTES;
  let top = align64(work + threads * ex.gemmWorkspaceBytes());
  const reserve = (bytes: number): number => {
    const at = top;
    top = align64(top + bytes);
    const need = Math.ceil(top / PAGE) - memory.buffer.byteLength / PAGE;
    if (need > 0) {
      try { memory.grow(need); } catch {
        throw new RangeError(`the wasm kernels ran out of memory (${Math.round(top / 2 ** 20)} MiB requested, at most ${maxPages / 16} MiB)`);
      }
    }
    return at;
  };
  reserve(0);

  const workers = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => platform.startWorker(WORKER_SOURCE, {
    module, memory, ctrl: ctrlOffset, names: PART_FUNCTIONS, thread: i + 1, spinMs: WORKER_SPIN_MS, layout: LAYOUT,
  } satisfies WorkerData)));
  const pool = new ThreadPool(memory, ctrlOffset, PART_FUNCTIONS.map((n) => ex[n]), platform.canBlock, workers);
  const job = (fn: PartFunction, args: number[], nparts: number): number => pool.run(PART_INDEX[fn], args, nparts);
  const pointwiseParts = (n: number) => partsFor(n, POINTWISE_PART_ELEMENTS);

  const label = variant === 'scalar' ? 'wasm-scalar' : variant === 'relaxed' ? 'wasm-simd, relaxed FMA' : 'wasm-simd';
  return {
    name: `${label} (${threads} thread${threads > 1 ? 's' : ''})`,
    dtype: 'f32',
    threads,
    memory,
    variant,
    smallM: ex.gemmSmallM(),
    close: () => pool.close(),

    // reserve first: it may grow the memory, and only the buffer read after that covers the view
    alloc(n) { const at = reserve(n * 4); return new Float32Array(memory.buffer, at, n); },
    allocInt(n) { const at = reserve(n * 4); return new Int32Array(memory.buffer, at, n); },
    allocInt8(n) { const at = reserve(n); return new Int8Array(memory.buffer, at, n); },
    allocUint8(n) { const at = reserve(n); return new Uint8Array(memory.buffer, at, n); },

    // ── gemm: assembly/gemm.ts ──
    gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      // a gemm's result does not depend on its split, so its parts may follow the thread count:
      // two per thread balance a busy core and keep the repacking of the shared operand small
      const parts = Math.min(partsFor(M * N * K, GEMM_PART_MACS), 2 * threads);
      job('gemm', [+transA, +transB, M, N, K, alpha, A.byteOffset, lda, B.byteOffset, ldb, beta, C.byteOffset, ldc, work], parts);
    },
    gemmNT(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      // split over columns in multiples of 4: every element's arithmetic is the same in any part
      const parts = Math.min(partsFor(M * N * K, GEMM_PART_MACS), 2 * threads);
      job('gemmNT', [M, N, K, alpha, A.byteOffset, lda, B.byteOffset, ldb, beta, C.byteOffset, ldc], parts);
    },
    // ── int8 products: assembly/int8.ts ──
    quantizeRows: (aq, ascale, A, lda, M, K, Kp) => ex.quantizeRows(aq.byteOffset, ascale.byteOffset, A.byteOffset, lda, M, K, Kp),
    quantizeWeights: (wq, wscale, wsum, W, N, K, Kp) => ex.quantizeWeights(wq.byteOffset, wscale.byteOffset, wsum.byteOffset, W.byteOffset, N, K, Kp),
    gemmNTInt8(M, N, Kp, aq, ascale, wq, wscale, wsum, beta, C, ldc) {
      // like gemmNT's split: every element is an exact integer sum, the same in any part
      const parts = Math.min(partsFor(M * N * Kp, GEMM_PART_MACS), 2 * threads);
      job('gemmNTInt8', [M, N, Kp, aq.byteOffset, ascale.byteOffset, wq.byteOffset, wscale.byteOffset, wsum.byteOffset, beta, C.byteOffset, ldc], parts);
    },
    // ── sampling: assembly/sample.ts ──
    sampleList: (scores, ids, n, invT, u, w) => ex.sampleList(scores.byteOffset, ids.byteOffset, n, invT, u, w.byteOffset),
    logSumExpList: (scores, ids, n, w) => ex.logSumExpList(scores.byteOffset, ids.byteOffset, n, w.byteOffset),
    guidedSample: (t, u, ids, n, gamma, invT, r, w, out) => ex.guidedSample(t.byteOffset, u.byteOffset, ids.byteOffset, n, gamma, invT, r, w.byteOffset, out.byteOffset),
    // ── bias and embedding: assembly/embed.ts ──
    addBias: (out, bias, R, C) => { job('addBias', [out.byteOffset, bias.byteOffset, R, C], pointwiseParts(R * C)); },
    biasBackward: (dbias, dout, R, C) => { job('biasBackward', [dbias.byteOffset, dout.byteOffset, R, C], Math.min(pointwiseParts(R * C), Math.ceil(C / 512))); },
    embeddingForward: (out, table, ids, N, E) => ex.embeddingForward(out.byteOffset, table.byteOffset, ids.byteOffset, N, E),
    embeddingBackward: (dtable, dout, ids, N, E) => ex.embeddingBackward(dtable.byteOffset, dout.byteOffset, ids.byteOffset, N, E),
    // ── pointwise: assembly/pointwise.ts ──
    mul: (out, a, b, n) => { job('mul', [out.byteOffset, a.byteOffset, b.byteOffset, n], pointwiseParts(n)); },
    addInPlace: (out, a, n) => { job('addInPlace', [out.byteOffset, a.byteOffset, n], pointwiseParts(n)); },
    scale: (x, s, n) => { job('scale', [x.byteOffset, s, n], pointwiseParts(n)); },
    sumSquares: (x, n) => job('sumSquares', [x.byteOffset, n], pointwiseParts(n)),
    // ── loss: assembly/loss.ts ──
    softmaxCrossEntropy: (dlogits, logits, targets, N, V, ignoreId, scale) =>
      job('softmaxCrossEntropy', [dlogits.byteOffset, logits.byteOffset, targets.byteOffset, N, V, ignoreId, scale], pointwiseParts(N * V)),
    // ── recurrent cells: assembly/cells.ts ──
    rnnCellForward: (h, pre, B, H) => ex.rnnCellForward(h.byteOffset, pre.byteOffset, B, H),
    rnnCellBackward: (dpre, dh, h, B, H) => ex.rnnCellBackward(dpre.byteOffset, dh.byteOffset, h.byteOffset, B, H),
    lstmCellForward: (h, c, gates, cPrev, B, H) => ex.lstmCellForward(h.byteOffset, c.byteOffset, gates.byteOffset, cPrev.byteOffset, B, H),
    lstmCellBackward: (dgates, dcPrev, dh, dc, gates, c, cPrev, B, H) =>
      ex.lstmCellBackward(dgates.byteOffset, dcPrev.byteOffset, dh.byteOffset, dc.byteOffset, gates.byteOffset, c.byteOffset, cPrev.byteOffset, B, H),
    gruGatesForward: (gates, rh, pre, hPrev, B, H) => ex.gruGatesForward(gates.byteOffset, rh.byteOffset, pre.byteOffset, hPrev.byteOffset, B, H),
    gruOutputForward: (h, gates, preN, ldPre, hPrev, B, H) =>
      ex.gruOutputForward(h.byteOffset, gates.byteOffset, preN.byteOffset, ldPre, hPrev.byteOffset, B, H),
    gruOutputBackward: (dpre, dhPrev, dh, gates, hPrev, B, H) =>
      ex.gruOutputBackward(dpre.byteOffset, dhPrev.byteOffset, dh.byteOffset, gates.byteOffset, hPrev.byteOffset, B, H),
    gruGatesBackward: (dpre, dhPrev, drh, gates, hPrev, B, H) =>
      ex.gruGatesBackward(dpre.byteOffset, dhPrev.byteOffset, drh.byteOffset, gates.byteOffset, hPrev.byteOffset, B, H),
    // ── optimiser: assembly/optim.ts ──
    adam(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, t) {
      const stepSize = lr / (1 - beta1 ** t);
      const invBc2Sqrt = 1 / Math.sqrt(1 - beta2 ** t);
      job('adam', [param.byteOffset, grad.byteOffset, m.byteOffset, v.byteOffset, n, stepSize, beta1, beta2, 1 - beta1, 1 - beta2, eps, weightDecay, invBc2Sqrt], pointwiseParts(n));
    },
  };
}

function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}
