/**
 * The server's jobs in one thread (a generation worker, or the server's own thread): the poems of
 * every running generate job share the domain's decode loop (src/domain/write.ts WritingLoop, over
 * poetry's DecodeBatch: one model step per character for all of them; a new job's poems join
 * between two steps, a finished poem leaves at once), and the loop yields to the event loop after
 * every step, so new jobs and stop requests are taken in between (a stopped job ends within one
 * step, not one poem). This file keeps only jobs, deadlines and replies.
 *
 * Contract
 * - `start(id, job, deadline, reply)` takes a job; exactly one of reply.done / failed / stopped is
 *   called later (never synchronously), unless `forget(id)` was called first, or a new job came
 *   under the same id (the old one is forgotten).
 * - A generate job's poems are what `writePoems(model, job.request)` writes (the same seeds, the
 *   same per-poem streams), checked against API_LIMITS: batching changes no poem.
 * - `stop(id)` (a cancelled request) and Date.now() > deadline stop the job before the next step:
 *   its poems leave the loop and reply.stopped is called.
 * - Score jobs run whole, between two steps.
 */
import type { Model } from '../nn/model.ts';
import { API_LIMITS } from '../domain/limits.ts';
import { WritingLoop } from '../domain/write.ts';
import { duilianAnswers, planDuilian } from '../domain/duilian.ts';
import { describeFailure, JobStopped, scoreJob, type Job, type JobFailure, type JobResult } from './jobs.ts';

export interface Reply {
  done(result: JobResult): void;
  failed(failure: JobFailure): void;
  stopped(): void;
}

interface Running {
  id: number;
  deadline: number;
  reply: Reply;
  stop: boolean;
  /** score jobs run whole in the loop */
  score?: Job & { kind: 'score' };
}

export class JobBatcher {
  private readonly jobs = new Map<number, Running>();
  private readonly loop: WritingLoop<number>;
  private scheduled = false;

  /** `maxRows`: rows of the shared batch at most (default poetry/generate.ts MAX_BATCH_ROWS). */
  constructor(private readonly model: Model, maxRows?: number) {
    this.loop = new WritingLoop(model, maxRows);
  }

  /** Jobs taken and not yet answered. */
  get size(): number {
    return this.jobs.size;
  }

  start(id: number, job: Job, deadline: number, reply: Reply): void {
    // a job still held under this id was given up by its sender (a stopped job whose answer was
    // overtaken; a scheduler restarted on the same pool counts its ids from 1 again): forget it
    const stale = this.jobs.get(id);
    if (stale) this.drop(stale);
    const run: Running = { id, deadline, reply, stop: false };
    this.jobs.set(id, run);
    if (job.kind === 'score') {
      run.score = job;
    } else if (job.kind === 'duilian') {
      // 下联 are poems of the same loop, planned by the domain's planDuilian
      try {
        const call = planDuilian(this.model, job.request, API_LIMITS);
        this.loop.addRequests(id, call.requests, call.candidates, {
          done: (poems) => this.end(run, () => reply.done(duilianAnswers(call, poems))),
          failed: (err) => this.end(run, () => reply.failed(describeFailure(err))),
        });
      } catch (err) {
        this.end(run, () => reply.failed(describeFailure(err)));
      }
    } else {
      try {
        this.loop.add(id, job.request, {
          done: (poems) => this.end(run, () => reply.done({ poems })),
          failed: (err) => this.end(run, () => reply.failed(describeFailure(err))),
        }, API_LIMITS);
      } catch (err) {
        this.end(run, () => reply.failed(describeFailure(err)));
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
    if (this.jobs.delete(run.id)) this.loop.remove(run.id);
  }

  /** One turn of the loop: stops, score jobs, one step, and again if work is left. */
  private tick(): void {
    const now = Date.now();
    for (const run of [...this.jobs.values()]) {
      if (run.stop || now > run.deadline) this.end(run, () => run.reply.stopped());
    }
    for (const run of [...this.jobs.values()]) {
      if (!run.score) continue;
      try {
        const result = scoreJob(this.model, run.score.texts, () => {
          if (Date.now() > run.deadline) throw new JobStopped();
        });
        this.end(run, () => run.reply.done(result));
      } catch (err) {
        this.end(run, () => (err instanceof JobStopped ? run.reply.stopped() : run.reply.failed(describeFailure(err))));
      }
    }
    if (this.loop.size) this.loop.step();
    if (this.loop.size) this.schedule();
  }
}
