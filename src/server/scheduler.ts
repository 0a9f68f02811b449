/**
 * The server's scheduler: a bounded queue in front of a Runner's slots (pool.ts), a time budget
 * per request, and cancellation when the client goes away.
 *
 *   submit(job, signal) → Promise<JobResult>
 *     rejects at once with BusyError (→ 503 + Retry-After) when every slot is busy and `queue`
 *       requests already wait;
 *     with OverBudgetError (→ 503 + Retry-After) when the request is not done `budgetMs` after it
 *       arrived (waiting included): a waiting one leaves the queue, a running one is stopped at its
 *       next poem (its worker replaced if it does not stop);
 *     with ClientGoneError when `signal` aborts (the client closed the connection): same stopping;
 *     with JobFailed for the job's own error.
 *
 * Requests run in arrival order. The scheduler keeps no state beyond the requests in flight, so
 * any number of instances can sit behind a load balancer.
 */
import { SERVE_DEFAULTS } from '../domain/limits.ts';
import { JobStopped, type Job, type JobResult } from './jobs.ts';
import type { Runner } from './pool.ts';

/** Every slot is busy and the queue is full. */
export class BusyError extends Error {
  override name = 'BusyError';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

/** The request ran over its time budget. */
export class OverBudgetError extends Error {
  override name = 'OverBudgetError';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

/** The client went away before the answer. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

export interface SchedulerOptions {
  /** Requests that may wait for a slot (beyond those running); default 64. */
  queue?: number;
  /** Milliseconds from arrival to answer, waiting included; default 10,000. */
  budgetMs?: number;
}

interface Pending {
  id: number;
  job: Job;
  deadline: number;
  state: 'waiting' | 'running' | 'done';
  timer?: NodeJS.Timeout;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

export interface SchedulerStats {
  running: number;
  waiting: number;
  slots: number;
  queue: number;
}

export class Scheduler {
  readonly queue: number;
  readonly budgetMs: number;
  private readonly waiting: Pending[] = [];
  private running = 0;
  private nextId = 1;
  /** Moving average of a job's run time (ms), for Retry-After. */
  private jobMs = 100;

  constructor(private readonly runner: Runner, opts: SchedulerOptions = {}) {
    this.queue = opts.queue ?? SERVE_DEFAULTS.queue;
    this.budgetMs = opts.budgetMs ?? SERVE_DEFAULTS.budgetSeconds * 1000;
  }

  stats(): SchedulerStats {
    return { running: this.running, waiting: this.waiting.length, slots: this.runner.slots, queue: this.queue };
  }

  /** Seconds until a slot is likely free for a new request: the work ahead over the slots. */
  private retryAfter(): number {
    const ahead = this.running + this.waiting.length;
    return Math.min(60, Math.max(1, Math.ceil((ahead * this.jobMs) / this.runner.slots / 1000)));
  }

  /** The answer to a request stopped at its budget. */
  private overBudget(): OverBudgetError {
    return new OverBudgetError(`the request took longer than the server's ${this.budgetMs / 1000} s budget and was stopped (ask for fewer poems or beams, or retry later)`, this.retryAfter());
  }

  submit(job: Job, signal?: AbortSignal): Promise<JobResult> {
    if (this.running >= this.runner.slots && this.waiting.length >= this.queue) {
      return Promise.reject(new BusyError(`server busy: ${this.running} requests running and ${this.waiting.length} waiting; retry later`, this.retryAfter()));
    }
    if (signal?.aborted) return Promise.reject(new ClientGoneError('the client closed the connection'));
    return new Promise<JobResult>((resolve, reject) => {
      const p: Pending = { id: this.nextId++, job, deadline: Date.now() + this.budgetMs, state: 'waiting', resolve, reject };
      p.timer = setTimeout(() => this.abandon(p, this.overBudget()), this.budgetMs);
      signal?.addEventListener('abort', () => this.abandon(p, new ClientGoneError('the client closed the connection')), { once: true });
      this.waiting.push(p);
      this.pump();
    });
  }

  /** Gives a request up: out of the queue, or its running job told to stop. */
  private abandon(p: Pending, err: Error): void {
    if (p.state === 'done') return;
    if (p.state === 'waiting') this.waiting.splice(this.waiting.indexOf(p), 1);
    else this.runner.stop(p.id); // its slot frees when the runner says the job has stopped
    this.complete(p);
    p.reject(err);
  }

  private complete(p: Pending): void {
    p.state = 'done';
    clearTimeout(p.timer);
  }

  private pump(): void {
    while (this.running < this.runner.slots && this.waiting.length) {
      const p = this.waiting.shift()!;
      p.state = 'running';
      this.running++;
      const started = performance.now();
      this.runner.start(p.id, p.job, p.deadline).then(
        (result) => this.finish(p, started, null, result),
        (err: Error) => this.finish(p, started, err),
      );
    }
  }

  private finish(p: Pending, started: number, err: Error | null, result?: JobResult): void {
    this.running--;
    if (!err) this.jobMs = 0.8 * this.jobMs + 0.2 * (performance.now() - started);
    if (p.state !== 'done') {
      this.complete(p);
      if (!err) p.resolve(result!);
      // stopped by its own deadline (checked in the worker) before the timer here fired
      else if (err instanceof JobStopped) p.reject(this.overBudget());
      else p.reject(err);
    }
    this.pump();
  }
}
