/**
 * Where the server's jobs run (a `Runner`): `WorkerRunner`, N worker threads (worker.ts) that each
 * hold the model on a 1-thread engine, so generation never blocks the HTTP thread; or
 * `InlineRunner`, the server's own thread (`serve --workers 0`, and the tests that build the app
 * around a model in memory), which blocks it while a job runs.
 *
 * Contract (both)
 * - `start(id, job, deadline)` runs one job; the scheduler keeps at most `slots` running. It
 *   resolves with the JobResult, or rejects with JobFailed (the job's own error, as data),
 *   JobStopped (stopped by `stop(id)` or because Date.now() passed `deadline`, checked between
 *   poems), or an Error for a fault (a worker that died).
 * - `stop(id)` asks a running job to stop at its next checkpoint. A worker that has not stopped
 *   `graceMs` later (one very long poem) is terminated and replaced, so a slot is never lost.
 */
import { Worker } from 'node:worker_threads';
import type { EngineName } from '../engine/index.ts';
import type { Model } from '../nn/model.ts';
import { describeFailure, JobStopped, runJob, type Job, type JobFailure, type JobResult } from './jobs.ts';

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

/** The server's own thread: one job at a time, blocking. */
export class InlineRunner implements Runner {
  readonly slots = 1;
  private stopping = 0;
  constructor(private readonly model: Model) {}

  start(id: number, job: Job, deadline: number): Promise<JobResult> {
    // after a turn of the event loop, so that a request's own close or timeout is seen first
    return new Promise((resolve, reject) => setImmediate(() => {
      try {
        resolve(runJob(this.model, job, () => {
          if (this.stopping === id || Date.now() > deadline) throw new JobStopped();
        }));
      } catch (err) {
        reject(err instanceof JobStopped ? err : new JobFailed(describeFailure(err)));
      }
    }));
  }

  stop(id: number): void {
    this.stopping = id;
  }

  async close(): Promise<void> {}
}


interface Busy {
  id: number;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
  killTimer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  /** Int32[1]: the id of the job this worker must stop, read between poems. */
  cancel: Int32Array;
  busy?: Busy;
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
  workers: number;
  /** How long a stopped job may take to reach its next checkpoint before its worker is replaced. */
  graceMs?: number;
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
  private readonly pool: Slot[] = [];
  private closing = false;
  private readonly graceMs: number;

  private constructor(private readonly opts: WorkerRunnerOptions) {
    this.slots = opts.workers;
    this.graceMs = opts.graceMs ?? 1000;
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
  private spawn(slot?: Slot): Promise<void> {
    const cancel = new SharedArrayBuffer(4);
    const worker = new Worker(workerSource(), {
      eval: true,
      workerData: { modelBytes: this.opts.modelBytes, engine: this.opts.engine, cancel },
    });
    const s: Slot = slot ?? { worker, cancel: new Int32Array(cancel) };
    s.worker = worker;
    s.cancel = new Int32Array(cancel);
    if (!slot) this.pool.push(s);
    return new Promise((resolve, reject) => {
      let started = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') { started = true; resolve(); return; }
        if (msg.type === 'failed-start') { reject(new Error(`a generation worker could not start: ${msg.message}`)); return; }
        const busy = s.busy;
        if (!busy || busy.id !== msg.id) return; // a late answer to a job already given up
        this.settle(s);
        if (msg.type === 'done') busy.resolve(msg.result);
        else if (msg.type === 'failed') busy.reject(new JobFailed(msg.failure));
        else busy.reject(new JobStopped());
      });
      worker.on('error', (err: Error) => {
        if (!started) reject(new Error(`a generation worker could not start: ${err.message}`));
        else process.stderr.write(`shiren serve: a generation worker failed: ${err.stack ?? err.message}\n`);
      });
      worker.on('exit', () => {
        if (s.worker !== worker) return; // replaced on purpose
        const busy = s.busy;
        this.settle(s);
        busy?.reject(new Error('the generation worker exited'));
        if (!this.closing && started) this.replacements++;
        if (!this.closing && started) this.spawn(s).catch((err) => process.stderr.write(`shiren serve: ${(err as Error).message}\n`));
      });
    });
  }

  private settle(s: Slot): void {
    if (s.busy?.killTimer) clearTimeout(s.busy.killTimer);
    s.busy = undefined;
  }

  start(id: number, job: Job, deadline: number): Promise<JobResult> {
    const s = this.pool.find((x) => !x.busy);
    if (!s) return Promise.reject(new Error('no idle generation worker (the scheduler ran more jobs than slots)'));
    return new Promise((resolve, reject) => {
      s.busy = { id, resolve, reject };
      Atomics.store(s.cancel, 0, 0);
      // the worker checks the deadline itself too: the stop below may come late on a busy thread
      s.worker.postMessage({ id, job, deadline });
    });
  }

  stop(id: number): void {
    const s = this.pool.find((x) => x.busy?.id === id);
    if (!s || s.busy!.killTimer) return;
    Atomics.store(s.cancel, 0, id);
    s.busy!.killTimer = setTimeout(() => {
      // still inside one poem: replace the worker; the job is given up
      const busy = s.busy;
      this.settle(s);
      const old = s.worker;
      this.replacements++;
      this.spawn(s).catch((err) => process.stderr.write(`shiren serve: ${(err as Error).message}\n`));
      void old.terminate();
      busy?.reject(new JobStopped());
    }, this.graceMs);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.pool.map((s) => s.worker.terminate()));
  }
}
