/**
 * The JSON Schemas of the HTTP API's request bodies (docs/design.md §5), validated by fastify
 * before a handler runs. The request shapes and their caps are the domain layer's
 * (src/domain/requests.ts); the caps are src/domain/limits.ts's API_LIMITS, which the domain
 * functions check again for the page's worker and the library.
 *
 * - POST /api/generate `{"start": "山" | ["日","红"], "form", "acrostic", "count", "temperature",
 *   "topK", "topP", "beam", "seed", "tones", "rhyme", "greedy", "repetitionPenalty",
 *   "allowRepeats", "title", "rhymeBook", "rhymeGroup", "candidates", "guidance", "cipai", "variant", "keep"}`, all optional →
 *   `{"poems":[{"start","form","title","lines":[…],"text","choice"?}]}` (`choice`: how a poem was
 *   chosen among candidates, src/domain/candidates.ts); a 词 (`form: 'ci', cipai`) adds `cipai`,
 *   `variant`, `format`, `tuneRead` and `stanzas` (src/poetry/plan-ci.ts); a revision (`keep`, a
 *   template: src/poetry/keep.ts) adds `kept`, per line the indices of the kept characters.
 * - POST /api/duilian `{"upper": "海阔凭鱼跃", "count", "seed", "candidates", "guidance", "temperature", "topK",
 *   "topP", "rhymeBook"}` → `{"reading","pairs":[{"upper","lower","choice"?}]}` (as duilian --json).
 * - POST /api/score `{"texts": ["…" | {"text","title"}, …]}` → `{"poems":[{"text","tokens","logprob","perplexity"}]}`.
 * - POST /api/check `{"texts": ["…", …], "form", "rhymeBook", "cipai", "variant", "strictRhyme"}` → as `check --json`;
 *   with `"duilian": ["上联", "下联"]` (instead of or beside texts) also `"pairs": [one pair]` as
 *   `check --duilian --json`.
 * Unknown fields are refused.
 */
import { FORMS, GEN_FORMS } from '../poetry/forms.ts';
import { RHYME_BOOKS } from '../poetry/book-names.ts';
import { API_LIMITS, MAX_GUIDANCE, MAX_RHYME_GROUP_CHARS, MAX_SCORE_CHARS, MAX_SCORE_TEXTS, MAX_TITLE_INPUT_CHARS } from '../domain/limits.ts';

const { poems: MAX_POEMS, startChars: MAX_START_CHARS, acrosticChars: MAX_ACROSTIC_CHARS, topK: MAX_TOP_K, beam: MAX_BEAM } = API_LIMITS;

const startText = { type: 'string', maxLength: MAX_START_CHARS } as const;
const scoreText = { type: 'string', minLength: 1, maxLength: MAX_SCORE_CHARS } as const;

export const GENERATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    start: { anyOf: [startText, { type: 'array', items: startText, maxItems: MAX_POEMS }] },
    form: { type: 'string', enum: [...GEN_FORMS] },
    acrostic: { type: 'string', maxLength: MAX_ACROSTIC_CHARS },
    keep: { type: 'string', minLength: 1, maxLength: API_LIMITS.keepChars },
    cipai: { type: 'string', minLength: 1, maxLength: 32 },
    variant: { type: 'integer', minimum: 1, maximum: 99 },
    count: { type: 'integer', minimum: 1, maximum: MAX_POEMS },
    temperature: { type: 'number', minimum: 0, maximum: API_LIMITS.temperature },
    topK: { type: 'integer', minimum: 1, maximum: MAX_TOP_K },
    topP: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    beam: { type: 'integer', minimum: 1, maximum: MAX_BEAM },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 },
    tones: { type: 'boolean' },
    rhyme: { type: 'boolean' },
    greedy: { type: 'boolean' },
    repetitionPenalty: { type: 'number', minimum: 1, maximum: API_LIMITS.repetitionPenalty },
    allowRepeats: { type: 'boolean' },
    candidates: { type: 'integer', minimum: 1, maximum: API_LIMITS.candidates },
    guidance: { type: 'number', minimum: 0, maximum: MAX_GUIDANCE },
    title: { type: 'string', maxLength: MAX_TITLE_INPUT_CHARS },
    rhymeBook: { type: 'string', enum: [...RHYME_BOOKS] },
    rhymeGroup: { type: 'string', minLength: 1, maxLength: MAX_RHYME_GROUP_CHARS },
  },
} as const;

export const DUILIAN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['upper'],
  properties: {
    upper: { type: 'string', minLength: 1, maxLength: MAX_START_CHARS },
    count: { type: 'integer', minimum: 1, maximum: MAX_POEMS },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 },
    candidates: { type: 'integer', minimum: 1, maximum: API_LIMITS.candidates },
    guidance: { type: 'number', minimum: 0, maximum: MAX_GUIDANCE },
    temperature: { type: 'number', minimum: 0, maximum: API_LIMITS.temperature },
    topK: { type: 'integer', minimum: 1, maximum: MAX_TOP_K },
    topP: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    rhymeBook: { type: 'string', enum: [...RHYME_BOOKS] },
  },
} as const;

export const SCORE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['texts'],
  properties: {
    texts: {
      type: 'array', minItems: 1, maxItems: MAX_SCORE_TEXTS,
      items: {
        anyOf: [
          scoreText,
          { type: 'object', additionalProperties: false, required: ['text'], properties: { text: scoreText, title: { type: 'string', maxLength: MAX_TITLE_INPUT_CHARS } } },
        ],
      },
    },
  },
} as const;

export const CHECK_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['texts'] }, { required: ['duilian'] }],
  properties: {
    texts: { type: 'array', minItems: 1, maxItems: MAX_SCORE_TEXTS, items: scoreText },
    duilian: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string', maxLength: MAX_START_CHARS } },
    form: { type: 'string', enum: [...FORMS] },
    rhymeBook: { type: 'string', enum: [...RHYME_BOOKS] },
    cipai: { type: 'string', minLength: 1, maxLength: 40 },
    variant: { type: 'integer', minimum: 1, maximum: 100 },
    strictRhyme: { type: 'boolean' },
  },
} as const;
