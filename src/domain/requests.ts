/**
 * The requests of the HTTP API and the page's worker (docs/design.md §5): their shapes and the caps
 * that keep one request to a few seconds of work (a 2×256 LSTM on 2 cores: 20 quatrains ≈ 0.8 s, a
 * qilv with 16 beams ≈ 0.6 s). Plain data and pure functions, so the server and the page, which
 * both import this file, serve a request by the same rules.
 */
import type { FloatArray } from '../engine/kernels.ts';
import type { Model } from '../nn/model.ts';
import { PoetryError, type RegulatedForm } from '../poetry/forms.ts';
import type { RhymeBookName } from '../poetry/book-names.ts';
import type { ScoreInput } from './score.ts';
import type { WriteOptions } from './write.ts';

/** Most poems one generate request may ask for (count × number of starts). */
export const MAX_POEMS = 20;
/** Longest start text, acrostic and scored text, in characters. */
export const MAX_START_CHARS = 64;
export const MAX_ACROSTIC_CHARS = 16;
export const MAX_SCORE_CHARS = 500;
/** Most texts one score request may ask for. */
export const MAX_SCORE_TEXTS = 50;
export const MAX_BEAM = 16;
/** top-k costs O(V log k) per step; more than this is no different from plain sampling. */
export const MAX_TOP_K = 1000;
/** Most poems × beams one request may ask for: beam search costs a poem per beam. */
export const MAX_BEAM_WORK = 64;
/** Most generation workers of `shiren serve`: each holds a copy of the model and its own engine. */
export const MAX_WORKERS = 64;

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
}

/** A request that passed the schema but asks for more than one request may. */
export class RequestError extends PoetryError {
  override name = 'RequestError';
}

/**
 * The start texts of a request: [] for none. (Here rather than in write.ts, which imports it: the
 * CLI imports this file at start-up, and write.ts brings the generator and the rhyme books.)
 */
export function startsOf(opts: WriteOptions): string[] {
  return opts.start === undefined ? [] : typeof opts.start === 'string' ? [opts.start] : [...opts.start];
}

/** Checks the caps that span fields (count × starts, poems × beams); returns the request. */
export function checkGenerateRequest(req: GenerateRequest): WriteOptions {
  const poems = (req.count ?? 1) * Math.max(1, startsOf(req).length);
  if (poems > MAX_POEMS) throw new RequestError(`at most ${MAX_POEMS} poems per request (count × starts), asked for ${poems}`);
  const beams = req.beam ?? 1;
  if (poems * beams > MAX_BEAM_WORK) {
    throw new RequestError(`at most ${MAX_BEAM_WORK} poems × beams per request, asked for ${poems} × ${beams} (beam search writes the same poem each time: ask for count 1)`);
  }
  return req;
}

/** GET /api/health and the page: the model's shape and the engine that runs it. */
export interface ModelInfo {
  cell: string;
  layers: number;
  embed: number;
  hidden: number;
  vocab: number;
  engine: string;
}

export function describeModel(model: Model<FloatArray>): ModelInfo {
  const { cell, layers, embed, hidden } = model.config;
  return { cell, layers, embed, hidden, vocab: model.vocab.size, engine: model.kernels.name };
}
