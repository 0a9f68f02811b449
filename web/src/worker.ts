/**
 * The poem worker: shiren's own engine in the browser. On `load` it fetches the model file and
 * the WebAssembly kernels through the browser entry (src/browser.ts: the same code as in Node); on
 * `generate` it writes poems with `writePoems`, exactly as `shiren gen` and POST /api/generate do
 * (same seed, same poems). Runs in a Web Worker so the page stays responsive; the wasm memory is
 * shared, so the page must be cross-origin isolated (the server sends COOP/COEP headers).
 */
import { checkGenerateRequest, describeModel, loadModel, type Model } from '../../src/browser.ts';
import { writePoems } from '../../src/domain/write.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/** The worker's global scope, typed for the two messages (the DOM lib types `self` as a window). */
const scope = self as unknown as { postMessage(message: FromWorker): void; onmessage: ((event: MessageEvent<ToWorker>) => void) | null };

let model: Promise<Model> | undefined;

function post(message: FromWorker): void {
  scope.postMessage(message);
}

scope.onmessage = async (event) => {
  const msg = event.data;
  const t0 = performance.now();
  const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
  if (msg.type === 'load') {
    model = loadModel(msg.modelUrl); // one wasm thread (see BrowserLoadOptions)
    try {
      post({ type: 'ready', info: describeModel(await model), ms: performance.now() - t0 });
    } catch (error) {
      post({ type: 'unavailable', message: reason(error) });
    }
    return;
  }
  try {
    if (!model) throw new Error('no model loaded');
    const poems = writePoems(await model, checkGenerateRequest(msg.request));
    post({ type: 'poems', id: msg.id, poems, ms: performance.now() - t0 });
  } catch (error) {
    post({ type: 'error', id: msg.id, message: reason(error) });
  }
};
