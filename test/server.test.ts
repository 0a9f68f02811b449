/**
 * `shiren serve` end to end: the real CLI in a child process on port 0 with a tiny untrained model
 * saved here, answered over HTTP. Checks the answers against `gen --json` and `score --json`
 * (same seed, same poems), the forms' well-formedness, every 4xx path (one-line `{"error"}`, no
 * stack, never a 500), the page fallback when the web page is not built, a busy port, and a clean
 * exit on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FORMS } from '../src/data/clean.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { readModelFile } from '../src/nn/checkpoint.ts';
import { ModelFileError, modelFromBytes } from '../src/nn/model-bytes.ts';
import { isWellFormed } from '../src/poetry/forms.ts';
import { API_LIMITS, MAX_SCORE_CHARS, MAX_SCORE_TEXTS } from '../src/domain/limits.ts';

const MAX_POEMS = API_LIMITS.poems;
import { buildApp } from '../src/server/app.ts';
import { shiren, tinyModel } from './cli-helpers.ts';

const { model, vocab, file: modelFile, dir } = tinyModel();
const ENGINE = 'wasm';

/** Starts `shiren serve` and resolves with its base URL once it prints `listening on …`. */
function startServer(args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['bin/shiren.js', 'serve', '--port', '0', '--model', modelFile, '--engine', ENGINE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`no 'listening on' within 30 s: ${stderr}`)); }, 30_000);
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d) => {
      stdout += d;
      const m = /listening on (http:\/\/\S+)\n/.exec(stdout);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1] }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${stderr}`)); });
  });
}

const server = await startServer();
test.after(() => {
  server.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, contentType = 'application/json') {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: contentType ? { 'content-type': contentType } : {},
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** `shiren …args` on the test model and engine; its JSON output. */
function shirenJson(args: string[]) {
  const r = shiren([...args, '--model', modelFile, '--engine', ENGINE], undefined, 60_000);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('GET /api/health: the model and the engine', async () => {
  const res = await fetch(`${server.url}/api/health`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
  const info = await res.json();
  assert.deepEqual({ ...info, engine: undefined }, { status: 'ok', cell: 'lstm', layers: 1, embed: 8, hidden: 16, tied: false, vocab: vocab.size, engine: undefined });
  assert.match(info.engine, /^wasm/);
});

test('POST /api/generate answers exactly as gen --json, and a seed reproduces it', async () => {
  const { status, body } = await post('/api/generate', { start: ['日', '红', '山'], form: 'qijue', count: 2, seed: 11, temperature: 0.9, topK: 50 });
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(body), ['poems']);
  assert.equal(body.poems.length, 6);
  for (const p of body.poems) assert.deepEqual(Object.keys(p), ['start', 'form', 'title', 'lines', 'text', 'choice']);
  assert.deepEqual(body.poems.map((p: { start: string }) => p.start), ['日', '日', '红', '红', '山', '山']);
  assert.deepEqual(body, shirenJson(['gen', '日', '红', '山', '--form', 'qijue', '--count', '2', '--seed', '11', '--temperature', '0.9', '--top-k', '50', '--candidates', String(API_LIMITS.defaultCandidates), '--json']));
  assert.deepEqual((await post('/api/generate', { start: ['日', '红', '山'], form: 'qijue', count: 2, seed: 11, temperature: 0.9, topK: 50 })).body, body);
});

test('POST /api/generate: every form well-formed, acrostic with tones and rhyme, beam, defaults', async () => {
  for (const form of FORMS) {
    const { status, body } = await post('/api/generate', { start: '山', form, count: 3, seed: 1 });
    assert.equal(status, 200);
    for (const p of body.poems) {
      assert.equal(p.form, form);
      assert.ok(isWellFormed(p.text, form) && p.text.startsWith('山'), p.text);
      assert.equal(p.lines.join(''), p.text);
    }
  }
  const acrostic = await post('/api/generate', { acrostic: '春夏秋冬', tones: true, rhyme: true, seed: 2, topP: 0.9 });
  assert.equal(acrostic.status, 200);
  const [poem] = acrostic.body.poems;
  assert.equal(poem.form, 'qijue');
  assert.deepEqual(poem.lines.map((l: string) => l[0]), [...'春夏秋冬']);
  const beam = await post('/api/generate', { start: '月', form: 'wujue', beam: 4, count: 2 });
  assert.equal(beam.status, 200);
  assert.equal(beam.body.poems[0].text, beam.body.poems[1].text); // beam search is deterministic
  // no body at all: one poem from <bos>, in a regulated form the model picks (free only when asked)
  const res = await fetch(`${server.url}/api/generate`, { method: 'POST' });
  assert.equal(res.status, 200);
  const auto = await res.json();
  assert.equal(auto.poems.length, 1);
  assert.ok(['wujue', 'qijue', 'wulv', 'qilv'].includes(auto.poems[0].form), auto.poems[0].form);
  assert.ok(isWellFormed(auto.poems[0].text, auto.poems[0].form));
});

test('POST /api/score answers exactly as score --json', async () => {
  const texts = ['白日依山尽，黄河入海流。', '山。'];
  const { status, body } = await post('/api/score', { texts });
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(body.poems[0]), ['text', 'tokens', 'logprob', 'perplexity']);
  assert.deepEqual(body.poems.map((p: { tokens: number }) => p.tokens), [13, 3]);
  assert.deepEqual(body, shirenJson(['score', ...texts, '--json']));
});

test('user errors: 4xx with a one-line {"error"}, never a stack or a 500', async () => {
  const cases: [string, unknown, string, number, RegExp][] = [
    ['/api/generate', '{"start": "山",', 'application/json', 400, /not valid JSON/],
    ['/api/generate', '', 'application/json', 400, /empty/],
    ['/api/generate', '[1, 2]', 'application/json', 400, /body must be object/],
    ['/api/generate', 'null', 'application/json', 400, /body must be object/],
    ['/api/generate', 'start=山', 'application/x-www-form-urlencoded', 415, /Unsupported Media Type/i],
    ['/api/generate', { count: '3' }, 'application/json', 400, /^count must be integer$/],
    ['/api/generate', { temperature: 'hot' }, 'application/json', 400, /^temperature must be number$/],
    ['/api/generate', { tones: 'yes' }, 'application/json', 400, /^tones must be boolean$/],
    ['/api/generate', { start: 5 }, 'application/json', 400, /^start must be a string or a list of strings$/],
    ['/api/generate', { start: ['山', 5] }, 'application/json', 400, /^start\[1\] must be string$/],
    ['/api/generate', { colour: 'red' }, 'application/json', 400, /^unknown field 'colour'$/],
    ['/api/generate', { form: 'sonnet' }, 'application/json', 400, /^form must be one of free, wujue, qijue, wulv, qilv, ci$/],
    ['/api/generate', { count: 0 }, 'application/json', 400, /^count must be >= 1$/],
    ['/api/generate', { count: MAX_POEMS + 1 }, 'application/json', 400, /^count must be <= 20$/],
    ['/api/generate', { count: 8, start: ['山', '月', '日'] }, 'application/json', 400, /at most 20 poems per request \(count × starts\), asked for 24/],
    ['/api/generate', { topP: 0 }, 'application/json', 400, /^topP must be > 0$/],
    ['/api/generate', { beam: 100 }, 'application/json', 400, /^beam must be <= 16$/],
    ['/api/generate', { beam: 16, count: 5 }, 'application/json', 400, /^at most 64 poems × beams per request, asked for 5 × 16/],
    ['/api/generate', { start: '龘' }, 'application/json', 400, /unknown character.*龘/],
    ['/api/generate', { acrostic: '龘' }, 'application/json', 400, /unknown character.*龘/],
    ['/api/generate', { form: 'qijue', acrostic: '春夏秋' }, 'application/json', 400, /acrostic 春夏秋 has 3 characters but a qijue has 4 lines/],
    ['/api/generate', { form: 'wujue', start: '白日依山尽，黄河入海流。欲穷千里目，更上一层楼。远' }, 'application/json', 400, /does not fit a wujue/],
    ['/api/generate', { form: 'free', tones: true }, 'application/json', 400, /needs a regulated form/],
    ['/api/generate', { acrostic: 'abc' }, 'application/json', 400, /unknown characters? .*a/],
    ['/api/generate', { start: '山'.repeat(65) }, 'application/json', 400, /^start must NOT have more than 64 characters$/],
    ['/api/generate', JSON.stringify({ start: '山'.repeat(70_000) }), 'application/json', 413, /too large/i],
    ['/api/score', {}, 'application/json', 400, /^missing field 'texts'$/],
    ['/api/score', { texts: [] }, 'application/json', 400, /^texts must NOT have fewer than 1 items$/],
    ['/api/score', { texts: ['山', 3] }, 'application/json', 400, /^texts\[1\] must be a string or \{"text", "title"\}$/],
    ['/api/score', { texts: ['山'], extra: 1 }, 'application/json', 400, /^unknown field 'extra'$/],
    ['/api/score', { texts: ['山☃'] }, 'application/json', 400, /unknown character.*☃/],
    ['/api/nothing', {}, 'application/json', 404, /^no such route: POST \/api\/nothing$/],
  ];
  for (const [path, body, type, status, pattern] of cases) {
    const res = await post(path, body, type);
    const what = `${path} ${JSON.stringify(body).slice(0, 60)}`;
    assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
    assert.deepEqual(Object.keys(res.body), ['error'], what);
    assert.match(res.body.error, pattern, what);
    assert.ok(!res.body.error.includes('\n') && !/\bat \S+:\d+/.test(res.body.error), `${what}: ${res.body.error}`);
  }
  const get = await fetch(`${server.url}/api/generate`);
  assert.equal(get.status, 404);
  assert.deepEqual(await get.json(), { error: 'no such route: GET /api/generate' });
});

test('GET /model.safetensors serves the model file, which modelFromBytes reads as readModelFile does; / without a built page says how to build it', async () => {
  const res = await fetch(`${server.url}/model.safetensors`);
  assert.equal(res.status, 200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual(bytes, new Uint8Array(readFileSync(modelFile)));
  const kernels = createReferenceKernels('f32');
  assert.deepEqual(modelFromBytes(bytes, kernels, 'served').params, readModelFile(modelFile, kernels).params);
  assert.throws(() => modelFromBytes(bytes.subarray(0, 100), kernels, 'http://x/model.safetensors'), (e: Error) =>
    e instanceof ModelFileError && /^http:\/\/x\/model\.safetensors: truncated file/.test(e.message));
  // the page: in-process, with a folder that has no build in it
  const app = await buildApp({ model, modelBytes: bytes, webRoot: join(dir, 'no-such-dist') });
  const page = await app.inject({ method: 'GET', url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.body, /npm run build:web/);
  await app.close();
});

test('a busy port is a one-line error (exit 1); SIGTERM closes the server and exits 0', async () => {
  const port = new URL(server.url).port;
  const busy = shiren(['serve', '--port', port, '--model', modelFile, '--engine', 'reference'], undefined, 60_000);
  assert.equal(busy.code, 1, busy.stderr);
  assert.match(busy.stderr, /^shiren: cannot listen on 127\.0\.0\.1:\d+: the port is in use .*\n$/);

  const { child, url } = await startServer();
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  await assert.rejects(fetch(`${url}/api/health`));
});

test('POST /api/check answers as check --json; a title on an untitled model is a 400', async () => {
  const dengGao = '风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。';
  const checked = await post('/api/check', { texts: [dengGao, '床前明月光，疑是地上霜。'] });
  assert.equal(checked.status, 200);
  const cli = shiren(['check', '--json', dengGao, '床前明月光，疑是地上霜。']);
  assert.deepEqual(checked.body, JSON.parse(cli.stdout));
  assert.equal(checked.body.poems[0].pass, true);
  assert.equal((await post('/api/check', { texts: [dengGao], rhymeBook: 'guangyun' })).status, 400);
  // a request at every cap fits under the body limit (MAX_BODY_BYTES is derived from the caps)
  const full = await post('/api/check', { texts: Array.from({ length: MAX_SCORE_TEXTS }, () => '山'.repeat(MAX_SCORE_CHARS)) });
  assert.equal(full.status, 200, JSON.stringify(full.body).slice(0, 200));
  assert.equal(full.body.poems.length, MAX_SCORE_TEXTS);
  const titled = await post('/api/score', { texts: [{ text: '山水，', title: '山' }] });
  assert.equal(titled.status, 400);
  assert.match(titled.body.error, /not trained on titles/);
  const generated = await post('/api/generate', { title: '秋夜', form: 'wujue', seed: 1 });
  assert.equal(generated.status, 400);
  assert.match(generated.body.error, /not trained on titles/);
});
