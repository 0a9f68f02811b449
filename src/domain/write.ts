/**
 * Writing poems, the domain function behind `shiren gen`, POST /api/generate and the page's worker
 * (docs/design.md §5, §9): `writePoems(model, options)` writes `count` poems per start text (or
 * `count` from <bos> with none), written as one batch, poem i from its own random stream derived
 * from (`seed`, i), so a seed reproduces the whole call wherever it is made and a poem does not
 * depend on the others of its call.
 *
 * Contract
 * - `WriteOptions` is the one description of a request: the CLI translates its flags into it, the
 *   server takes it as its JSON body, the page sends it to its worker.
 * - Every field is checked here (type, range, the caps on work below); a violation throws a
 *   WriteError with a one-line message that names the field as `WriteOptions` spells it. Front
 *   ends translate field names into their own (flags) when they print it.
 * - Unknown characters (of every start, title and acrostic at once) throw UnknownCharacterError.
 */
import { UnknownCharacterError } from '../data/vocab.ts';
import type { LanguageModel } from '../nn/lm.ts';
import { Rng } from '../nn/rng.ts';
import { GEN_FORMS, PoetryError, parseForm } from '../poetry/forms.ts';
import { startsOf } from './requests.ts';
import { RHYME_BOOKS, type RhymeBookName } from '../poetry/book-names.ts';
import { generateBatch, poemSeed, type GenerateOptions, type Poem } from '../poetry/generate.ts';

export type { Poem };

/** Caps on the work one call may ask for (the CLI and the server alike). */
export const LIMITS = {
  /** poems per call: count × number of starts */
  poems: 1000,
  /** beam width */
  beam: 16,
  /** poems × beams: beam search costs a poem per beam */
  beamWork: 1000,
  /** top-k */
  topK: 10_000,
  /** characters of a start text, title or acrostic */
  startChars: 64,
  acrosticChars: 16,
} as const;

/** What to write. All optional; the defaults are those of `shiren gen`. */
export interface WriteOptions {
  /** Text to continue, or one poem (× count) per text of a list; none: poems from <bos>. */
  start?: string | string[];
  /**
   * The title to write on (a title-conditioned model); none: the model writes a title first; '':
   * an untitled poem.
   */
  title?: string;
  /** free | wujue | qijue | wulv | qilv; default free (or the acrostic's form). */
  form?: string;
  /** Line i starts with character i. */
  acrostic?: string;
  /** Poems per start, default 1. */
  count?: number;
  /** Sampling temperature (0: greedy), default 0.8. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Beam search with this many beams (deterministic: every poem of a start is the same). */
  beam?: number;
  /** Random seed; default a fresh one per call. */
  seed?: number;
  /** Follow a standard 平仄 pattern of the form (default: on for the regulated forms). */
  tones?: boolean;
  /** Even lines rhyme in one 平 group (default: on for the regulated forms). */
  rhyme?: boolean;
  /** pingshui (平水韵, default) or xinyun (中华新韵): the book of the tones and rhymes. */
  rhymeBook?: string;
  /** Rhyme in this 平 group of the book (限韵), e.g. 东. */
  rhymeGroup?: string;
  greedy?: boolean;
  /** ≥ 1: divides positive logits (multiplies negative ones) of characters already used. */
  repetitionPenalty?: number;
  /** Let a character repeat within a fixed-form poem. */
  allowRepeats?: boolean;
}

/** A request that cannot be served as asked (a field out of range, too much work). */
export class WriteError extends PoetryError {
  override name = 'WriteError';
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new WriteError(message);
}

const isInt = (x: unknown, min: number, max = Infinity) => Number.isInteger(x) && (x as number) >= min && (x as number) <= max;
const isNum = (x: unknown, min: number, max = Infinity) => typeof x === 'number' && Number.isFinite(x) && x >= min && x <= max;

/** Checks every field of `opts` and returns the per-poem generation options. */
export function generateOptions(opts: WriteOptions): GenerateOptions {
  const { temperature, topK, topP, beam, repetitionPenalty, count = 1 } = opts;
  check(temperature === undefined || isNum(temperature, 0, 100), `temperature must be a number from 0 to 100, got ${temperature}`);
  check(topK === undefined || isInt(topK, 1, LIMITS.topK), `topK must be an integer from 1 to ${LIMITS.topK}, got ${topK}`);
  check(topP === undefined || (isNum(topP, 0, 1) && topP > 0), `topP must be in (0, 1], got ${topP}`);
  check(beam === undefined || isInt(beam, 1, LIMITS.beam), `beam must be an integer from 1 to ${LIMITS.beam}, got ${beam}`);
  check(repetitionPenalty === undefined || isNum(repetitionPenalty, 1, 100), `repetitionPenalty must be a number from 1 to 100, got ${repetitionPenalty}`);
  check(isInt(count, 1, LIMITS.poems), `count must be an integer from 1 to ${LIMITS.poems}, got ${count}`);
  check(opts.seed === undefined || isInt(opts.seed, 0, 2 ** 32 - 1), `seed must be an integer from 0 to 2^32−1, got ${opts.seed}`);
  check(opts.form === undefined || (GEN_FORMS as readonly string[]).includes(opts.form), `form must be one of ${GEN_FORMS.join(', ')}, got '${opts.form}'`);
  const starts = startsOf(opts);
  check(starts.every((s) => typeof s === 'string' && [...s].length <= LIMITS.startChars), `a start text has at most ${LIMITS.startChars} characters`);
  check(opts.rhymeBook === undefined || (RHYME_BOOKS as readonly string[]).includes(opts.rhymeBook), `rhymeBook must be one of ${RHYME_BOOKS.join(', ')}, got '${opts.rhymeBook}'`);
  check(opts.rhymeGroup === undefined || (typeof opts.rhymeGroup === 'string' && [...opts.rhymeGroup].length <= 8), `rhymeGroup must be the name of a 平 rhyme group, e.g. 东`);
  check(opts.title === undefined || (typeof opts.title === 'string' && [...opts.title].length <= LIMITS.startChars), `a title has at most ${LIMITS.startChars} characters`);
  check(opts.acrostic === undefined || [...opts.acrostic].length <= LIMITS.acrosticChars, `an acrostic has at most ${LIMITS.acrosticChars} characters`);
  const poems = count * Math.max(1, starts.length);
  check(poems <= LIMITS.poems, `at most ${LIMITS.poems} poems per call (count × starts), asked for ${poems}`);
  const beams = beam ?? 1;
  check(poems * beams <= LIMITS.beamWork, `at most ${LIMITS.beamWork} poems × beams per call, asked for ${poems} × ${beams} (beam search writes the same poem each time: ask for count 1)`);
  return {
    title: opts.title,
    form: opts.form === undefined ? undefined : parseForm(opts.form),
    acrostic: opts.acrostic || undefined,
    tones: opts.tones,
    rhyme: opts.rhyme,
    rhymeBook: opts.rhymeBook as RhymeBookName | undefined,
    rhymeGroup: opts.rhymeGroup || undefined,
    temperature,
    topK,
    topP,
    beam,
    greedy: opts.greedy,
    repetitionPenalty,
    noRepeat: opts.allowRepeats ? false : undefined,
  };
}

/**
 * `count` poems per start (or from <bos> with no starts), written together as one batch
 * (generateBatch); poem i of the call draws from its own stream seeded by poemSeed(seed, i), so a
 * seed reproduces the whole call and a poem does not depend on the others. `beforeStep`, if given,
 * is called before each decoding step: the server throws from it to stop a request that was
 * cancelled or ran over its time budget.
 */
export function writePoems(model: LanguageModel, opts: WriteOptions = {}, beforeStep?: () => void): Poem[] {
  return generateBatch(model, planPoems(model, opts), { checkpoint: beforeStep });
}

/**
 * The poems a call asks for, checked and ready to decode (writePoems; the server's batcher feeds
 * them into its shared batch): every field checked, every unknown character of every start named
 * at once, the seed drawn when none is given.
 */
export function planPoems(model: LanguageModel, opts: WriteOptions): { opts: GenerateOptions; rng: Rng }[] {
  const base = generateOptions(opts);
  const starts = startsOf(opts);
  if (!starts.length) starts.push('');
  const unknown = model.vocab.unknown(starts.join(''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  return poemRequests(base, starts, opts.count ?? 1, seed);
}

/** The poems of a call: `count` per start, poem i with its own stream Rng(poemSeed(seed, i)). */
export function poemRequests(base: GenerateOptions, starts: string[], count: number, seed: number): { opts: GenerateOptions; rng: Rng }[] {
  return starts.flatMap((start, s) => Array.from({ length: count }, (_, c) => ({
    opts: { ...base, start: start || undefined },
    rng: new Rng(poemSeed(seed, s * count + c)),
  })));
}
