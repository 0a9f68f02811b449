/**
 * Continuous batching of the server's jobs in one thread (a generation worker, or the server's own
 * thread): the poems of every running generate job share ONE decode loop (DecodeBatch), one model
 * step per character for all of them; a new job's poems join between two steps, a finished poem
 * leaves at once, and the loop yields to the event loop after every step, so new jobs and stop
 * requests are taken in between (a stopped job ends within one step, not one poem).
 *
 * Contract
 * - `start(id, job, deadline, reply)` takes a job; exactly one of reply.done / failed / stopped is
 *   called later (never synchronously), unless `forget(id)` was called first.
 * - A generate job's poems are what `writePoems(model, job.request)` writes (the same seeds, the
 *   same per-poem streams): batching changes no poem (Model.step is row-invariant).
 * - `stop(id)` (a cancelled request) and Date.now() > deadline stop the job before the next step:
 *   its poems leave the batch and reply.stopped is called.
 * - Poems join in arrival order while the batch has fewer than `maxRows` rows (a beam poem counts
 *   its beams); the rest wait their turn. Score jobs run whole, between two steps.
 *
 * Shapes: rows = Σ over the poems in the batch of their hypotheses (1 when sampling).
 */
import type { Model } from '../nn/model.ts';
import { DecodeBatch, PoemDecoder, type Poem } from '../poetry/generate.ts';
import { planPoems } from '../domain/write.ts';
import { describeFailure, JobStopped, runJob, type Job, type JobFailure, type JobResult } from './jobs.ts';

export interface Reply {
  done(result: JobResult): void;
  failed(failure: JobFailure): void;
  stopped(): void;
}

/** Rows of the shared batch (poems × beams) at most; more poems wait. */
export const BATCH_ROWS = 256;

interface Running {
  id: number;
  deadline: number;
  reply: Reply;
  stop: boolean;
  /** generate: the poems so far, by index; how many are still to come */
  poems: Poem[];
  left: number;
  /** score jobs run whole in the loop */
  score?: Job;
}

interface Waiting {
  job: Running;
  index: number;
  decoder: PoemDecoder;
  rows: number;
}

export class JobBatcher {
  private readonly jobs = new Map<number, Running>();
  private readonly owner = new Map<PoemDecoder, Running>();
  private readonly waiting: Waiting[] = [];
  private readonly batch: DecodeBatch;
  private scheduled = false;

  constructor(private readonly model: Model, private readonly maxRows = BATCH_ROWS) {
    this.batch = new DecodeBatch(model);
  }

  /** Jobs taken and not yet answered. */
  get size(): number {
    return this.jobs.size;
  }

  start(id: number, job: Job, deadline: number, reply: Reply): void {
    const run: Running = { id, deadline, reply, stop: false, poems: [], left: 0 };
    this.jobs.set(id, run);
    if (job.kind === 'score') {
      run.score = job;
    } else {
      try {
        // the poems as writePoems plans them: every field checked, every unknown character named at once
        const requests = planPoems(this.model, job.request);
        const decoders = requests.map((r) => new PoemDecoder(this.model, r.opts, r.rng));
        run.left = decoders.length;
        decoders.forEach((decoder, index) => this.waiting.push({ job: run, index, decoder, rows: Math.max(1, requests[index]!.opts.beam ?? 1) }));
      } catch (err) {
        this.end(run, () => run.reply.failed(describeFailure(err)));
      }
    }
    this.schedule();
  }

  /** Asks job `id` to stop before the next step. */
  stop(id: number): void {
    const run = this.jobs.get(id);
    if (run) run.stop = true;
    this.schedule();
  }

  /** Drops job `id` without an answer (its requester is gone). */
  forget(id: number): void {
    const run = this.jobs.get(id);
    if (run) this.drop(run);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.tick();
    });
  }

  /** The job is answered: out of the loop, then `answer` after this turn. */
  private end(run: Running, answer: () => void): void {
    this.drop(run);
    setImmediate(answer);
  }

  private drop(run: Running): void {
    if (!this.jobs.delete(run.id)) return;
    if (run.left > 0) {
      this.batch.remove((d) => this.owner.get(d) === run);
      for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.job === run) this.waiting.splice(i, 1);
    }
    for (const [d, r] of this.owner) if (r === run) this.owner.delete(d);
  }

  /** One turn of the loop: stops, score jobs, new poems in, one step, and again if work is left. */
  private tick(): void {
    const now = Date.now();
    for (const run of [...this.jobs.values()]) {
      if (run.stop || now > run.deadline) this.end(run, () => run.reply.stopped());
    }
    for (const run of [...this.jobs.values()]) {
      if (!run.score) continue;
      const job = run.score;
      try {
        const result = runJob(this.model, job, () => {
          if (Date.now() > run.deadline) throw new JobStopped();
        });
        this.end(run, () => run.reply.done(result));
      } catch (err) {
        this.end(run, () => (err instanceof JobStopped ? run.reply.stopped() : run.reply.failed(describeFailure(err))));
      }
    }
    let rows = this.batch.rows;
    while (this.waiting.length && (this.batch.size === 0 || rows + this.waiting[0]!.rows <= this.maxRows)) {
      const w = this.waiting.shift()!;
      rows += w.rows;
      this.owner.set(w.decoder, w.job);
      const run = w.job;
      this.batch.add(
        w.decoder,
        (poem) => {
          this.owner.delete(w.decoder);
          run.poems[w.index] = poem;
          if (--run.left === 0) this.end(run, () => run.reply.done({ poems: run.poems }));
        },
        (err) => this.end(run, () => run.reply.failed(describeFailure(err))),
      );
    }
    if (this.batch.size) {
      try {
        this.batch.step();
      } catch (err) {
        // a fault of the model step itself: every job in the batch fails with it
        for (const run of new Set(this.owner.values())) this.end(run, () => run.reply.failed(describeFailure(err)));
      }
    }
    if (this.batch.size || this.waiting.length) this.schedule();
  }
}
