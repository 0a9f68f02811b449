/**
 * The poem worker: shiren's own engine in the browser. On `load` it fetches the model file and
 * the WebAssembly kernels (src/engine/wasm.ts, the same code as in Node) and builds the model; on
 * `generate` it writes poems with `writePoems`, exactly as `shiren gen` and POST /api/generate do
 * (same seed, same poems). Runs in a Web Worker so the page stays responsive; the wasm memory is
 * shared, so the page must be cross-origin isolated (the server sends COOP/COEP headers).
 */
import { createWasmKernels } from '../../src/engine/wasm.ts';
import { modelFromBytes } from '../../src/nn/checkpoint.ts';
import type { Model } from '../../src/nn/model.ts';
import { writePoems } from '../../src/domain/write.ts';
import { checkGenerateRequest, describeModel } from '../../src/domain/requests.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/** The worker's global scope, typed for the two messages (the DOM lib types `self` as a window). */
const scope = self as unknown as { postMessage(message: FromWorker): void; onmessage: ((event: MessageEvent<ToWorker>) => void) | null };

let model: Promise<Model> | undefined;

function post(message: FromWorker): void {
  scope.postMessage(message);
}

async function load(modelUrl: string): Promise<Model> {
  const res = await fetch(modelUrl);
  if (!res.ok) throw new Error(`cannot fetch the model ${modelUrl}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // one thread: a poem's per-step matrices are small, and helper threads would only spin
  const kernels = await createWasmKernels({ threads: 1 });
  return modelFromBytes(bytes, kernels, modelUrl);
}

scope.onmessage = async (event) => {
  const msg = event.data;
  const t0 = performance.now();
  const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
  if (msg.type === 'load') {
    model = load(msg.modelUrl);
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
