/**
 * Every cap and default of the domain's requests, in one table (docs/design.md §5, §9): what one
 * call may ask for from the library and the CLI (`LIMITS`), the tighter profile of the HTTP API
 * and the page (`API_LIMITS`: a request stays a few seconds of work, so one visitor cannot hold a
 * worker), the caps of scoring and checking, and the server's defaults. `generateOptions`
 * (write.ts) checks a request against a profile; the API's JSON schemas (src/server/api.ts) are
 * built from the same numbers; the CLI reads MAX_WORKERS and SERVE_DEFAULTS at start-up, so this
 * file imports nothing.
 */

/** Caps on the work one call may ask for. */
export interface Limits {
  /** poems per call: count × number of starts */
  readonly poems: number;
  /** beam width */
  readonly beam: number;
  /** poems × beams: beam search costs a poem per beam */
  readonly beamWork: number;
  /** top-k (it costs O(V log k) per step; more is no different from plain sampling) */
  readonly topK: number;
  /** characters of a start text and of a title */
  readonly startChars: number;
  /** characters of an acrostic */
  readonly acrosticChars: number;
  /** characters of a revision template (`keep`, marks included): the longest 词 with its marks fits */
  readonly keepChars: number;
  /** highest temperature */
  readonly temperature: number;
  /** highest repetition penalty */
  readonly repetitionPenalty: number;
  /** candidates per poem */
  readonly candidates: number;
  /** candidates per poem when sampling and none are asked for */
  readonly defaultCandidates: number;
  /** poems × candidates: each candidate costs a poem and its scoring */
  readonly candidateWork: number;
  /** what the caller calls one unit of work, in messages ("at most 20 poems per request") */
  readonly per: string;
}

/**
 * Candidates written per poem when sampling, unless asked otherwise (src/domain/candidates.ts;
 * chosen by measurement: docs/models.md).
 */
export const DEFAULT_CANDIDATES = 16;

/** The library and the CLI. */
export const LIMITS: Limits = {
  poems: 1000,
  beam: 16,
  beamWork: 1000,
  topK: 10_000,
  startChars: 64,
  acrosticChars: 16,
  // 莺啼序, the longest tune of the 词谱, has 240 characters and about 50 marks
  keepChars: 320,
  temperature: 100,
  repetitionPenalty: 100,
  candidates: 256,
  defaultCandidates: DEFAULT_CANDIDATES,
  candidateWork: 16_000,
  per: 'call',
};

/** The HTTP API and the page: a request is a few seconds of work at most. */
export const API_LIMITS: Limits = {
  ...LIMITS,
  poems: 20,
  beamWork: 64,
  topK: 1000,
  temperature: 10,
  repetitionPenalty: 10,
  candidates: 64,
  // a server answers many visitors: 4 keeps 50 connections inside the time budget on 2 cores
  // (bench/load.ts; 16 made each request 16 poems' work, p50 6 s, and 503s); the page asks for 16
  defaultCandidates: 4,
  candidateWork: 320,
  per: 'request',
};

/** Characters of a rhyme group's name or label (上平一东). */
export const MAX_RHYME_GROUP_CHARS = 8;
/** Characters of a title, wherever one is given (gen, score, inspect, the API). */
export const MAX_TITLE_INPUT_CHARS = LIMITS.startChars;
/** Highest guidance by the title (WriteOptions.guidance): beyond a few the title's pull drowns the language. */
export const MAX_GUIDANCE = 10;
/** Texts one score or check request may carry, and characters per text. */
export const MAX_SCORE_TEXTS = 50;
export const MAX_SCORE_CHARS = 500;
/**
 * Request bodies of the HTTP API larger than this are refused (413). Derived from the caps, so a
 * request at every cap fits: MAX_SCORE_TEXTS texts of MAX_SCORE_CHARS characters (3 bytes each in
 * UTF-8, 6 if escaped as \uXXXX) with a title each, and room for the JSON around them.
 */
export const MAX_BODY_BYTES = MAX_SCORE_TEXTS * (6 * (MAX_SCORE_CHARS + MAX_TITLE_INPUT_CHARS) + 64) + 4096;


/** Most generation workers of `shiren serve`: each holds a copy of the model and its own engine. */
export const MAX_WORKERS = 64;

/** `shiren serve`'s defaults. */
export const SERVE_DEFAULTS = {
  /** requests that may wait beyond those running before the server answers 503 */
  queue: 64,
  /** seconds from arrival to answer before a request is stopped (503) */
  budgetSeconds: 10,
  /** requests one decode loop (a worker) runs at once; their poems share its batch */
  jobsPerLoop: 64,
} as const;
