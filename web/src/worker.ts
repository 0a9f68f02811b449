/**
 * The poem worker: shiren's own engine in the browser. On `load` it fetches the model file and
 * the WebAssembly kernels through the browser entry (src/browser.ts: the same code as in Node); on
 * `generate` it writes poems with the library's `generate` (API_LIMITS), exactly as `shiren gen` and POST /api/generate do
 * (same seed, same poems); on `check` it runs the prosody checker (`shiren check`, POST
 * /api/check: a poem, or a 词 against its tune); on `duilian` it answers a 上联 as `shiren duilian`
 * and POST /api/duilian do, and on `checkDuilian` checks pairs (`check --duilian`); on `tunes` and
 * `formats` it lists the 词谱 for the tune picker (ci-data.ts); on `inspect` it reads a poem as
 * `shiren inspect` does (under a title for a title-conditioned model) and draws the heat map.
 * Runs in a Web Worker so the page stays responsive; the wasm memory is shared, so the page must be
 * cross-origin isolated (the server sends COOP/COEP headers).
 */
import { API_LIMITS, MAX_SCORE_CHARS, checkDuilian, checkText, conditionOf, describeModel, generate, inspectUnderTitle, loadModel, renderSvg, writeDuilian, type Model } from '../../src/browser.ts';
import type { FromWorker, InspectView, ToWorker } from './protocol.ts';
import { tuneEntries, tuneFormats } from './ci-data.ts';

/** The worker's global scope, typed for the two messages (the DOM lib types `self` as a window). */
const scope = self as unknown as { postMessage(message: FromWorker): void; onmessage: ((event: MessageEvent<ToWorker>) => void) | null };

let model: Promise<Model> | undefined;

function post(message: FromWorker): void {
  scope.postMessage(message);
}

function inspect(m: Model, text: string, title: string): InspectView {
  const ins = inspectUnderTitle(m, text, title, MAX_SCORE_CHARS);
  return {
    text, title, cell: ins.cell, signals: ins.signals, logprob: ins.logprob,
    chars: ins.chars.map(({ layers, ...c }) => ({ ...c, layers: layers.map((l) => l.summary) })),
    svg: renderSvg(ins),
  };
}

scope.onmessage = async (event) => {
  const msg = event.data;
  const t0 = performance.now();
  const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
  if (msg.type === 'load') {
    model = loadModel(msg.modelUrl); // one wasm thread (see BrowserLoadOptions)
    try {
      const m = await model;
      post({ type: 'ready', info: { ...describeModel(m), titled: conditionOf(m.vocab) === 'title' }, ms: performance.now() - t0 });
    } catch (error) {
      post({ type: 'unavailable', message: reason(error) });
    }
    return;
  }
  try {
    let value: unknown;
    if (msg.type === 'check') {
      value = msg.texts.map((text) => checkText(text, { book: msg.rhymeBook, cipai: msg.cipai, variant: msg.variant }));
    } else if (msg.type === 'checkDuilian') {
      value = msg.pairs.map(([upper, lower]) => checkDuilian(upper, lower, { book: msg.rhymeBook }));
    } else if (msg.type === 'tunes') {
      value = tuneEntries();
    } else if (msg.type === 'formats') {
      value = tuneFormats(msg.name);
    } else {
      if (!model) throw new Error('no model loaded');
      const m = await model;
      if (msg.type === 'generate') value = await generate(m, msg.request, { limits: API_LIMITS });
      else if (msg.type === 'duilian') value = writeDuilian(m, msg.request, { limits: API_LIMITS });
      else value = inspect(m, msg.text, msg.title);
    }
    post({ type: 'done', id: msg.id, value, ms: performance.now() - t0 });
  } catch (error) {
    post({ type: 'error', id: msg.id, message: reason(error) });
  }
};
