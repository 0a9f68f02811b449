/**
 * The web page end to end: builds it with Vite into a temp folder, serves it with the app of
 * `shiren serve` over a tiny untrained model saved here, and drives Debian's Chromium (headless,
 * through playwright-core). The page must load the model into the in-browser engine (the wasm
 * kernels in a Web Worker, cross-origin isolated) and write well-formed poems there, the same
 * poems as the server for the same seed; the server toggle, the acrostic, the vertical layout and
 * a user error are checked too. Without Chromium ($CHROMIUM or /usr/bin/chromium …) the test fails
 * and says what to install.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { createWasmKernels } from '../src/engine/wasm.ts';
import { loadModel } from '../src/nn/checkpoint.ts';
import { isWellFormed } from '../src/poetry/forms.ts';
import { buildApp } from '../src/server/app.ts';
import type { GenerateRequest } from '../src/domain/requests.ts';
import { ensureWasmBuild } from './wasm-helpers.ts';
import { tinyModel } from './cli-helpers.ts';

/** The Chromium to drive: $CHROMIUM, else the first of the usual Linux paths that exists. */
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium', '/usr/bin/google-chrome'];
const CHROMIUM = process.env.CHROMIUM ?? CHROMIUM_PATHS.find((p) => existsSync(p));
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-quic', '--disable-sync',
];

const dir = mkdtempSync(join(tmpdir(), 'shiren-web-'));
let app: FastifyInstance;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  if (!CHROMIUM || !existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed (looked for ${process.env.CHROMIUM ?? CHROMIUM_PATHS.join(', ')}): the web test drives it (Debian: apt-get install -y chromium; or set CHROMIUM=/path/to/chrome)`);
  }
  await ensureWasmBuild();
  const webRoot = join(dir, 'dist');
  await build({ configFile: 'web/vite.config.ts', logLevel: 'silent', build: { outDir: webRoot } });

  const { file: modelFile } = tinyModel();
  // the page's engine (wasm, one thread) on the server too: the same seed must give the same poems
  const model = loadModel(modelFile, await createWasmKernels({ threads: 1 }));
  app = await buildApp({ model, modelBytes: readFileSync(modelFile), webRoot });
  await app.listen({ port: 0, host: '127.0.0.1' });

  browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  const { port } = app.server.address() as { port: number };
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Fills the form, presses 写诗 and waits for that request's answer; returns each poem's lines. */
async function write(fields: { form?: string; start?: string; acrostic?: string; seed: number; count?: number; tones?: boolean; rhyme?: boolean }): Promise<string[][]> {
  await page.selectOption('#form', fields.form ?? 'qijue');
  await page.fill('#start', fields.start ?? '');
  await page.fill('#acrostic', fields.acrostic ?? '');
  await page.fill('#seed', String(fields.seed));
  await page.fill('#count', String(fields.count ?? 1));
  await page.setChecked('#tones', !!fields.tones);
  await page.setChecked('#rhyme', !!fields.rhyme);
  await page.click('#write');
  await page.waitForFunction((seed) => document.body.dataset.state === 'error' ||
    (document.body.dataset.state === 'ready' && document.getElementById('status')!.textContent!.startsWith(`Seed ${seed}:`)), fields.seed, { timeout: 30_000 });
  return page.$$eval('#poems .poem', (poems) => poems.map((p) => [...p.querySelectorAll('.line')].map((l) => l.textContent!)));
}

async function serverPoems(request: GenerateRequest): Promise<string[][]> {
  const res = await app.inject({ method: 'POST', url: '/api/generate', payload: request });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().poems.map((p: { lines: string[] }) => p.lines);
}

test('the page loads the model into the in-browser engine, cross-origin isolated', async () => {
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready', await page.textContent('#status') ?? '');
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.match((await page.textContent('#status'))!, /^Model loaded in the browser in \d+ ms: lstm 1×16, \d+ characters, wasm/);
});

test('a quatrain written in the browser is well-formed and equals the server\'s for the same seed', async () => {
  const poems = await write({ form: 'qijue', start: '山', seed: 7 });
  assert.equal(await page.getAttribute('#poems', 'data-source'), 'browser');
  assert.equal(poems.length, 1);
  const [lines] = poems;
  assert.equal(lines.length, 4);
  assert.ok(lines[0].startsWith('山'), lines.join(''));
  assert.ok(isWellFormed(lines.join(''), 'qijue'), lines.join(''));
  assert.deepEqual(poems, await serverPoems({ start: '山', form: 'qijue', count: 1, temperature: 0.8, seed: 7 }));
});

test('several starts, and an acrostic with tones and rhyme, in the browser; the vertical layout', async () => {
  const several = await write({ form: 'wulv', start: '日 红 山', seed: 3 });
  assert.deepEqual(several.map((lines) => lines[0][0]), ['日', '红', '山']);
  for (const lines of several) assert.ok(isWellFormed(lines.join(''), 'wulv') && lines.length === 8, lines.join(''));

  const acrostic = await write({ acrostic: '春夏秋冬', count: 2, seed: 5, tones: true, rhyme: true });
  assert.equal(acrostic.length, 2);
  for (const lines of acrostic) {
    assert.deepEqual(lines.map((l) => l[0]), [...'春夏秋冬']);
    assert.ok(isWellFormed(lines.join(''), 'qijue'), lines.join(''));
  }
  assert.deepEqual(acrostic, await serverPoems({ form: 'qijue', acrostic: '春夏秋冬', count: 2, temperature: 0.8, seed: 5, tones: true, rhyme: true }));

  await page.check('#vertical');
  assert.equal(await page.$eval('#poems .poem', (p) => getComputedStyle(p).writingMode), 'vertical-rl');
  await page.uncheck('#vertical');
});

test('the server toggle writes the same poems through POST /api/generate', async () => {
  await page.check('#run-server');
  const poems = await write({ form: 'qijue', start: '山', seed: 7 });
  assert.equal(await page.getAttribute('#poems', 'data-source'), 'server');
  assert.deepEqual(poems, await serverPoems({ start: '山', form: 'qijue', count: 1, temperature: 0.8, seed: 7 }));
  await page.check('#run-browser');
});

test('an impossible request shows its one-line error, and the page stays usable', async () => {
  await write({ start: '龘', seed: 1 });
  assert.equal(await page.getAttribute('body', 'data-state'), 'error');
  assert.match((await page.textContent('#status'))!, /^unknown character not in the model's vocabulary: 龘$/);
  assert.equal(await page.isEnabled('#write'), true);
  const poems = await write({ form: 'wujue', seed: 2 });
  assert.ok(isWellFormed(poems[0].join(''), 'wujue'));
  assert.deepEqual(pageErrors, []);
});
