/**
 * The scheduler alone (src/server/scheduler.ts) over a fake Runner whose jobs finish when the test
 * says: arrival order, the bounded queue (BusyError with a Retry-After of at least 1 s), the time
 * budget for a waiting and for a running request (the running one told to stop, its slot freed
 * only when the runner says so), and a client's abort while waiting (it leaves the queue, nothing
 * runs) and while running (stop).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobStopped, type Job, type JobResult } from '../src/server/jobs.ts';
import type { Runner } from '../src/server/pool.ts';
import { BusyError, ClientGoneError, OverBudgetError, Scheduler } from '../src/server/scheduler.ts';

/** A runner of `slots` slots whose jobs wait for `finish(id)`; `stop(id)` ends a job as JobStopped. */
class FakeRunner implements Runner {
  started: number[] = [];
  stopped: number[] = [];
  private readonly open = new Map<number, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();
  constructor(readonly slots: number, private readonly stopsAtOnce = true) {}
  start(id: number, _job: Job): Promise<JobResult> {
    this.started.push(id);
    return new Promise((resolve, reject) => this.open.set(id, { resolve, reject }));
  }
  finish(id: number): void {
    this.open.get(id)!.resolve({ poems: [] });
    this.open.delete(id);
  }
  stop(id: number): void {
    this.stopped.push(id);
    if (this.stopsAtOnce) this.end(id);
  }
  end(id: number): void {
    this.open.get(id)?.reject(new JobStopped());
    this.open.delete(id);
  }
  async close(): Promise<void> {}
}

const JOB: Job = { kind: 'generate', request: {} };
const tick = () => new Promise((r) => setImmediate(r));

test('jobs run in arrival order, at most `slots` at once; a full queue is a BusyError at once', async () => {
  const runner = new FakeRunner(1);
  const s = new Scheduler(runner, { queue: 2, budgetMs: 60_000 });
  const a = s.submit(JOB), b = s.submit(JOB), c = s.submit(JOB);
  await assert.rejects(s.submit(JOB), (e: Error) => e instanceof BusyError && e.retryAfterSeconds >= 1 && /1 requests running and 2 waiting/.test(e.message));
  assert.deepEqual(runner.started, [1]);
  runner.finish(1);
  await a;
  await tick();
  assert.deepEqual(runner.started, [1, 2]);
  runner.finish(2);
  await b;
  await tick();
  runner.finish(3);
  await c;
  assert.deepEqual(s.stats(), { running: 0, waiting: 0, slots: 1, queue: 2 });
});

test('over budget: a waiting request leaves the queue; a running one is stopped, its slot freed when it ends', async () => {
  const runner = new FakeRunner(1, false);
  const s = new Scheduler(runner, { queue: 4, budgetMs: 50 });
  const running = s.submit(JOB);
  const waiting = s.submit(JOB);
  await assert.rejects(running, OverBudgetError);
  await assert.rejects(waiting, (e: Error) => e instanceof OverBudgetError && /0\.05 s budget/.test(e.message));
  assert.deepEqual(runner.stopped, [1]);
  assert.deepEqual(runner.started, [1]); // the waiting one never ran
  assert.equal(s.stats().running, 1); // until the runner says job 1 has stopped
  runner.end(1);
  await tick();
  assert.equal(s.stats().running, 0);
});

test('a client that goes away: waiting, it leaves the queue and never runs; running, it is stopped', async () => {
  const runner = new FakeRunner(1);
  const s = new Scheduler(runner, { budgetMs: 60_000 });
  const first = new AbortController(), second = new AbortController();
  const a = s.submit(JOB, first.signal), b = s.submit(JOB, second.signal);
  second.abort();
  await assert.rejects(b, ClientGoneError);
  first.abort();
  await assert.rejects(a, ClientGoneError);
  await tick();
  assert.deepEqual(runner.started, [1]);
  assert.deepEqual(runner.stopped, [1]);
  assert.deepEqual(s.stats(), { running: 0, waiting: 0, slots: 1, queue: 64 });
});
