/**
 * The HTTP app of `shiren serve` (fastify): the JSON API over one loaded model, the model file for
 * the web page, and the built page itself.
 *
 *   POST /api/generate   body api.ts GENERATE_SCHEMA → {"poems":[{"start","form","title","lines","text"}]} (as gen --json)
 *   POST /api/duilian    body api.ts DUILIAN_SCHEMA  → {"reading","pairs":[{"upper","lower","choice"?}]} (as duilian --json)
 *   POST /api/score      body api.ts SCORE_SCHEMA    → {"poems":[{"text","tokens","logprob","perplexity"}]} (as score --json)
 *   POST /api/check      body api.ts CHECK_SCHEMA    → {"poems":[{"text","form","pass","pattern","rhymeGroup","tones","faults"}]} (as check --json),
 *                        and {"pairs":[{"upper","lower","pass","tones","faults"}]} for a "duilian" pair (as check --duilian --json)
 *   GET  /api/health     → src/domain/requests.ts ModelInfo plus {"status":"ok"}
 *   GET  /model.safetensors  the served model's file, for the page's in-browser engine
 *   GET  /…              web/dist (`npm run build:web`), or a page saying how to build it
 *
 * Contract: every user mistake (bad JSON, wrong type, unknown field, impossible request, unknown
 * route) is a 4xx with `{"error": "<one line>"}`; only a fault of shiren's is a 500, whose body
 * says no more than "internal error" (the stack goes to stderr). Every response carries the
 * cross-origin isolation headers the page's shared wasm memory needs (SharedArrayBuffer).
 *
 * Scheduling (scheduler.ts, pool.ts, batcher.ts): generate and score requests are jobs for a
 * Runner — worker threads (`serve --workers N`), so health, the model file and the page never wait
 * behind generation; or, given no runner, this thread. Each runs the poems of all its requests in
 * one decode loop (continuous batching). A full queue is a 503 with `Retry-After`; a request over
 * its time budget is stopped and answered 503 with `Retry-After`; a request whose client closes
 * the connection is stopped (between two decoding steps). The app keeps no state between
 * requests.
 *
 * Slow and idle clients (AppOptions.requestTimeoutMs, maxConnections): a request's headers and
 * body must both arrive within 10 s of its first byte (else 408 and the connection is closed; Node
 * checks every second), an idle keep-alive connection is closed after 5 s, and at most 1,024
 * connections are open at once (more are closed on arrival), so a client that never finishes its
 * body holds a socket for seconds, not for ever, and no number of them exhausts the descriptors.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Model } from '../nn/model.ts';
import { describeModel, type CheckRequest, type GenerateRequest, type ScoreRequest } from '../domain/requests.ts';
import { API_LIMITS, MAX_BODY_BYTES } from '../domain/limits.ts';
import { generateOptions } from '../domain/write.ts';
import { planDuilian, type DuilianWriteOptions } from '../domain/duilian.ts';
import { checkText } from '../poetry/ci-check.ts';
import { checkDuilian } from '../poetry/duilian.ts';
import { CHECK_SCHEMA, DUILIAN_SCHEMA, GENERATE_SCHEMA, SCORE_SCHEMA } from './api.ts';
import { USER_ERRORS, type Job } from './jobs.ts';
import { InlineRunner, JobFailed, type Runner } from './pool.ts';
import { BusyError, ClientGoneError, OverBudgetError, Scheduler, type SchedulerOptions } from './scheduler.ts';

/** Where `npm run build:web` writes the page. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export interface AppOptions extends SchedulerOptions {
  /** The model: its description answers /api/health; without `runner`, it serves the requests here. */
  model: Model;
  /** Where jobs run (pool.ts WorkerRunner); default this thread. Closed with the app. */
  runner?: Runner;
  /** The bytes of its file, served at /model.safetensors. */
  modelBytes: Uint8Array;
  /** Folder of the built page (default WEB_DIST). */
  webRoot?: string;
  /** Milliseconds for a request's headers and body to arrive (default 10,000), else 408. */
  requestTimeoutMs?: number;
  /** Open connections at most (default 1,024); more are closed as they arrive. */
  maxConnections?: number;
}

/** Defaults of the slow-client limits (see the contract above). */
export const REQUEST_TIMEOUT_MS = 10_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const MAX_CONNECTIONS = 1024;

const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * One line for the first schema violation, naming the field as the request spells it. A field of
 * several shapes (anyOf) has its branch's deeper complaint when there is one ('start[1] must be
 * string'), else the list of shapes.
 */
function describeSchemaError(errors: SchemaError[]): string {
  const anyOf = errors.find((x) => x.keyword === 'anyOf');
  const e = anyOf ? errors.find((x) => x !== anyOf && !(x.keyword === 'type' && x.instancePath === anyOf.instancePath)) ?? anyOf : errors[0];
  const field = e.instancePath.slice(1).replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.') || 'body';
  switch (e.keyword) {
    case 'additionalProperties': return `unknown field '${e.params.additionalProperty}'${field === 'body' ? '' : ` in ${field}`}`;
    case 'required': return `missing field '${e.params.missingProperty}'`;
    case 'enum': return `${field} must be one of ${(e.params.allowedValues as string[]).join(', ')}`;
    case 'anyOf': return field.startsWith('texts') ? `${field} must be a string or {"text", "title"}` : `${field} must be a string or a list of strings`;
    default: return `${field} ${e.message ?? 'is invalid'}`;
  }
}

function pageNotBuilt(webRoot: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>shiren</title>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>诗人 shiren</h1>
<p>The web page is not built (no <code>${join(webRoot, 'index.html')}</code>). Build it with</p>
<pre>npm run build:web</pre>
<p>and restart <code>shiren serve</code>. The JSON API works already:</p>
<pre>curl -X POST -H 'content-type: application/json' -d '{"start":"山","form":"qijue"}' http://HOST/api/generate</pre>
</body></html>`;
}

/** The app, ready to listen (or to `inject` requests into). */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { model, modelBytes } = opts;
  const webRoot = opts.webRoot ?? WEB_DIST;
  const runner = opts.runner ?? new InlineRunner(model);
  const scheduler = new Scheduler(runner, opts);
  const requestTimeout = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    // a body that never arrives is a 408 after requestTimeout, not a socket held for ever; Node
    // looks for such requests every connectionsCheckingInterval (its default, 30 s, is too slow)
    requestTimeout,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: { headersTimeout: requestTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))) },
    // no coercion, no silent removal: "3" is not a count, and an unknown field is an error
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });

  app.server.maxConnections = opts.maxConnections ?? MAX_CONNECTIONS;

  app.addHook('onSend', async (_req, reply) => {
    reply.headers(ISOLATION_HEADERS);
  });
  // every field of a generate request is optional: a POST with no body at all asks for defaults
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.routeOptions.url === '/api/generate') req.body = {};
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err.validation) return reply.code(400).send({ error: describeSchemaError(err.validation as SchemaError[]) });
    if (USER_ERRORS.some((type) => err instanceof type)) return reply.code(400).send({ error: err.message });
    if (err instanceof BusyError || err instanceof OverBudgetError) {
      return reply.code(503).header('retry-after', String(err.retryAfterSeconds)).send({ error: err.message });
    }
    if (err instanceof ClientGoneError) return reply.code(499).send({ error: err.message }); // no one is listening
    if (err instanceof JobFailed) {
      if (err.failure.user) return reply.code(400).send({ error: err.failure.message });
      process.stderr.write(`${err.failure.stack ?? err.failure.message}\n`);
      return reply.code(500).send({ error: 'internal error' });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message.split('\n')[0] });
    console.error(err);
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no such route: ${req.method} ${req.url.split('?')[0]}` }));

  /** Runs a job for a request, stopping it if the client closes the connection first. */
  const run = (job: Job, reply: FastifyReply) => {
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableEnded) gone.abort();
    };
    reply.raw.once('close', onClose);
    return scheduler.submit(job, gone.signal).finally(() => reply.raw.off('close', onClose));
  };
  app.post<{ Body: GenerateRequest }>('/api/generate', { schema: { body: GENERATE_SCHEMA } }, async (req, reply) => {
    // checked here against the API's caps (a 400 before it takes a place in the queue)
    generateOptions(req.body, API_LIMITS);
    return run({ kind: 'generate', request: req.body }, reply);
  });
  app.post<{ Body: DuilianWriteOptions }>('/api/duilian', { schema: { body: DUILIAN_SCHEMA } }, async (req, reply) => {
    planDuilian(model, req.body, API_LIMITS); // a 400 before it queues: a 上联 ending in 平, unknown characters
    return run({ kind: 'duilian', request: req.body }, reply);
  });
  app.post<{ Body: ScoreRequest }>('/api/score', { schema: { body: SCORE_SCHEMA } }, async (req, reply) =>
    run({ kind: 'score', texts: req.body.texts }, reply));
  // checking needs no model and takes microseconds: it runs here, never queued
  app.post<{ Body: CheckRequest }>('/api/check', { schema: { body: CHECK_SCHEMA } }, async ({ body }) => ({
    ...(body.texts && { poems: body.texts.map((text) => checkText(text, { form: body.form, book: body.rhymeBook, cipai: body.cipai, variant: body.variant, strictRhyme: body.strictRhyme })) }),
    ...(body.duilian && { pairs: [checkDuilian(...body.duilian, { book: body.rhymeBook })] }),
  }));
  app.addHook('onClose', async () => runner.close());
  app.get('/api/health', async () => ({ status: 'ok', ...describeModel(model) }));
  app.get('/model.safetensors', async (_req, reply) => reply.type('application/octet-stream').header('cache-control', 'no-cache').send(Buffer.from(modelBytes.buffer, modelBytes.byteOffset, modelBytes.byteLength)));

  if (existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/' });
  } else {
    app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(pageNotBuilt(webRoot)));
  }
  return app;
}
