/**
 * The server's scheduling (docs/design.md §9), over real HTTP on port 0 with the bundled model in one
 * generation worker thread: health answers while a heavy request runs; a full queue is a 503 with
 * Retry-After; a request over its time budget is a 503 and its worker stops (the next request is
 * served at once); a client that disconnects has its job stopped; concurrent requests share the
 * worker's decode loop (continuous batching) and get the poems each would get alone; a job over
 * budget stops within one decoding step (no worker replaced); a fault is a 500 that says
 * "internal error" and nothing more.
 * Latency bounds are loose: the test machine is a shared 2-core VM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { openModel } from '../src/domain/model.ts';
import { buildApp } from '../src/server/app.ts';
import { JobStopped, type Job, type JobResult } from '../src/server/jobs.ts';
import { WorkerRunner, type Runner } from '../src/server/pool.ts';

const { model, source } = await openModel(undefined, { threads: 1 });
const modelBytes = readFileSync(source);
const workers = await WorkerRunner.create({ modelBytes, workers: 1, graceMs: 5000 });
test.after(() => workers.close());

/** The shared worker, watched: which jobs were asked to stop and how each ended. */
class Watched implements Runner {
  readonly slots: number;
  started: number[] = [];
  stopped: number[] = [];
  ended = new Map<number, 'done' | 'stopped' | 'failed'>();
  constructor(private readonly inner: Runner) {
    this.slots = inner.slots;
  }
  start(id: number, job: Job, deadline: number): Promise<JobResult> {
    this.started.push(id);
    const p = this.inner.start(id, job, deadline);
    p.then(() => this.ended.set(id, 'done'), (e) => this.ended.set(id, e instanceof JobStopped ? 'stopped' : 'failed'));
    return p;
  }
  stop(id: number): void {
    this.stopped.push(id);
    this.inner.stop(id);
  }
  async close(): Promise<void> {} // the shared workers outlive each app
}

async function serve(opts: { runner: Runner; queue?: number; budgetMs?: number }): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp({ model, modelBytes, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

async function post(url: string, body: unknown) {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json(), ms: performance.now() - t0 };
}

/** Takes several seconds on one thread: 20 regulated octaves sampled from the top 1000. */
const HEAVY = { form: 'qilv', count: 20, topK: 1000, seed: 1 };
const LIGHT = { form: 'qijue', seed: 2 };

/** Resolves once `cond` holds (polled every 10 ms). */
async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('health answers at once while a heavy request (20 qilv, top-k 1000) runs in the worker', async () => {
  const runner = new Watched(workers);
  const { app, url } = await serve({ runner, budgetMs: 60_000 });
  try {
    let heavyDone = false;
    const heavy = post(url, HEAVY).then((r) => { heavyDone = true; return r; });
    await new Promise((r) => setTimeout(r, 200));
    const times: number[] = [];
    while (!heavyDone && times.length < 20) {
      const t0 = performance.now();
      const res = await fetch(`${url}/api/health`);
      assert.equal(res.status, 200);
      await res.json();
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    const h = await heavy;
    assert.equal(h.status, 200);
    assert.equal(h.body.poems.length, 20);
    assert.ok(times.length >= 3, `the heavy request took ${h.ms} ms, too short to measure`);
    assert.ok(Math.max(...times) < 500, `health took up to ${Math.max(...times).toFixed(0)} ms while the heavy request ran (${h.ms.toFixed(0)} ms)`);
  } finally {
    await app.close();
  }
});

test('a full queue answers 503 with Retry-After at once; the accepted requests complete', async () => {
  // one job per worker (no batching): one running, one waiting, the third refused
  const single = await WorkerRunner.create({ modelBytes, workers: 1, jobs: 1 });
  const runner = new Watched(single);
  const { app, url } = await serve({ runner, queue: 1, budgetMs: 60_000 });
  try {
    const first = post(url, HEAVY);
    await until(() => runner.started.length === 1);
    const second = post(url, LIGHT);
    await new Promise((r) => setTimeout(r, 100));
    const third = await post(url, LIGHT);
    assert.equal(third.status, 503);
    assert.match(third.body.error, /^server busy: 1 requests running and 1 waiting; retry later$/);
    assert.ok(Number(third.retryAfter) >= 1, `retry-after ${third.retryAfter}`);
    assert.ok(third.ms < 1000, `the 503 took ${third.ms} ms`);
    assert.equal((await first).status, 200);
    assert.equal((await second).status, 200);
  } finally {
    await app.close();
    await single.close();
  }
});

test('concurrent requests share one decode loop and get the poems each gets alone', async () => {
  const runner = new Watched(workers);
  const { app, url } = await serve({ runner, budgetMs: 60_000 });
  try {
    const bodies = [
      { form: 'qijue', seed: 11 }, { form: 'wujue', seed: 12, count: 3 }, { form: 'qilv', seed: 13, topK: 50 },
      { start: ['春', '秋'], seed: 14, temperature: 1.1 }, { form: 'qijue', beam: 4, seed: 15 }, { form: 'qijue', acrostic: '山高水长', seed: 16 },
    ];
    const together = await Promise.all(bodies.map((b) => post(url, b)));
    for (const [i, b] of bodies.entries()) {
      const alone = await post(url, b);
      assert.equal(together[i]!.status, 200, JSON.stringify(together[i]!.body));
      assert.deepEqual(together[i]!.body, alone.body, JSON.stringify(b));
    }
  } finally {
    await app.close();
  }
});

test('a request over its time budget is a 503 and its worker stops: the next request is served at once', async () => {
  const runner = new Watched(workers);
  const { app, url } = await serve({ runner, budgetMs: 400 });
  try {
    const over = await post(url, HEAVY);
    assert.equal(over.status, 503);
    assert.match(over.body.error, /longer than the server's 0\.4 s budget/);
    assert.ok(Number(over.retryAfter) >= 1);
    assert.ok(over.ms < 2000, `answered after ${over.ms} ms`);
    // the heavy job must have stopped: if the worker were still writing its 20 poems, this
    // request would wait behind them and run over the budget too
    const next = await post(url, LIGHT);
    assert.equal(next.status, 200, JSON.stringify(next.body));
    await until(() => runner.ended.size === 2);
    assert.deepEqual([...runner.ended.values()], ['stopped', 'done']);
  } finally {
    await app.close();
  }
});

test('a client that disconnects has its job stopped between poems', async () => {
  const runner = new Watched(workers);
  const { app, url } = await serve({ runner, budgetMs: 60_000 });
  try {
    const body = JSON.stringify(HEAVY);
    const req = request(`${url}/api/generate`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    req.on('error', () => {});
    req.end(body);
    await until(() => runner.started.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(runner.ended.size, 0, 'the heavy job ended before the disconnect');
    const t0 = performance.now();
    req.destroy();
    await until(() => runner.ended.size === 1);
    assert.equal([...runner.ended.values()][0], 'stopped');
    assert.equal(runner.stopped.length, 1);
    assert.ok(performance.now() - t0 < 2000, `stopped ${performance.now() - t0} ms after the disconnect`);
    assert.equal((await post(url, LIGHT)).status, 200);
  } finally {
    await app.close();
  }
});

test('a job over budget stops within one decoding step: no worker is replaced and service goes on', async () => {
  const runner = await WorkerRunner.create({ modelBytes, workers: 1, graceMs: 5000 });
  const { app, url } = await serve({ runner, budgetMs: 150 });
  try {
    // one poem of 16 beams takes far longer than the budget: stopped between two steps
    const over = await post(url, { form: 'qilv', beam: 16, count: 4, seed: 3 });
    assert.equal(over.status, 503);
    assert.ok(over.ms < 2000, `answered after ${over.ms} ms`);
    const { app: app2, url: url2 } = await serve({ runner, budgetMs: 30_000 });
    try {
      const next = await post(url2, LIGHT);
      assert.equal(next.status, 200, JSON.stringify(next.body));
      assert.equal(next.body.poems[0].lines.length, 4);
      assert.equal(runner.replacements, 0);
    } finally {
      await app2.close();
    }
  } finally {
    await app.close();
    await runner.close();
  }
});

test('a fault is a 500 that says "internal error" and nothing more; user errors from a worker are 400s', async () => {
  const broken: Runner = {
    slots: 1,
    start: async () => { throw new Error('boom\n    at secret (/src/x.ts:1:1)'); },
    stop() {},
    close: async () => {},
  };
  const { app, url } = await serve({ runner: broken });
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write; // the stack goes to stderr: keep the test output clean
  try {
    const res = await post(url, LIGHT);
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { error: 'internal error' });
  } finally {
    process.stderr.write = write;
    await app.close();
  }
  const { app: ok, url: okUrl } = await serve({ runner: new Watched(workers) });
  try {
    const res = await post(okUrl, { start: '\u001b山' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "unknown character not in the model's vocabulary: U+001B");
  } finally {
    await ok.close();
  }
});
