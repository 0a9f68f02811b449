/**
 * The shapes of the HTTP API (DESIGN §5): the request bodies as JSON Schemas, their translation
 * into the options of `shiren gen`, and the model summary of GET /api/health. Plain data and pure
 * functions: the web page's worker imports this file too, so a poem asked of the server and one
 * written in the browser follow the same rules.
 *
 * - POST /api/generate `{"start": "山" | ["日","红"], "form", "acrostic", "count", "temperature",
 *   "topK", "topP", "beam", "seed", "tones", "rhyme", "greedy", "repetitionPenalty",
 *   "allowRepeats"}`, all optional → `{"poems":[{"start","form","lines":[…],"text"}]}`.
 * - POST /api/score `{"texts": ["…", …]}` → `{"poems":[{"text","tokens","logprob","perplexity"}]}`.
 * Unknown fields are refused. The caps keep one request to a few seconds of work at most (a
 * 2×256 LSTM on 2 cores: 20 quatrains ≈ 0.8 s, a qilv with 16 beams ≈ 0.6 s).
 */
import { GEN_FORMS } from '../poetry/forms.ts';
import type { GenOptions } from '../cli/gen.ts';
import type { FloatArray } from '../engine/kernels.ts';
import type { Model } from '../nn/model.ts';

/** Most poems one generate request may ask for (count × number of starts). */
export const MAX_POEMS = 20;
/** Longest start text, acrostic and scored text, in characters. */
export const MAX_START_CHARS = 64;
export const MAX_ACROSTIC_CHARS = 16;
export const MAX_SCORE_CHARS = 500;
/** Most texts one score request may ask for. */
export const MAX_SCORE_TEXTS = 50;
export const MAX_BEAM = 16;
/** Most poems × beams one request may ask for: beam search costs a poem per beam. */
export const MAX_BEAM_WORK = 64;

/** The body of POST /api/generate. */
export interface GenerateRequest {
  /** Text to continue, or one poem (× count) per text of a list; none: poems from <bos>. */
  start?: string | string[];
  form?: string;
  acrostic?: string;
  count?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  beam?: number;
  seed?: number;
  tones?: boolean;
  rhyme?: boolean;
  greedy?: boolean;
  repetitionPenalty?: number;
  allowRepeats?: boolean;
}

/** The body of POST /api/score. */
export interface ScoreRequest {
  texts: string[];
}

const startText = { type: 'string', maxLength: MAX_START_CHARS } as const;

export const GENERATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    start: { anyOf: [startText, { type: 'array', items: startText, maxItems: MAX_POEMS }] },
    form: { type: 'string', enum: [...GEN_FORMS] },
    acrostic: { type: 'string', maxLength: MAX_ACROSTIC_CHARS },
    count: { type: 'integer', minimum: 1, maximum: MAX_POEMS },
    temperature: { type: 'number', minimum: 0, maximum: 10 },
    topK: { type: 'integer', minimum: 1 },
    topP: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    beam: { type: 'integer', minimum: 1, maximum: MAX_BEAM },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 },
    tones: { type: 'boolean' },
    rhyme: { type: 'boolean' },
    greedy: { type: 'boolean' },
    repetitionPenalty: { type: 'number', minimum: 1, maximum: 10 },
    allowRepeats: { type: 'boolean' },
  },
} as const;

export const SCORE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['texts'],
  properties: {
    texts: { type: 'array', minItems: 1, maxItems: MAX_SCORE_TEXTS, items: { type: 'string', minLength: 1, maxLength: MAX_SCORE_CHARS } },
  },
} as const;

/** A user error of a request that passed the schema but cannot be served as asked. */
export class RequestError extends Error {
  override name = 'RequestError';
}

/**
 * The `gen` options of a (schema-valid) generate request; the generation rules themselves
 * (acrostic length against the form, unknown characters, …) are checked by writePoems.
 */
export function genOptionsOf(req: GenerateRequest): GenOptions {
  const { start, ...rest } = req;
  const starts = start === undefined ? [] : typeof start === 'string' ? [start] : start;
  const poems = (rest.count ?? 1) * Math.max(1, starts.length);
  if (poems > MAX_POEMS) throw new RequestError(`at most ${MAX_POEMS} poems per request (count × starts), asked for ${poems}`);
  const beams = rest.beam ?? 1;
  if (poems * beams > MAX_BEAM_WORK) {
    throw new RequestError(`at most ${MAX_BEAM_WORK} poems × beams per request, asked for ${poems} × ${beams} (beam search writes the same poem each time: ask for count 1)`);
  }
  return { ...rest, start: starts };
}

/** GET /api/health: the model's shape and the engine that runs it. */
export interface ModelInfo {
  cell: string;
  layers: number;
  embed: number;
  hidden: number;
  vocab: number;
  engine: string;
}

export function modelInfo(model: Model<FloatArray>): ModelInfo {
  const { cell, layers, embed, hidden } = model.config;
  return { cell, layers, embed, hidden, vocab: model.vocab.size, engine: model.kernels.name };
}
