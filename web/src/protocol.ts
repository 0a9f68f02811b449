/**
 * Messages between the page (main.ts) and the poem worker (worker.ts). A generate request is the
 * body of POST /api/generate, and the answer its `poems`, so the page can ask either.
 */
import type { Poem } from '../../src/poetry/generate.ts';
import type { GenerateRequest, ModelInfo } from '../../src/domain/requests.ts';

export type ToWorker =
  | { type: 'load'; modelUrl: string }
  | { type: 'generate'; id: number; request: GenerateRequest };

export type FromWorker =
  | { type: 'ready'; info: ModelInfo; ms: number }
  | { type: 'unavailable'; message: string } // the model or the kernels did not load
  | { type: 'poems'; id: number; poems: Poem[]; ms: number }
  | { type: 'error'; id: number; message: string };
