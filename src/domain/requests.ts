/**
 * The requests of the HTTP API and the page's worker (docs/design.md §5): their shapes, and the
 * model's description that /api/health and the page show. Their caps are limits.ts's API_LIMITS,
 * checked by the domain functions themselves (write.ts generateOptions). Plain data and pure
 * functions, so the server and the page, which both import this file, serve a request alike.
 */
import type { FloatArray } from '../engine/kernels.ts';
import type { Model } from '../nn/model.ts';
import type { RegulatedForm } from '../poetry/forms.ts';
import type { RhymeBookName } from '../poetry/book-names.ts';
import type { ScoreInput } from './score.ts';
import type { WriteOptions } from './write.ts';

/** The body of POST /api/generate: the domain layer's WriteOptions. */
export type GenerateRequest = WriteOptions;

/** The body of POST /api/score. */
export interface ScoreRequest {
  /** poems, each a text or {text, title} (a title-conditioned model scores the text given the title) */
  texts: ScoreInput[];
}

/** The body of POST /api/check: poems to check, and the book and form to check them by. */
export interface CheckRequest {
  texts?: string[];
  /** a couplet to check: 上联, 下联 (src/poetry/duilian.ts) */
  duilian?: [string, string];
  form?: RegulatedForm;
  rhymeBook?: RhymeBookName;
  /** check every text as a 词 to this tune (src/poetry/ci-check.ts), in this format, without 通押 */
  cipai?: string;
  variant?: number;
  strictRhyme?: boolean;
}

/** GET /api/health and the page: the model's shape and the engine that runs it. */
export interface ModelInfo {
  cell: string;
  layers: number;
  embed: number;
  hidden: number;
  /** the output layer reads the embedding's rows through a projection (ModelConfig.tied) */
  tied: boolean;
  vocab: number;
  engine: string;
}

export function describeModel(model: Model<FloatArray>): ModelInfo {
  const { cell, layers, embed, hidden, tied } = model.config;
  return { cell, layers, embed, hidden, tied, vocab: model.vocab.size, engine: model.kernels.name };
}
