/**
 * The page: reads the form into a generate request (the body of POST /api/generate), has it
 * written by the in-browser worker (worker.ts) or by the server, and shows the poems one line per
 * row (or in vertical columns). The seed is always sent, drawn here when the field is blank, so
 * every poem shown can be written again.
 *
 * State for tests and styling: body[data-state] is loading | ready | busy | error.
 */
import type { Poem } from '../../src/poetry/generate.ts';
import type { GenerateRequest, ModelInfo } from '../../src/domain/requests.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

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

function describe(info: ModelInfo): string {
  return `${info.cell} ${info.layers}×${info.hidden}, ${info.vocab} characters, ${info.engine}`;
}

/** The request the form asks for; a blank seed becomes a fresh random one. */
function readRequest(): GenerateRequest {
  const value = (id: string) => $<HTMLInputElement>(id).value.trim();
  const seed = value('seed') === '' ? Math.floor(Math.random() * 2 ** 32) : Number(value('seed'));
  const starts = value('start').split(/[\s,，、]+/).filter(Boolean);
  const request: GenerateRequest = {
    form: value('form'),
    count: Number(value('count')) || 1,
    temperature: Number(temperature.value),
    seed,
  };
  if (starts.length) request.start = starts.length === 1 ? starts[0] : starts;
  if (value('acrostic')) request.acrostic = value('acrostic');
  if ($<HTMLInputElement>('tones').checked) request.tones = true;
  if ($<HTMLInputElement>('rhyme').checked) request.rhyme = true;
  return request;
}

function showPoems(poems: Poem[]): void {
  poemsView.replaceChildren(...poems.map((poem) => {
    const article = document.createElement('article');
    article.className = 'poem';
    article.dataset.form = poem.form;
    article.append(...poem.lines.map((text) => {
      const line = document.createElement('div');
      line.className = 'line';
      line.textContent = text;
      return line;
    }));
    return article;
  }));
}

// the in-browser engine: one worker, requests answered in order by id
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let browserInfo: ModelInfo | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (poems: Poem[]) => void; reject: (error: Error) => void }>();
/** Without the in-browser engine (no model file, no shared memory), the server writes the poems. */
function browserUnavailable(why: string): void {
  runInBrowser.disabled = true;
  $<HTMLInputElement>('run-server').checked = true;
  setState('error', `The in-browser engine is unavailable (${why}); poems are written by the server.`);
}
function send(message: ToWorker): void {
  worker.postMessage(message);
}
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const msg = event.data;
  if (msg.type === 'ready') {
    browserInfo = msg.info;
    setState('ready', `Model loaded in the browser in ${Math.round(msg.ms)} ms: ${describe(msg.info)}.`);
  } else if (msg.type === 'unavailable') {
    browserUnavailable(msg.message);
  } else {
    const p = pending.get(msg.id)!;
    pending.delete(msg.id);
    if (msg.type === 'poems') p.resolve(msg.poems);
    else p.reject(new Error(msg.message));
  }
};
worker.onerror = (event) => {
  event.preventDefault();
  browserUnavailable(event.message || 'the worker failed to start');
};
send({ type: 'load', modelUrl: new URL('model.safetensors', document.baseURI).href });

function writeInBrowser(request: GenerateRequest): Promise<Poem[]> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ type: 'generate', id, request });
  });
}

async function writeOnServer(request: GenerateRequest): Promise<Poem[]> {
  const res = await fetch(new URL('api/generate', document.baseURI), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body.poems;
}

temperature.addEventListener('input', () => {
  $<HTMLOutputElement>('temperature-value').value = Number(temperature.value).toFixed(2);
});
$<HTMLInputElement>('vertical').addEventListener('change', (e) => {
  poemsView.classList.toggle('vertical', (e.target as HTMLInputElement).checked);
});

controls.addEventListener('submit', async (event) => {
  event.preventDefault();
  const request = readRequest();
  const inBrowser = runInBrowser.checked;
  setState('busy', 'Writing…');
  const t0 = performance.now();
  try {
    const poems = await (inBrowser ? writeInBrowser(request) : writeOnServer(request));
    showPoems(poems);
    poemsView.dataset.source = inBrowser ? 'browser' : 'server';
    const where = inBrowser ? `in the browser (${describe(browserInfo!)})` : 'by the server';
    setState('ready', `Seed ${request.seed}: written ${where} in ${Math.round(performance.now() - t0)} ms.`);
  } catch (error) {
    setState('error', (error as Error).message);
  }
});
