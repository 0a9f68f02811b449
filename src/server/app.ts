/**
 * The HTTP app of `shiren serve` (fastify): the JSON API over one loaded model, the model file for
 * the web page, and the built page itself.
 *
 *   POST /api/generate   body api.ts GENERATE_SCHEMA → {"poems":[{"start","form","lines","text"}]} (as gen --json)
 *   POST /api/score      body api.ts SCORE_SCHEMA    → {"poems":[{"text","tokens","logprob","perplexity"}]} (as score --json)
 *   GET  /api/health     → api.ts ModelInfo plus {"status":"ok"}
 *   GET  /model.safetensors  the served model's file, for the page's in-browser engine
 *   GET  /…              web/dist (`npm run build:web`), or a page saying how to build it
 *
 * Contract: every user mistake (bad JSON, wrong type, unknown field, impossible request, unknown
 * route) is a 4xx with `{"error": "<one line>"}`; only a fault of shiren's is a 500, whose body
 * says no more than "internal error" (the stack goes to stderr). Every response carries the
 * cross-origin isolation headers the page's shared wasm memory needs (SharedArrayBuffer).
 * Generation is synchronous: requests are served one at a time by the one model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Model } from '../nn/model.ts';
import { UnknownCharacterError } from '../data/vocab.ts';
import { PoetryError } from '../poetry/forms.ts';
import { writePoems } from '../domain/write.ts';
import { scorePoems } from '../domain/score.ts';
import { checkGenerateRequest, describeModel, type GenerateRequest, type ScoreRequest } from '../domain/requests.ts';
import { GENERATE_SCHEMA, SCORE_SCHEMA } from './api.ts';

/** Where `npm run build:web` writes the page. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export interface AppOptions {
  /** The model every request uses. */
  model: Model;
  /** The bytes of its file, served at /model.safetensors. */
  modelBytes: Uint8Array;
  /** Folder of the built page (default WEB_DIST). */
  webRoot?: string;
}

/** Request bodies larger than this are refused (413): the schemas' caps fit well inside. */
const BODY_LIMIT = 64 * 1024;

const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/** Errors whose message is the user's answer: a request that passed the schema but cannot be served. */
const USER_ERRORS = [PoetryError, UnknownCharacterError];

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
    case 'anyOf': return `${field} must be a string or a list of strings`;
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
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // no coercion, no silent removal: "3" is not a count, and an unknown field is an error
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });

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
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: err.message.split('\n')[0] });
    console.error(err);
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no such route: ${req.method} ${req.url.split('?')[0]}` }));

  app.post<{ Body: GenerateRequest }>('/api/generate', { schema: { body: GENERATE_SCHEMA } }, async (req) => ({
    poems: writePoems(model, checkGenerateRequest(req.body)),
  }));
  app.post<{ Body: ScoreRequest }>('/api/score', { schema: { body: SCORE_SCHEMA } }, async (req) => ({
    poems: scorePoems(model, req.body.texts),
  }));
  app.get('/api/health', async () => ({ status: 'ok', ...describeModel(model) }));
  app.get('/model.safetensors', async (_req, reply) => reply.type('application/octet-stream').header('cache-control', 'no-cache').send(Buffer.from(modelBytes.buffer, modelBytes.byteOffset, modelBytes.byteLength)));

  if (existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/' });
  } else {
    app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(pageNotBuilt(webRoot)));
  }
  return app;
}
