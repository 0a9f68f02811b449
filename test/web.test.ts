/**
 * The web page end to end: builds it with Vite into a temp folder, serves it with the app of
 * `shiren serve` over a tiny untrained model saved here, and drives Debian's Chromium (headless,
 * through playwright-core). The page must load the model into the in-browser engine (the wasm
 * kernels in a Web Worker, cross-origin isolated) and write well-formed poems there, the same
 * poems as the server for the same seed; the server toggle, the acrostic, the vertical layout and
 * a user error are checked too. Then titles (a title refused by this untitled model; a second page
 * over a tiny title-conditioned model writes on a title and proposes one), the 平仄 marks and rhyme
 * group of a written poem, 改写 (keep a line and a character, rewrite the rest, undo), the check
 * box marking the fault of a constructed poem, 词 to a tune (the
 * picker's search, each 片 a paragraph, the 谱's pattern under the characters), 下联 to a 上联 (ranked,
 * the library's error for a 上联 ending in 平), the check box on a 词 and a 对联, the page without its
 * worker (its own tune table, the server's writing and checks), and the inspect
 * view's probabilities against src/explain/inspect.ts in Node. A plain check that no module the
 * browser entry reaches imports a Node module statically comes first; the last test imports the
 * compiled dist/browser.js in a plain page (no bundler, no import map) and writes,
 * checks and inspects there. Without Chromium ($CHROMIUM
 * or /usr/bin/chromium …) the test fails and says what to install.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { createWasmKernels } from '../src/engine/wasm.ts';
import { readModelFile, saveModel } from '../src/nn/checkpoint.ts';
import { isWellFormed } from '../src/poetry/forms.ts';
import { FORMS } from '../src/data/clean.ts';
import { readSplit } from '../src/data/corpus.ts';
import { CONTROL_SYMBOLS } from '../src/data/sequence.ts';
import { Vocab } from '../src/data/vocab.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';
import { inspectPoem } from '../src/explain/inspect.ts';
import { buildApp } from '../src/server/app.ts';
import type { GenerateRequest } from '../src/domain/requests.ts';
import type { Poem } from '../src/domain/write.ts';
import type { DuilianResult } from '../src/domain/duilian.ts';
import { findTune } from '../src/poetry/cipu.ts';
import { checkCi } from '../src/poetry/ci-check.ts';
import { checkDuilian } from '../src/poetry/duilian.ts';
import { ensureWasmBuild } from './wasm-helpers.ts';
import { FIXTURE_CORPUS, tinyModel } from './cli-helpers.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';

const dir = mkdtempSync(join(tmpdir(), 'shiren-web-'));
let app: FastifyInstance;
let titledApp: FastifyInstance;
let browser: BrowserContext;
let page: Page;
let model: Model;
const pageErrors: string[] = [];
/** Title characters the tiny title-conditioned model knows. */
const TITLE = '秋夜寄友';

/** A tiny untrained title-conditioned model (the control symbols in its vocabulary), saved in `dir`. */
function tinyTitledModel(): string {
  const vocab = Vocab.fromTexts([...readSplit(FIXTURE_CORPUS, 'train', FORMS), TITLE], 1, CONTROL_SYMBOLS);
  const titled = Model.create(createReferenceKernels('f32'), { ...DEFAULT_CONFIG, layers: 1, embed: 8, hidden: 16, vocabSize: vocab.size }, vocab, 11);
  const file = join(dir, 'titled.safetensors');
  saveModel(file, titled);
  return file;
}

async function openPage(server: FastifyInstance): Promise<Page> {
  const p = await browser.newPage();
  p.on('pageerror', (e) => pageErrors.push(e.message));
  p.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  const { port } = server.server.address() as { port: number };
  await p.goto(`http://127.0.0.1:${port}/`);
  await p.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
  return p;
}

before(async () => {
  const executablePath = chromiumPath();
  await ensureWasmBuild();
  const webRoot = join(dir, 'dist');
  await build({ configFile: 'web/vite.config.ts', logLevel: 'silent', build: { outDir: webRoot } });

  const { file: modelFile } = tinyModel();
  // the page's engine (wasm, one thread) on the server too: the same seed must give the same poems
  // the server's models write with int8 weights, as `shiren serve` opens them and as the page does
  model = readModelFile(modelFile, await createWasmKernels({ threads: 1 }));
  model.setDecodePrecision('int8');
  app = await buildApp({ model, modelBytes: readFileSync(modelFile), webRoot });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const titledFile = tinyTitledModel();
  const titled = readModelFile(titledFile, await createWasmKernels({ threads: 1 }));
  titled.setDecodePrecision('int8');
  titledApp = await buildApp({ model: titled, modelBytes: readFileSync(titledFile), webRoot });
  await titledApp.listen({ port: 0, host: '127.0.0.1' });

  browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath, headless: true, args: CHROMIUM_ARGS });
  page = await openPage(app);
});

after(async () => {
  await browser?.close();
  await app?.close();
  await titledApp?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Fields { form?: string; title?: string; start?: string; acrostic?: string; seed: number; count?: number; tones?: boolean; rhyme?: boolean }

/**
 * Fills the form, presses 写诗 and waits for that request's answer; returns each poem's lines.
 * Tones and rhyme are on unless asked otherwise, as the regulated forms' defaults are.
 */
async function write(fields: Fields, on: Page = page): Promise<string[][]> {
  await on.selectOption('#form', fields.form ?? 'qijue');
  await on.fill('#title', fields.title ?? '');
  await on.fill('#start', fields.start ?? '');
  await on.fill('#acrostic', fields.acrostic ?? '');
  await on.fill('#seed', String(fields.seed));
  await on.fill('#count', String(fields.count ?? 1));
  await on.setChecked('#tones', fields.tones ?? true);
  await on.setChecked('#rhyme', fields.rhyme ?? true);
  await submit(fields.seed, on);
  return shownLines(on);
}

/** Presses 写诗 and waits for the answer of the request with this seed (or an error). */
async function submit(seed: number, on: Page = page): Promise<void> {
  await on.click('#write');
  await on.waitForFunction((seed) => document.body.dataset.state === 'error' ||
    (document.body.dataset.state === 'ready' && document.getElementById('status')!.textContent!.startsWith(`Seed ${seed}:`)), seed, { timeout: 30_000 });
}

/** Each line's characters (its .c, punctuation included, without the marks under them) of each element `selector` finds. */
function shownLines(on: Page = page, selector = '#poems .poem'): Promise<string[][]> {
  return on.$$eval(selector, (poems) => poems.map((p) => [...p.querySelectorAll('.line')].map((l) => [...l.querySelectorAll('.c')].map((c) => c.textContent!).join(''))));
}

/** The titles shown above the poems. */
const titles = (on: Page) => on.$$eval('#poems .poem .title', (ts) => ts.map((t) => t.textContent!));

async function serverAnswer(request: GenerateRequest, server = app): Promise<Pick<Poem, 'lines' | 'title' | 'stanzas'>[]> {
  const res = await server.inject({ method: 'POST', url: '/api/generate', payload: request });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().poems;
}

async function serverPoems(request: GenerateRequest): Promise<string[][]> {
  return (await serverAnswer(request)).map((p) => p.lines);
}

/** The repository paths of the modules `entry` reaches by static imports, and the bare ones they import. */
function staticImports(entry: string): { files: string[]; bare: Map<string, string[]> } {
  const files: string[] = [];
  const bare = new Map<string, string[]>();
  const walk = (file: string) => {
    if (files.includes(file)) return;
    files.push(file);
    // static imports and re-exports only (import type is erased; import() runs only where called)
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) walk(relative('.', resolve(dirname(file), spec)));
      else bare.set(spec, [...(bare.get(spec) ?? []), file]);
    }
  };
  walk(entry);
  return { files, bare };
}

test('no module the browser entry reaches imports a Node module statically', () => {
  const { files, bare } = staticImports('src/browser.ts');
  assert.ok(files.includes('src/nn/model-bytes.ts') && files.includes('src/poetry/check.ts') && files.includes('src/explain/render.ts'), files.join(' '));
  assert.ok(!files.includes('src/nn/checkpoint.ts'), 'src/browser.ts reaches src/nn/checkpoint.ts (node:fs)');
  // no package at all: the rhyme books are committed tables (src/poetry/*-table.ts)
  assert.deepEqual([...bare.keys()], []);
});

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

test('a title is refused by the untitled model with its one-line error; its poems show 无题', async () => {
  await write({ title: TITLE, seed: 1 });
  assert.equal(await page.getAttribute('body', 'data-state'), 'error');
  assert.match((await page.textContent('#status'))!, /^this model was not trained on titles .*cannot write on a title$/);
  const poems = await write({ form: 'qijue', seed: 4 });
  assert.equal(poems.length, 1);
  assert.deepEqual(await titles(page), ['无题']);
});

test('a title-conditioned model writes on the title given, and proposes one when none is', async () => {
  const titledPage = await openPage(titledApp);
  assert.match((await titledPage.textContent('#status'))!, /^Model loaded in the browser in \d+ ms: .*writes on titles\.$/);
  const onTitle = await write({ form: 'qijue', title: TITLE, seed: 9 }, titledPage);
  assert.equal(await titledPage.getAttribute('body', 'data-state'), 'ready', await titledPage.textContent('#status') ?? '');
  assert.deepEqual(await titles(titledPage), [TITLE]);
  const expected = await serverAnswer({ form: 'qijue', title: TITLE, seed: 9, count: 1, temperature: 0.8, tones: true, rhyme: true }, titledApp);
  assert.deepEqual(onTitle, expected.map((p) => p.lines));

  const own = await write({ form: 'wujue', count: 2, seed: 12 }, titledPage);
  const proposed = await serverAnswer({ form: 'wujue', seed: 12, count: 2, temperature: 0.8, tones: true, rhyme: true }, titledApp);
  assert.deepEqual(own, proposed.map((p) => p.lines));
  const shown = await titles(titledPage);
  assert.deepEqual(shown, proposed.map((p) => p.title));
  for (const t of shown) assert.ok([...t].length >= 2 && t !== '无题', t);
  assert.deepEqual(pageErrors, []);
  // a tab in the background is throttled: close this one and bring the first page back
  await titledPage.close();
  await page.bringToFront();
});

test('the 平仄 toggle shows a mark under every character and names the rhyme group', async () => {
  const [lines] = await write({ form: 'qijue', start: '山', seed: 7 });
  const marks = page.locator('#poems .poem .mark');
  assert.equal(await marks.count(), 28); // 7 × 4 characters, no mark on the punctuation
  assert.equal(await marks.first().isVisible(), false);
  await page.check('#marks');
  assert.equal(await marks.first().isVisible(), true);
  const tones = await marks.evaluateAll((ms) => ms.map((m) => (m as HTMLElement).dataset.tone).join(''));
  assert.match(tones, /^[平仄中？]{28}$/);
  const prosody = (await page.textContent('#poems .poem .prosody'))!;
  assert.match(prosody, /^qijue .+ · 韵 rhyme group \S+ \(平水韵\) · 合律 passes$/, prosody);
  assert.ok(await page.locator('#poems .poem .prosody').isVisible());
  assert.equal(await page.locator('#poems .ch.fault').count(), 0, lines.join(''));
  await page.uncheck('#marks');
});

test('改写: click a line and a character to keep them, rewrite the rest (kept characters marked), 撤销 brings the poem back', async () => {
  const [before] = await write({ form: 'qijue', seed: 21 });
  const poem = page.locator('#poems .poem').first();
  assert.equal(await poem.locator('button.rewrite').isDisabled(), true, 'nothing kept: nothing to rewrite');
  await poem.locator('.line').nth(0).locator('.keep-line').click();
  await poem.locator('.line').nth(2).locator('.ch[data-pos="3"]').click();
  assert.equal(await poem.locator('.ch.kept').count(), 8);
  await poem.locator('button.rewrite').click();
  await page.waitForFunction(() => document.body.dataset.state !== 'busy' && /^Rewritten|error/.test(document.getElementById('status')!.textContent! + document.body.dataset.state), undefined, { timeout: 30_000 });
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready', (await page.textContent('#status'))!);
  const after = page.locator('#poems .poem').first();
  const lines = await after.locator('.line').evaluateAll((ls) => ls.map((l) => [...l.querySelectorAll('.c')].map((c) => c.textContent).join('')));
  assert.ok(isWellFormed(lines.join(''), 'qijue'), lines.join(''));
  assert.equal(lines[0], before![0]);
  assert.equal([...lines[2]!][2], [...before![2]!][2]);
  assert.notDeepEqual(lines, before, 'the rest was written again');
  // the kept characters are marked: line 1 and line 3's third character
  const marked = await after.locator('.ch.kept').evaluateAll((cs) => cs.map((c) => `${(c as HTMLElement).dataset.line}:${(c as HTMLElement).dataset.pos}`));
  assert.deepEqual(marked, ['1:1', '1:2', '1:3', '1:4', '1:5', '1:6', '1:7', '3:3']);
  assert.equal(await after.getAttribute('data-revisions'), '1');
  await after.locator('button.undo').click();
  await page.waitForFunction(() => document.querySelector('#poems .poem')?.getAttribute('data-revisions') === '0');
  const undone = await page.locator('#poems .poem').first().locator('.line').evaluateAll((ls) => ls.map((l) => [...l.querySelectorAll('.c')].map((c) => c.textContent).join('')));
  assert.deepEqual(undone, before);
  assert.equal(await page.locator('#poems .poem button.undo').first().isDisabled(), true);
  assert.deepEqual(pageErrors, []);
});

test('the check box marks the fault of a pasted poem on its character, with its message', async () => {
  // 王之涣《登鹳雀楼》 passes; its last rhyme 楼 (尤) changed to 天 (先) is 出韵 at line 4, character 5
  await page.fill('#check-text', '白日依山尽，黄河入海流。\n欲穷千里目，更上一层天。');
  await page.click('#check');
  await page.waitForSelector('#check-result .checked');
  assert.equal(await page.textContent('#check-status'), '1 fault by the 平水韵.');
  const fault = page.locator('#check-result .ch.fault');
  assert.equal(await fault.count(), 1);
  assert.equal(await fault.getAttribute('data-line'), '4');
  assert.equal(await fault.getAttribute('data-pos'), '5');
  assert.equal(await fault.locator('.c').textContent(), '天');
  assert.match((await fault.getAttribute('title'))!, /^出韵: 天 \(下平一先\) is not in 下平十一尤$/);
  assert.equal(await page.textContent('#check-result .faults li[data-kind="rhyme"]'), 'line 4, character 5 · rhyme: 出韵: 天 (下平一先) is not in 下平十一尤');
  assert.equal(await page.locator('#check-result .mark').count(), 20);

  await page.fill('#check-text', '白日依山尽，黄河入海流。欲穷千里目，更上一层楼。');
  await page.click('#check');
  await page.waitForFunction(() => document.getElementById('check-status')!.textContent!.startsWith('合律'));
  assert.equal(await page.locator('#check-result .ch.fault').count(), 0);
  assert.match((await page.textContent('#check-result .verdict'))!, /韵 rhyme group 尤 \(平水韵\)/);
});

test('词: the picker finds a tune by its start or an alias; a 浣溪沙 written in the browser shows its two 片 with the pattern under them, as the server writes it', async () => {
  await page.selectOption('#form', 'ci');
  await page.waitForSelector('#cipai option');
  assert.equal(await page.isVisible('#acrostic'), false); // a poem's own fields give way to the tune's
  await page.fill('#cipai-search', '十六字令');
  assert.equal(await page.inputValue('#cipai'), '归字谣');
  assert.match((await page.textContent('#cipai option'))!, /^归字谣 \(十六字令\) · \d+ 首 · 2 体$/);
  await page.fill('#cipai-search', '浣溪');
  assert.equal(await page.inputValue('#cipai'), '浣溪沙');
  assert.match((await page.textContent('#cipai option'))!, /^浣溪沙 · \d+ 首 · \d+ 体$/);
  const tune = findTune('浣溪沙');
  await page.waitForFunction((n) => document.querySelectorAll('#ci-variant option').length === n, tune.formats.length);
  assert.equal(await page.isVisible('#ci-variant'), true);
  await page.fill('#ci-title', '春日');
  await page.fill('#start', '');
  await page.fill('#seed', '8');
  await page.fill('#count', '1');
  await submit(8);
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready', await page.textContent('#status') ?? '');

  const [written] = await serverAnswer({ form: 'ci', cipai: '浣溪沙', count: 1, temperature: 0.8, seed: 8 }) as Poem[];
  const stanzas = await shownLines(page, '#poems .poem .stanza');
  assert.deepEqual(stanzas, written!.stanzas);
  assert.deepEqual(stanzas.map((s) => s.length), [3, 3]);
  assert.deepEqual(await titles(page), ['浣溪沙·春日']);
  // the 谱's pattern under the characters: its tones, and 韵 where it rhymes
  const format = tune.formats[0]!;
  const pats = page.locator('#poems .poem .pat');
  assert.equal(await pats.evaluateAll((ps) => ps.map((p) => (p as HTMLElement).dataset.tone).join('')), format.pattern);
  assert.deepEqual(await pats.evaluateAll((ps) => ps.flatMap((p, i) => ((p as HTMLElement).dataset.rhyme ? [i] : []))), format.rhymeGroups.flatMap((g) => g.positions));
  assert.match((await page.textContent('#poems .poem .pat[data-rhyme]'))!, /^○韵$/);
  assert.equal(await pats.first().isVisible(), true); // shown without the 平仄 toggle
  // each pattern mark under its character
  const [c, p] = await Promise.all([page.locator('#poems .poem .ch[data-pos] .c').first().boundingBox(), pats.first().boundingBox()]);
  assert.ok(Math.abs(c!.x + c!.width / 2 - (p!.x + p!.width / 2)) < 2 && p!.y > c!.y, JSON.stringify([c, p]));
  assert.match((await page.textContent('#poems .poem .prosody'))!, /^浣溪沙 钦定词谱 正体 · 片 21\+21 · /);
  assert.equal(await page.textContent('#poems .poem .ci-note'), 'the model reads no titles: it wrote to the pattern alone');

  // the server writes the same 词; another format of the tune
  await page.check('#run-server');
  await submit(8);
  assert.equal(await page.getAttribute('#poems', 'data-source'), 'server');
  assert.deepEqual(await shownLines(page, '#poems .poem .stanza'), written!.stanzas);
  await page.check('#run-browser');
  await page.selectOption('#ci-variant', '2');
  await submit(8);
  const [second] = await serverAnswer({ form: 'ci', cipai: '浣溪沙', variant: 2, count: 1, temperature: 0.8, seed: 8 }) as Poem[];
  assert.deepEqual(await shownLines(page, '#poems .poem .stanza'), second!.stanzas);
  assert.equal(await pats.evaluateAll((ps) => ps.map((p) => (p as HTMLElement).dataset.tone).join('')), tune.formats[1]!.pattern);
  await page.fill('#ci-title', '');
  // a name the search does not find goes to the domain as typed: its error names near tunes
  await page.fill('#cipai-search', '浣纱溪');
  assert.equal(await page.locator('#cipai option').count(), 0);
  await submit(8);
  assert.equal(await page.getAttribute('body', 'data-state'), 'error');
  assert.match((await page.textContent('#status'))!, /^unknown 词牌 '浣纱溪'; did you mean .*浣溪沙/);
  await page.fill('#cipai-search', '浣溪沙');
  assert.deepEqual(pageErrors, []);
});

test('对联: a 上联 answered with 下联 ranked by their score, in the browser and by the server; a 上联 ending in 平 is the one-line error', async () => {
  const upper = '韦编断仍续'; // a 颔联's 上联 of the fixture corpus, ending in 仄
  await page.selectOption('#form', 'duilian');
  assert.equal(await page.isVisible('#start'), false);
  await page.fill('#upper', upper);
  await page.fill('#seed', '5');
  await page.fill('#count', '3');
  await submit(5);
  assert.equal(await page.getAttribute('body', 'data-state'), 'ready', await page.textContent('#status') ?? '');
  const res = await app.inject({ method: 'POST', url: '/api/duilian', payload: { upper, count: 3, seed: 5, temperature: 0.8, candidates: 4 } });
  assert.equal(res.statusCode, 200, res.body);
  const pairs = (res.json() as DuilianResult).pairs.sort((a, b) => b.choice!.score - a.choice!.score);
  assert.deepEqual(await shownLines(page, '#poems .pair'), pairs.map((p) => [`${upper}，`, `${p.lower}。`]));
  assert.deepEqual(await page.$$eval('#poems .pair', (ps) => ps.map((p) => (p as HTMLElement).dataset.rank)), ['1', '2', '3']);
  for (const p of pairs) assert.ok(checkDuilian(p.upper, p.lower).pass, p.lower);
  assert.equal(await page.locator('#poems .pair .mark').count(), 3 * 2 * [...upper].length);

  await page.check('#run-server');
  await submit(5);
  assert.equal(await page.getAttribute('#poems', 'data-source'), 'server');
  assert.deepEqual(await shownLines(page, '#poems .pair'), pairs.map((p) => [`${upper}，`, `${p.lower}。`]));
  await page.check('#run-browser');

  // the library's own one-line error, the same by either route
  const flat = await app.inject({ method: 'POST', url: '/api/duilian', payload: { upper: '玉匣启龙图' } });
  assert.equal(flat.statusCode, 400);
  await page.fill('#upper', '玉匣启龙图');
  await submit(5);
  assert.equal(await page.getAttribute('body', 'data-state'), 'error');
  assert.equal(await page.textContent('#status'), flat.json().error);
  assert.match(flat.json().error, /^the 上联 ends in 平 \(图\)/);
  assert.deepEqual(pageErrors, []);
});

test('the check box checks a 词 against its tune and a 对联 pair, marking each fault on its character', async () => {
  const yanshu = '一曲新词酒一杯，去年天气旧亭台。夕阳西下几时回？\n无可奈何花落去，似曾相识燕归来。小园香径独徘徊。';
  await page.selectOption('#check-kind', 'ci');
  await page.fill('#check-cipai', '浣溪沙');
  await page.fill('#check-text', yanshu);
  await page.click('#check');
  await page.waitForFunction(() => document.getElementById('check-status')!.textContent!.startsWith('合律'));
  assert.equal(await page.textContent('#check-status'), '合律: no faults against 浣溪沙 (钦定词谱 正体) by the 词林正韵.');
  assert.equal(await page.locator('#check-result .stanza').count(), 2);
  assert.equal(await page.locator('#check-result .pat').count(), 42);
  assert.equal(await page.locator('#check-result .mark').count(), 42);

  // 曲 (仄, where the 谱 has 仄) changed to 江 (平): a tone fault on line 1, character 2
  const wrong = yanshu.replace('曲', '江');
  const expected = checkCi(wrong, { cipai: '浣溪沙' });
  assert.deepEqual(expected.faults.map((f) => [f.line, f.pos, f.kind]), [[1, 2, 'tone']]);
  await page.fill('#check-text', wrong);
  await page.click('#check');
  await page.waitForFunction(() => /^1 fault/.test(document.getElementById('check-status')!.textContent!));
  const fault = page.locator('#check-result .ch.fault');
  assert.equal(await fault.count(), 1);
  assert.deepEqual([await fault.getAttribute('data-line'), await fault.getAttribute('data-pos'), await fault.locator('.c').textContent()], ['1', '2', '江']);
  assert.equal(await fault.getAttribute('title'), expected.faults[0]!.message);
  assert.equal(await fault.locator('.pat').getAttribute('data-tone'), '仄');

  // a tune named in the text's first line; an unknown tune is the 谱's one-line error
  await page.fill('#check-cipai', '');
  await page.fill('#check-text', `词牌：浣溪沙\n${yanshu}`);
  await page.click('#check');
  await page.waitForFunction(() => document.getElementById('check-status')!.textContent!.startsWith('合律'));
  assert.equal(await page.locator('#check-result .pat').count(), 42);
  await page.fill('#check-cipai', '浣溪纱');
  await page.click('#check');
  await page.waitForFunction(() => document.getElementById('check-status')!.textContent!.startsWith('unknown'));
  assert.match((await page.textContent('#check-status'))!, /^unknown 词牌 '浣溪纱'; did you mean .*浣溪沙.*$/);

  // a 对联 pair: its 下联 ends in 仄 and repeats the 上联's 跃
  await page.selectOption('#check-kind', 'duilian');
  await page.fill('#check-text', '海阔凭鱼跃\n天高任鸟跃');
  await page.click('#check');
  await page.waitForSelector('#check-result .checked.duilian');
  assert.equal(await page.textContent('#check-status'), '2 faults by the 对联 rules (平水韵).');
  assert.deepEqual(await page.$$eval('#check-result .faults li', (ls) => ls.map((l) => (l as HTMLElement).dataset.kind)), ['end', 'repeat']);
  assert.deepEqual(await page.$$eval('#check-result .ch.fault', (cs) => cs.map((c) => `${(c as HTMLElement).dataset.line}:${(c as HTMLElement).dataset.pos}`)), ['2:5']);
  await page.fill('#check-text', '海阔凭鱼跃，天高任鸟飞。');
  await page.click('#check');
  await page.waitForFunction(() => document.getElementById('check-status')!.textContent!.startsWith('合'));
  assert.equal(await page.locator('#check-result .mark').count(), 10);
  await page.selectOption('#check-kind', 'poem');
  assert.deepEqual(pageErrors, []);
});

test('without its worker the page lists the tunes itself, writes a 词 and a 下联 on the server and checks through the API', async () => {
  const bare = await browser.newPage();
  bare.on('pageerror', (e) => pageErrors.push(e.message));
  await bare.route(/\/assets\/worker-[^/]*\.js$/, (route) => route.abort());
  const { port } = app.server.address() as { port: number };
  await bare.goto(`http://127.0.0.1:${port}/`);
  await bare.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
  assert.match((await bare.textContent('#status'))!, /^The in-browser engine is unavailable/);
  assert.equal(await bare.isChecked('#run-server'), true);
  await bare.selectOption('#form', 'ci');
  await bare.waitForSelector('#cipai option');
  await bare.fill('#cipai-search', '浣溪');
  await bare.fill('#seed', '8');
  await bare.fill('#count', '1');
  await submit(8, bare);
  const [written] = await serverAnswer({ form: 'ci', cipai: '浣溪沙', count: 1, temperature: 0.8, seed: 8 }) as Poem[];
  assert.deepEqual(await shownLines(bare, '#poems .poem .stanza'), written!.stanzas);
  assert.equal(await bare.locator('#poems .poem .pat').count(), 42);
  assert.match((await bare.textContent('#poems .poem .prosody'))!, /^浣溪沙 钦定词谱 正体/); // checked by POST /api/check
  await bare.selectOption('#form', 'duilian');
  await bare.fill('#upper', '韦编断仍续');
  await submit(8, bare);
  assert.equal(await bare.locator('#poems .pair').count(), 1);
  assert.equal(await bare.locator('#poems .pair .mark').count(), 10);
  await bare.selectOption('#check-kind', 'duilian');
  await bare.fill('#check-text', '海阔凭鱼跃\n天高任鸟飞');
  await bare.click('#check');
  await bare.waitForFunction(() => document.getElementById('check-status')!.textContent!.startsWith('合'));
  await bare.close();
  await page.bringToFront();
  assert.deepEqual(pageErrors, []);
});

test("the inspect view shows each character's probability, rank and top-5 as inspect computes them", async () => {
  const [lines] = await write({ form: 'wujue', seed: 21 });
  const text = lines.join('');
  await page.click('#poems .poem .inspect-this');
  await page.waitForSelector('#inspect-table tbody tr');
  assert.equal(await page.inputValue('#inspect-text'), text);
  const rows = await page.$$eval('#inspect-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!)));
  const expected = inspectPoem(model, text);
  assert.equal(rows.length, [...text].length + 1); // every character and <eos>
  rows.forEach((row, i) => {
    const c = expected.chars[i];
    assert.deepEqual(row.slice(0, 3), [c.ch, Math.exp(c.logprob).toFixed(4), String(c.rank)]);
    assert.equal(row[3], c.top.map((t) => `${t.ch} ${t.p.toFixed(3)}`).join(' · '));
    assert.equal(row.length, 4 + expected.signals.length * c.layers.length); // the gate means of every layer
  });
  // the heat map: one row per character, hovering a table row marks it
  assert.equal(await page.locator('#inspect-result svg g.row').count(), rows.length);
  await page.hover('#inspect-table tbody tr[data-i="2"]');
  assert.equal(await page.locator('#inspect-result g.row.on').getAttribute('data-i'), '2');

  // a picked poem, and an unknown character as a one-line message
  await page.selectOption('#inspect-pick', '登鹳雀楼');
  await page.fill('#inspect-text', '龘，');
  await page.click('#inspect');
  await page.waitForFunction(() => /龘/.test(document.getElementById('inspect-status')!.textContent!));
  assert.match((await page.textContent('#inspect-status'))!, /^unknown character not in the model's vocabulary: 龘$/);
  assert.deepEqual(pageErrors, []);
});

test('the compiled browser entry (dist/browser.js) runs in a plain page, no bundler, no import map', async () => {
  // dist/ is current: cli-helpers.ts compiles src/ when it is stale
  const { file: modelFile, dir: modelDir } = tinyModel();
  const page0 = '<!doctype html><meta charset="utf-8">';
  const TYPES: Record<string, string> = { js: 'text/javascript', mjs: 'text/javascript', wasm: 'application/wasm', html: 'text/html' };
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const file = path === '/model.safetensors' ? modelFile : path.slice(1);
    if (path === '/') return res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(page0);
    const allowed = path === '/model.safetensors' || /^\/(dist|build)\/[\w./-]+$/.test(path) && !path.includes('..');
    if (!allowed || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404, headers).end();
    res.writeHead(200, { ...headers, 'content-type': TYPES[file.split('.').pop()!] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const plain = await browser.newPage();
  try {
    const errors: string[] = [];
    plain.on('pageerror', (e) => errors.push(e.message));
    await plain.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    const out = await plain.evaluate(async () => {
      const shiren = await import('/dist/browser.js' as string);
      const model = await shiren.loadModel('/model.safetensors');
      const [poem] = await shiren.generate(model, { start: '山', form: 'qijue', count: 1, temperature: 0.8, seed: 7, candidates: 4 }); // the server's default (API_LIMITS)
      const check = shiren.checkPoem('白日依山尽，黄河入海流。欲穷千里目，更上一层天。');
      const ins = shiren.inspectUnderTitle(model, poem.text);
      return { lines: poem.lines as string[], faults: check.faults.map((f: { kind: string }) => f.kind), chars: ins.chars.length, svg: shiren.renderSvg(ins).startsWith('<svg') };
    });
    assert.deepEqual(out.lines, (await serverPoems({ start: '山', form: 'qijue', count: 1, temperature: 0.8, seed: 7 }))[0]);
    assert.deepEqual(out.faults, ['rhyme']);
    assert.equal(out.chars, [...out.lines.join('')].length + 1);
    assert.equal(out.svg, true);
    assert.deepEqual(errors, []);
  } finally {
    await plain.close();
    await new Promise((done) => server.close(done));
    rmSync(modelDir, { recursive: true, force: true });
  }
});
