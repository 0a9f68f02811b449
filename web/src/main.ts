/**
 * The page: reads the form into a generate request (the body of POST /api/generate), has it
 * written by the in-browser worker (worker.ts) or by the server, and shows each poem under its
 * title, one line per row (or in vertical columns), with its 平仄 marks and rhyme group on request.
 * The seed is always sent, drawn here when the field is blank, so every poem shown can be written
 * again. The form 词 writes to a tune (ci.ts) and the form 对联 answers a
 * 上联 (duilian.ts), by the same two routes. Two more panels: 检查 checks a pasted poem (faults marked on its characters) and 察看
 * inspects a poem (per character its probability, rank, top-5 and gates, with the heat map). All
 * of it is computed in the browser by the domain code in the worker; the check falls back to POST
 * /api/check when the worker is unavailable. The check box checks a poem, a 词 against a tune, or
 * a 对联 pair.
 *
 * State for tests and styling: body[data-state] is loading | ready | busy | error; #status says
 * what happened last (a one-line error in the error state). The check and inspect panels report
 * in their own #check-status / #inspect-status.
 */
import type { Poem } from '../../src/domain/write.ts';
import type { GenerateRequest } from '../../src/domain/requests.ts';
import type { CheckResult } from '../../src/poetry/check.ts';
import type { CiCheckResult } from '../../src/poetry/ci-check.ts';
import type { DuilianCheck } from '../../src/poetry/duilian.ts';
import type { DuilianResult } from '../../src/domain/duilian.ts';
import { FORMS } from '../../src/data/clean.ts';
import { RHYME_BOOK_LABELS, type RhymeBookName } from '../../src/poetry/book-names.ts';
import type { FromWorker, JobName, Jobs, ReadyInfo, ToWorker } from './protocol.ts';
import { checkView, inspectView, poemLines, prosodyLine } from './views.ts';
import { duilianCheckView, duilianRequest, pairOf, pairsView } from './duilian.ts';
import * as ci from './ci.ts';
import { forgetRevisions, keepControls, type KeepHooks } from './keep.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const controls = $<HTMLFormElement>('controls');
const status = $<HTMLParagraphElement>('status');
const poemsView = $<HTMLElement>('poems');
const writeButton = $<HTMLButtonElement>('write');
const temperature = $<HTMLInputElement>('temperature');
const runInBrowser = $<HTMLInputElement>('run-browser');

type State = 'loading' | 'ready' | 'busy' | 'error';
function setState(state: State, message: string): void {
  document.body.dataset.state = state;
  status.textContent = message;
  writeButton.disabled = state === 'loading' || state === 'busy';
}

function describe(info: ReadyInfo): string {
  return `${info.cell} ${info.layers}×${info.hidden}${info.tied ? ' (tied output)' : ''}, ${info.vocab} characters, ${info.engine}${info.titled ? ', writes on titles' : ''}`;
}

const value = (id: string) => $<HTMLInputElement>(id).value.trim();
const book = () => value('rhyme-book') as RhymeBookName;

/** The request the form asks for; a blank seed becomes a fresh random one. */
function readRequest(): GenerateRequest {
  const seed = value('seed') === '' ? Math.floor(Math.random() * 2 ** 32) : Number(value('seed'));
  const starts = value('start').split(/[\s,，、]+/).filter(Boolean);
  const request: GenerateRequest = {
    count: Number(value('count')) || 1,
    temperature: Number(temperature.value),
    seed,
  };
  // no form: a regulated form the model picks (the domain's default)
  if (value('form')) request.form = value('form');
  // candidates: only when sampling (greedy writes one poem whatever the count)
  if (Number(temperature.value) > 0 && value('candidates')) request.candidates = Number(value('candidates'));
  if (starts.length) request.start = starts.length === 1 ? starts[0] : starts;
  if (value('title')) request.title = value('title');
  if (value('acrostic')) request.acrostic = value('acrostic');
  // tones and rhyme apply to the regulated forms (where they are on by default)
  if (request.form === undefined || (FORMS as readonly string[]).includes(request.form)) {
    request.tones = $<HTMLInputElement>('tones').checked;
    request.rhyme = $<HTMLInputElement>('rhyme').checked;
    if (book() !== 'pingshui') request.rhymeBook = book();
    if (request.rhyme && value('rhyme-group')) request.rhymeGroup = value('rhyme-group');
  }
  return request;
}

// the in-browser engine: one worker, jobs answered by id
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let browserInfo: ReadyInfo | undefined;
let workerFailed = false;
let nextId = 0;
const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
/** Without the in-browser engine (no model file, no shared memory), the server writes the poems. */
function browserUnavailable(why: string): void {
  runInBrowser.disabled = true;
  $<HTMLInputElement>('run-server').checked = true;
  $<HTMLButtonElement>('inspect').disabled = true;
  setState('error', `The in-browser engine is unavailable (${why}); poems are written by the server.`);
}
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const msg = event.data;
  if (msg.type === 'ready') {
    browserInfo = msg.info;
    if (!msg.info.titled) $<HTMLInputElement>('title').placeholder = 'this model writes no titles';
    $<HTMLButtonElement>('inspect').disabled = false;
    setState('ready', `Model loaded in the browser in ${Math.round(msg.ms)} ms: ${describe(msg.info)}.`);
  } else if (msg.type === 'unavailable') {
    browserUnavailable(msg.message);
  } else {
    const p = pending.get(msg.id)!;
    pending.delete(msg.id);
    if (msg.type === 'done') p.resolve(msg.value);
    else p.reject(new Error(msg.message));
  }
};
worker.onerror = (event) => {
  event.preventDefault();
  workerFailed = true;
  browserUnavailable(event.message || 'the worker failed to start');
};
worker.postMessage({ type: 'load', modelUrl: new URL('model.safetensors', document.baseURI).href } satisfies ToWorker);

function ask<K extends JobName>(type: K, args: Jobs[K]['args']): Promise<Jobs[K]['value']> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    worker.postMessage({ type, id, ...args } as ToWorker);
  });
}

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(new URL(path, document.baseURI), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(answer.error ?? answer.message ?? `HTTP ${res.status}`);
  return answer;
}

async function writeOnServer(request: GenerateRequest): Promise<Poem[]> {
  return (await post<{ poems: Poem[] }>('api/generate', request)).poems;
}

type Checked = CheckResult | CiCheckResult;
/** The prosody of poems (of 词 to `ci.cipai`): in the worker (the checker needs no model), else by POST /api/check. */
async function checkTexts(texts: string[], rhymeBook: RhymeBookName, ci: { cipai?: string; variant?: number } = {}): Promise<Checked[]> {
  if (!workerFailed) return ask('check', { texts, rhymeBook, ...ci });
  return (await post<{ poems: Checked[] }>('api/check', { texts, rhymeBook, ...ci })).poems;
}

/** The 对联 rules of pairs: in the worker, else by POST /api/check (one pair a request). */
async function checkPairs(pairs: [string, string][], rhymeBook: RhymeBookName): Promise<DuilianCheck[]> {
  if (!workerFailed) return ask('checkDuilian', { pairs, rhymeBook });
  return Promise.all(pairs.map(async (duilian) => (await post<{ pairs: DuilianCheck[] }>('api/check', { duilian, rhymeBook })).pairs[0]!));
}

/** The 词谱 of the tune picker and the patterns: the worker's, else the table loaded on the page. */
const tuneSource: ci.CiSource = {
  tunes: async () => (workerFailed ? (await import('./ci-data.ts')).tuneEntries() : ask('tunes', {})),
  formats: async (name) => (workerFailed ? (await import('./ci-data.ts')).tuneFormats(name) : ask('formats', { name })),
};

let shown: { poems: Poem[]; checks: Checked[]; book: RhymeBookName; formats?: (ci.FormatView | undefined)[] } | undefined;

function showPoems(): void {
  if (!shown) return;
  const { poems, checks, book: used, formats } = shown;
  poemsView.replaceChildren(...poems.map((poem, i) => {
    const article = document.createElement('article');
    article.className = 'poem';
    article.dataset.form = poem.form;
    // how the poem was chosen, on hover: its fit to the title and its fluency (src/domain/candidates.ts)
    if (poem.choice) article.title = `best of ${poem.choice.candidates} candidates: title fit ${poem.choice.fit.toFixed(3)}, fluency ${poem.choice.fluency.toFixed(3)} (log-probability per character)`;
    const title = document.createElement('h2');
    title.className = 'title';
    title.textContent = (poem.form === 'ci' ? ci.ciTitle(poem) : poem.title) || '无题';
    title.classList.toggle('untitled', !poem.title);
    const prosody = document.createElement('p');
    prosody.className = 'prosody';
    const check = checks[i];
    prosody.textContent = !check ? '' : check.form === 'ci' ? ci.ciProsodyLine(check) : prosodyLine(check, RHYME_BOOK_LABELS[used]);
    const inspect = document.createElement('button');
    inspect.type = 'button';
    inspect.className = 'inspect-this';
    inspect.textContent = '察看 inspect';
    inspect.disabled = !browserInfo;
    inspect.addEventListener('click', () => {
      $<HTMLTextAreaElement>('inspect-text').value = poem.text;
      $<HTMLInputElement>('inspect-title').value = poem.title;
      void runInspect();
      $<HTMLElement>('inspect-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
    const body = poem.form === 'ci' ? ci.ciPoemBody(poem, check as CiCheckResult | undefined, formats?.[i]) : [poemLines(poem.lines, check)];
    article.append(title, ...body, prosody, inspect);
    keepControls(article, poem, i, keepHooks);
    return article;
  }));
}

// 改写 (keep.ts): a rewrite is written where the poems were, with their request's settings
let lastRequest: GenerateRequest | undefined;
const keepHooks: KeepHooks = {
  request: () => lastRequest,
  write: (request) => (runInBrowser.checked ? ask('generate', { request }) : writeOnServer(request)),
  replace: async (i, poem) => {
    if (!shown) return;
    shown.poems[i] = poem;
    shown.checks[i] = (await checkTexts([poem.text], shown.book).catch(() => []))[0]!;
    showPoems();
  },
  status: setState,
};

temperature.addEventListener('input', () => {
  $<HTMLOutputElement>('temperature-value').value = Number(temperature.value).toFixed(2);
});
$<HTMLInputElement>('vertical').addEventListener('change', (e) => {
  poemsView.classList.toggle('vertical', (e.target as HTMLInputElement).checked);
});
const marks = $<HTMLInputElement>('marks');
const showMarks = () => poemsView.classList.toggle('marks', marks.checked);
marks.addEventListener('change', showMarks);
showMarks();

/** The form's mode (a poem, a 词, a 对联) picks the fields shown (style.css) and loads the tunes for 词. */
const formSelect = $<HTMLSelectElement>('form');
const showForm = () => {
  controls.dataset.form = formSelect.value;
  if (formSelect.value === 'ci') void ci.initCiPicker(tuneSource).catch((error: Error) => setState('error', error.message));
};
formSelect.addEventListener('change', showForm);
showForm();

/** 对联: the 上联 answered with several 下联, best first. */
async function answerUpper(request: GenerateRequest, inBrowser: boolean): Promise<void> {
  const duilian = duilianRequest(request, value('upper'), book());
  const result = await (inBrowser ? ask('duilian', { request: duilian }) : post<DuilianResult>('api/duilian', duilian));
  const checks = await checkPairs(result.pairs.map((p) => [p.upper, p.lower]), book()).catch(() => []);
  shown = undefined;
  poemsView.replaceChildren(...pairsView(result, checks));
}

controls.addEventListener('submit', async (event) => {
  event.preventDefault();
  let request = readRequest();
  const inBrowser = runInBrowser.checked;
  setState('busy', 'Writing…');
  const t0 = performance.now();
  try {
    if (request.form === 'duilian') await answerUpper(request, inBrowser);
    else {
      if (request.form === 'ci') {
        await ci.initCiPicker(tuneSource);
        request = ci.ciRequest(request);
      }
      const poems = await (inBrowser ? ask('generate', { request }) : writeOnServer(request));
      const used = request.rhymeBook === 'xinyun' ? 'xinyun' : book();
      const checks = await checkTexts(poems.map((p) => p.text), used, { cipai: request.cipai, variant: poems[0]?.variant }).catch(() => []);
      const formats = request.form === 'ci' ? await Promise.all(poems.map(ci.writtenFormat)) : undefined;
      shown = { poems, checks, book: used, formats };
      lastRequest = request;
      forgetRevisions();
      showPoems();
    }
    poemsView.dataset.source = inBrowser ? 'browser' : 'server';
    const where = inBrowser ? `in the browser (${describe(browserInfo!)})` : 'by the server';
    setState('ready', `Seed ${request.seed}: written ${where} in ${Math.round(performance.now() - t0)} ms.`);
  } catch (error) {
    setState('error', (error as Error).message);
  }
});

// 检查: paste any poem, 词 or 对联, see its faults on its characters
const checkKind = $<HTMLSelectElement>('check-kind');
const showCheckKind = () => { $<HTMLFormElement>('check-form').dataset.kind = checkKind.value; };
checkKind.addEventListener('change', showCheckKind);
showCheckKind();
const checkStatus = $<HTMLParagraphElement>('check-status');
$<HTMLFormElement>('check-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $<HTMLTextAreaElement>('check-text').value;
  const result = $<HTMLElement>('check-result');
  if (!text.trim()) {
    checkStatus.textContent = 'Paste a poem first.';
    return;
  }
  const used = value('check-book') as RhymeBookName;
  const label = RHYME_BOOK_LABELS[used];
  const kind = value('check-kind');
  checkStatus.textContent = 'Checking…';
  try {
    if (kind === 'duilian') {
      const [check] = await checkPairs([pairOf(text)], used);
      result.replaceChildren(duilianCheckView(check, label));
      checkStatus.textContent = check.pass ? `合: no faults by the 对联 rules (${label}).` : `${check.faults.length} fault${check.faults.length === 1 ? '' : 's'} by the 对联 rules (${label}).`;
      return;
    }
    // a 词 to the tune given, or one whose first line names its tune (词牌：浣溪沙)
    if (kind === 'ci' && !value('check-cipai') && !/^\s*词牌\s*[：:]/u.test(text)) throw new Error('Name the tune (词牌), or start the 词 with a line 词牌：浣溪沙.');
    const [check] = await checkTexts([text], used, kind === 'ci' && value('check-cipai') ? { cipai: value('check-cipai') } : {});
    if (check.form === 'ci') {
      await ci.initCiPicker(tuneSource);
      result.replaceChildren(await ci.ciCheckView(check));
      const against = `${check.cipai}${check.format ? ` (${check.format})` : ''} by the 词林正韵`;
      checkStatus.textContent = check.pass ? `合律: no faults against ${against}.` : `${check.faults.length} fault${check.faults.length === 1 ? '' : 's'} against ${against}.`;
      return;
    }
    result.replaceChildren(checkView(check, label));
    checkStatus.textContent = check.pass ? `合律: no faults by the ${label}.` : `${check.faults.length} fault${check.faults.length === 1 ? '' : 's'} by the ${label}.`;
  } catch (error) {
    result.replaceChildren();
    checkStatus.textContent = (error as Error).message;
  }
});

// 察看: a poem read by the model, character by character
const inspectStatus = $<HTMLParagraphElement>('inspect-status');
const SAMPLES: Record<string, { text: string; title: string }> = {
  静夜思: { title: '静夜思', text: '床前明月光，疑是地上霜。举头望明月，低头思故乡。' },
  登鹳雀楼: { title: '登鹳雀楼', text: '白日依山尽，黄河入海流。欲穷千里目，更上一层楼。' },
  春晓: { title: '春晓', text: '春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。' },
  早发白帝城: { title: '早发白帝城', text: '朝辞白帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。' },
};
const pick = $<HTMLSelectElement>('inspect-pick');
for (const name of Object.keys(SAMPLES)) pick.append(new Option(name, name));
pick.addEventListener('change', () => {
  const sample = SAMPLES[pick.value];
  if (!sample) return;
  $<HTMLTextAreaElement>('inspect-text').value = sample.text;
  $<HTMLInputElement>('inspect-title').value = browserInfo?.titled ? sample.title : '';
});

async function runInspect(): Promise<void> {
  const text = $<HTMLTextAreaElement>('inspect-text').value.replace(/\s+/g, '');
  const result = $<HTMLElement>('inspect-result');
  if (!text) {
    inspectStatus.textContent = 'Type or pick a poem first.';
    return;
  }
  inspectStatus.textContent = 'Reading…';
  const t0 = performance.now();
  try {
    const view = await ask('inspect', { text, title: value('inspect-title') });
    result.replaceChildren(inspectView(view));
    inspectStatus.textContent = `Read in the browser in ${Math.round(performance.now() - t0)} ms. Hover a row to find it in the heat map.`;
  } catch (error) {
    result.replaceChildren();
    inspectStatus.textContent = (error as Error).message;
  }
}
$<HTMLFormElement>('inspect-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void runInspect();
});
