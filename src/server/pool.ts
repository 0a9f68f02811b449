/**
 * Where the server's jobs run (a `Runner`): `WorkerRunner`, N worker threads (worker.ts) that each
 * hold the model on a 1-thread engine and run up to `jobs` jobs at once in one decode loop
 * (continuous batching, batcher.ts), so generation never blocks the HTTP thread; or
 * `InlineRunner`, the same loop in the server's own thread (`serve --workers 0`, and the tests
 * that build the app around a model in memory), which yields to HTTP between decoding steps.
 *
 * Contract (both)
 * - `start(id, job, deadline)` runs one job; the scheduler keeps at most `slots` running (workers
 *   × jobs per worker). It resolves with the JobResult, or rejects with JobFailed (the job's own
 *   error, as data), JobStopped (stopped by `stop(id)` or because Date.now() passed `deadline`,
 *   checked before every decoding step), or an Error for a fault (a worker that died).
 * - `stop(id)` asks a running job to stop before its next step. A worker that has not answered
 *   `graceMs` later (stuck) is terminated and replaced, so slots are never lost; the other jobs
 *   it held fail with it.
 */
import { Worker } from 'node:worker_threads';
import type { EngineName } from '../engine/index.ts';
import type { DecodePrecision } from '../nn/config.ts';
import type { Model } from '../nn/model.ts';
import { SERVE_DEFAULTS } from '../domain/limits.ts';
import { JobBatcher } from './batcher.ts';
import { JobStopped, type Job, type JobFailure, type JobResult } from './jobs.ts';

/** Jobs one decode loop takes at once by default (their poems share its batch). */
export const JOBS_PER_LOOP = SERVE_DEFAULTS.jobsPerLoop;

export interface Runner {
  readonly slots: number;
  start(id: number, job: Job, deadline: number): Promise<JobResult>;
  stop(id: number): void;
  close(): Promise<void>;
}

/** A job's own error (a user error or a fault), carried from the worker as data. */
export class JobFailed extends Error {
  override name = 'JobFailed';
  constructor(readonly failure: JobFailure) {
    super(failure.message);
  }
}

/** The server's own thread: one decode loop, yielding between steps. */
export class InlineRunner implements Runner {
  readonly slots: number;
  private readonly batcher: JobBatcher;
  private readonly pending = new Map<number, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();

  constructor(model: Model, jobs = JOBS_PER_LOOP) {
    this.slots = jobs;
    this.batcher = new JobBatcher(model);
  }

  start(id: number, job: Job, deadline: number): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      this.batcher.start(id, job, deadline, {
        done: resolve,
        failed: (failure) => reject(new JobFailed(failure)),
        stopped: () => reject(new JobStopped()),
      });
    });
  }

  stop(id: number): void {
    this.batcher.stop(id);
  }

  async close(): Promise<void> {}
}

interface Busy {
  id: number;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
  killTimer?: NodeJS.Timeout;
}

interface WorkerSlot {
  worker: Worker;
  /** the jobs this worker runs, by id */
  jobs: Map<number, Busy>;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'failed-start'; message: string }
  | { type: 'done'; id: number; result: JobResult }
  | { type: 'failed'; id: number; failure: JobFailure }
  | { type: 'stopped'; id: number };

export interface WorkerRunnerOptions {
  /** The bytes of the model file: every worker decodes its own copy (no file read after start). */
  modelBytes: Uint8Array;
  engine?: EngineName;
  /** The weights of writing (default int8: src/domain/model.ts LoadOptions.precision). */
  precision?: DecodePrecision;
  workers: number;
  /** Jobs each worker runs at once in its decode loop; default JOBS_PER_LOOP. */
  jobs?: number;
  /** How long a stopped job may take to answer before its worker is replaced (default 1 s). */
  graceMs?: number;
  /** Where the pool reports a worker's fault or a failed replacement, one line each (default stderr). */
  onLog?: (line: string) => void;
}

/**
 * The worker's source: registers tsx's loader when shiren runs from its TypeScript sources (as
 * bin/shiren.js and the tests do: loader hooks do not pass to worker threads in Node 20), then
 * imports worker.ts.
 */
function workerSource(): string {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(ts ? './worker.ts' : './worker.js', import.meta.url).href;
  const load = `import(${JSON.stringify(entry)})`;
  const code = ts ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return ${load}; })` : load;
  return `${code}.catch((e) => { require('node:worker_threads').parentPort.postMessage({ type: 'failed-start', message: String(e && e.message || e) }); });`;
}

export class WorkerRunner implements Runner {
  readonly slots: number;
  /** Workers terminated and replaced so far (stuck past the grace period, or died). */
  replacements = 0;
  private readonly pool: WorkerSlot[] = [];
  private closing = false;
  private readonly graceMs: number;
  private readonly log: (line: string) => void;

  private readonly perWorker: number;

  private constructor(private readonly opts: WorkerRunnerOptions) {
    this.perWorker = opts.jobs ?? JOBS_PER_LOOP;
    this.slots = opts.workers * this.perWorker;
    this.graceMs = opts.graceMs ?? 1000;
    this.log = opts.onLog ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Starts `workers` workers and waits until each has loaded the model; a failure is one line. */
  static async create(opts: WorkerRunnerOptions): Promise<WorkerRunner> {
    const runner = new WorkerRunner(opts);
    const ready = Array.from({ length: opts.workers }, () => runner.spawn());
    try {
      await Promise.all(ready);
    } catch (err) {
      await runner.close();
      throw err;
    }
    return runner;
  }

  /** A new worker in a new slot (or in `slot`, replacing its worker); resolves once it is ready. */
  private spawn(slot?: WorkerSlot): Promise<void> {
    const worker = new Worker(workerSource(), {
      eval: true,
      workerData: { modelBytes: this.opts.modelBytes, engine: this.opts.engine, precision: this.opts.precision },
    });
    const s: WorkerSlot = slot ?? { worker, jobs: new Map() };
    s.worker = worker;
    if (!slot) this.pool.push(s);
    return new Promise((resolve, reject) => {
      let started = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') { started = true; resolve(); return; }
        if (msg.type === 'failed-start') { reject(new Error(`a generation worker could not start: ${msg.message}`)); return; }
        const busy = s.jobs.get(msg.id);
        if (!busy) return; // a late answer to a job already given up
        this.settle(s, msg.id);
        if (msg.type === 'done') busy.resolve(msg.result);
        else if (msg.type === 'failed') busy.reject(new JobFailed(msg.failure));
        else busy.reject(new JobStopped());
      });
      worker.on('error', (err: Error) => {
        if (!started) reject(new Error(`a generation worker could not start: ${err.message}`));
        else this.log(`a generation worker failed: ${err.stack ?? err.message}`);
      });
      worker.on('exit', () => {
        if (s.worker !== worker) return; // replaced on purpose
        this.failAll(s, () => new Error('the generation worker exited'));
        if (!this.closing && started) this.replacements++;
        if (!this.closing && started) this.spawn(s).catch((err) => this.log((err as Error).message));
      });
    });
  }

  private settle(s: WorkerSlot, id: number): void {
    const busy = s.jobs.get(id);
    if (busy?.killTimer) clearTimeout(busy.killTimer);
    s.jobs.delete(id);
  }

  /** Every job of the slot rejected (its worker is gone). */
  private failAll(s: WorkerSlot, error: (id: number) => Error): void {
    for (const [id, busy] of [...s.jobs]) {
      this.settle(s, id);
      busy.reject(error(id));
    }
  }

  start(id: number, job: Job, deadline: number): Promise<JobResult> {
    // the least loaded worker with room
    let s: WorkerSlot | undefined;
    for (const x of this.pool) if (x.jobs.size < this.perWorker && (!s || x.jobs.size < s.jobs.size)) s = x;
    if (!s) return Promise.reject(new Error('no idle generation worker (the scheduler ran more jobs than slots)'));
    const slot = s;
    return new Promise((resolve, reject) => {
      slot.jobs.set(id, { id, resolve, reject });
      // the worker checks the deadline itself too, before every step
      slot.worker.postMessage({ type: 'start', id, job, deadline });
    });
  }

  stop(id: number): void {
    const s = this.pool.find((x) => x.jobs.has(id));
    const busy = s?.jobs.get(id);
    if (!s || !busy || busy.killTimer) return;
    s.worker.postMessage({ type: 'stop', id });
    busy.killTimer = setTimeout(() => {
      if (this.closing) return;
      // no answer: the worker is stuck; replace it (its other jobs fail with it)
      const old = s.worker;
      this.replacements++;
      this.failAll(s, (jobId) => (jobId === id ? new JobStopped() : new Error('the generation worker was replaced')));
      this.spawn(s).catch((err) => this.log((err as Error).message));
      void old.terminate();
    }, this.graceMs);
  }

  async close(): Promise<void> {
    this.closing = true;
    // no timer may outlive the runner (a late replacement would keep the process alive)
    for (const s of this.pool) this.failAll(s, () => new Error('the server is closing'));
    await Promise.all(this.pool.map((s) => s.worker.terminate()));
  }
}
