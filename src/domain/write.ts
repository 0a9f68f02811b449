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
import { Rng, poemSeed } from '../nn/rng.ts';
import { FORMS, GEN_FORMS, PoetryError, parseForm, type Form, type RegulatedForm } from '../poetry/forms.ts';
import { makePlan } from '../poetry/plan.ts';
import { BOS } from '../data/vocab.ts';
import { cleanTitle, formSymbol } from '../data/sequence.ts';
import { removeAnnotations } from '../data/clean.ts';
import { printable } from '../util/text.ts';
import { RHYME_BOOKS, type RhymeBookName } from '../poetry/book-names.ts';
import { DecodeBatch, PoemDecoder, type BatchMember, type GenerateOptions, type Poem as DecodedPoem } from '../poetry/generate.ts';
import { MIN_TEMPERATURE } from '../poetry/sample.ts';
import { DEFAULT_CANDIDATES, LIMITS, MAX_GUIDANCE, MAX_RHYME_GROUP_CHARS, MAX_TITLE_INPUT_CHARS, type Limits } from './limits.ts';
import { CANDIDATE_WEIGHTS, bestChoice, candidateStreams, choiceOf, type Choice } from './candidates.ts';

export { LIMITS };
export type { Choice };

/** A written poem (as gen --json lists it): with `choice` when it was chosen among candidates. */
export interface Poem extends DecodedPoem {
  choice?: Choice;
}

/** What to write. All optional; the defaults are those of `shiren gen`. */
export interface WriteOptions {
  /** Text to continue, or one poem (× count) per text of a list; none: poems from <bos>. */
  start?: string | string[];
  /**
   * The title to write on (a title-conditioned model); none: the model writes a title first; '':
   * an untitled poem.
   */
  title?: string;
  /**
   * free | wujue | qijue | wulv | qilv | ci; default: one of the four regulated forms, drawn for
   * each poem from the model's own preference (formPrior) among those its start text fits (free
   * when it fits none); with an acrostic, the acrostic's form; with a cipai, ci.
   */
  form?: string;
  /** A 词's tune (form ci): usual name, alias (十六字令) or traditional name; the tune is its title. */
  cipai?: string;
  /** The tune's format, 1-based as `shiren cipai NAME` numbers them (default 1). */
  variant?: number;
  /** Line i starts with character i. */
  acrostic?: string;
  /**
   * A revision template (src/poetry/keep.ts): the poem with the characters to keep and ＿ or ？
   * (full-width or ASCII) where one is to be written, e.g. `白日依山尽，＿＿＿＿＿。欲穷千里目，更上一层楼。`.
   * Its shape sets the form (a regulated one, or free with form free; a 词's format with cipai);
   * the poems say which characters were kept (`kept`). No start or acrostic beside it.
   */
  keep?: string;
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
  /**
   * Candidates written per poem, the best kept (src/domain/candidates.ts); default
   * DEFAULT_CANDIDATES when sampling, 1 (today's single sample) with greedy or beam search.
   */
  candidates?: number;
  /**
   * With candidates: how strongly the title (given, or the one the model writes first) steers the sampling
   * (classifier-free guidance, GenerateOptions.guidance); default CANDIDATE_WEIGHTS.guidance on a
   * title, none for a 词 (its tune is not its topic) or a 对联; 0 none.
   */
  guidance?: number;
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

/** The start texts of a request: [] for none. */
export function startsOf(opts: WriteOptions): string[] {
  return opts.start === undefined ? [] : typeof opts.start === 'string' ? [opts.start] : [...opts.start];
}

/**
 * Checks every field of `opts` against the caps of `limits` (LIMITS for the library and the CLI,
 * API_LIMITS for the server and the page) and returns the per-poem generation options.
 */
export function generateOptions(opts: WriteOptions, limits: Limits = LIMITS): GenerateOptions {
  const { temperature, topK, topP, beam, repetitionPenalty, count = 1 } = opts;
  check(temperature === undefined || isNum(temperature, 0, limits.temperature), `temperature must be a number from 0 to ${limits.temperature}, got ${temperature}`);
  check(topK === undefined || isInt(topK, 1, limits.topK), `topK must be an integer from 1 to ${limits.topK}, got ${topK}`);
  check(topP === undefined || (isNum(topP, 0, 1) && topP > 0), `topP must be in (0, 1], got ${topP}`);
  check(beam === undefined || isInt(beam, 1, limits.beam), `beam must be an integer from 1 to ${limits.beam}, got ${beam}`);
  check(opts.guidance === undefined || isNum(opts.guidance, 0, MAX_GUIDANCE), `guidance must be a number from 0 to ${MAX_GUIDANCE}, got ${opts.guidance}`);
  check(repetitionPenalty === undefined || isNum(repetitionPenalty, 1, limits.repetitionPenalty), `repetitionPenalty must be a number from 1 to ${limits.repetitionPenalty}, got ${repetitionPenalty}`);
  check(isInt(count, 1, limits.poems), `count must be an integer from 1 to ${limits.poems}, got ${count}`);
  check(opts.seed === undefined || isInt(opts.seed, 0, 2 ** 32 - 1), `seed must be an integer from 0 to 2^32−1, got ${opts.seed}`);
  check(opts.form === undefined || (GEN_FORMS as readonly string[]).includes(opts.form), `form must be one of ${GEN_FORMS.join(', ')}, got '${opts.form}'`);
  check(opts.cipai === undefined || (typeof opts.cipai === 'string' && opts.cipai.trim() !== '' && [...opts.cipai].length <= 32), 'cipai must be the name of a tune, e.g. 浣溪沙');
  check(opts.variant === undefined || isInt(opts.variant, 1, 99), `variant must be an integer from 1 to 99, got ${opts.variant}`);
  check(opts.cipai === undefined || opts.form === undefined || opts.form === 'ci', `cipai needs form ci, got form '${opts.form}'`);
  check(opts.form !== 'ci' || opts.cipai !== undefined, 'form ci needs cipai, the tune (e.g. 浣溪沙)');
  check(opts.variant === undefined || opts.cipai !== undefined, 'variant needs cipai, the tune it numbers a format of');
  check(opts.cipai === undefined || !opts.title, "a 词's title is its tune: give cipai and no title");
  const starts = startsOf(opts);
  check(starts.every((s) => typeof s === 'string' && [...s].length <= limits.startChars), `a start text has at most ${limits.startChars} characters`);
  check(opts.rhymeBook === undefined || (RHYME_BOOKS as readonly string[]).includes(opts.rhymeBook), `rhymeBook must be one of ${RHYME_BOOKS.join(', ')}, got '${opts.rhymeBook}'`);
  check(opts.rhymeGroup === undefined || (typeof opts.rhymeGroup === 'string' && opts.rhymeGroup !== '' && [...opts.rhymeGroup].length <= MAX_RHYME_GROUP_CHARS), `rhymeGroup must be the name of a 平 rhyme group, e.g. 东`);
  check(opts.title === undefined || (typeof opts.title === 'string' && [...opts.title].length <= MAX_TITLE_INPUT_CHARS), `a title has at most ${MAX_TITLE_INPUT_CHARS} characters`);
  check(opts.acrostic === undefined || [...opts.acrostic].length <= limits.acrosticChars, `an acrostic has at most ${limits.acrosticChars} characters`);
  check(opts.keep === undefined || (typeof opts.keep === 'string' && [...opts.keep].length <= limits.keepChars), `keep must be a template of at most ${limits.keepChars} characters (＿ or ？ where one is to be written)`);
  check(opts.keep === undefined || (starts.length === 0 && !opts.acrostic), `keep takes no ${starts.length ? 'start text' : 'acrostic'}: write its characters into the template`);
  const poems = count * Math.max(1, starts.length);
  check(poems <= limits.poems, `at most ${limits.poems} poems per ${limits.per} (count × starts), asked for ${poems}`);
  const beams = beam ?? 1;
  const candidates = candidatesOf(opts, limits);
  check(isInt(candidates, 1, limits.candidates), `candidates must be an integer from 1 to ${limits.candidates}, got ${opts.candidates}`);
  check(candidates === 1 || sampling(opts), 'candidates need sampling: greedy decoding and beam search write the same poem every time (leave candidates at 1)');
  check(poems * candidates <= limits.candidateWork, `at most ${limits.candidateWork} poems × candidates per ${limits.per}, asked for ${poems} × ${candidates}`);
  check(poems * beams <= limits.beamWork, `at most ${limits.beamWork} poems × beams per ${limits.per}, asked for ${poems} × ${beams} (beam search writes the same poem each time: ask for count 1)`);
  return {
    title: titleOf(opts.title),
    form: opts.cipai !== undefined ? 'ci' : opts.form === undefined ? undefined : parseForm(opts.form),
    cipai: opts.cipai,
    variant: opts.variant,
    acrostic: opts.acrostic || undefined,
    keep: opts.keep,
    tones: opts.tones,
    rhyme: opts.rhyme,
    rhymeBook: opts.rhymeBook as RhymeBookName | undefined,
    rhymeGroup: opts.rhymeGroup,
    temperature,
    topK,
    topP,
    beam,
    greedy: opts.greedy,
    guidance: opts.guidance,
    repetitionPenalty,
    // WriteOptions: false is the default (no repeats in a fixed layout, repeats in a free poem)
    allowRepeats: opts.allowRepeats || undefined,
  };
}

/**
 * A title as a reader copies it (`秋兴八首 其一`, `送友人 二首`, with spaces or marks), cleaned as the
 * corpus cleans titles (src/data/sequence.ts cleanTitle); '' stays untitled, undefined lets the model
 * write one. A title with no Han character is a WriteError.
 */
function titleOf(title: string | undefined): string | undefined {
  if (!title) return title;
  const cleaned = cleanTitle(removeAnnotations(title));
  check(cleaned !== '', `title must have Han characters, got '${printable(title, 64)}'`);
  return cleaned;
}

/** Whether a call samples (so that candidates differ): not greedy, a temperature, no beam search. */
function sampling(opts: WriteOptions): boolean {
  return !opts.greedy && !((opts.beam ?? 1) > 1) && !((opts.temperature ?? 1) < MIN_TEMPERATURE);
}

/** The candidates per poem of a call: as asked, else the profile's default when it samples, else 1. */
export function candidatesOf(opts: WriteOptions, limits: Limits = LIMITS): number {
  return opts.candidates ?? (sampling(opts) ? limits.defaultCandidates : 1);
}

/** How a call is written: the caps it is checked against, and a hook before every decoding step. */
/** One candidate of a poem as written and measured (WriteRun.onCandidates: tools that study the choice). */
export interface CandidateReport {
  poem: Poem;
  choice: Choice;
  /** log P(token | title) of each measured token, in order (their sum / count is `choice.fluency`) */
  steps: readonly number[];
  /** the same tokens' log P under no title (the untitled twin), where there is one */
  untitledSteps?: readonly number[];
}

export interface WriteRun {
  /** default LIMITS (the library, the CLI); the server and the page pass API_LIMITS */
  limits?: Limits;
  /** called before each decoding step: the server throws from it to stop a cancelled request */
  beforeStep?: () => void;
  /** sees every candidate of poem i with its figures before the best is kept (tools/tune-candidates.ts) */
  onCandidates?: (i: number, candidates: CandidateReport[]) => void;
}

/**
 * `count` poems per start (or from <bos> with no starts), written together as one batch (a
 * WritingLoop of one call); poem i of the call draws from its own stream seeded by
 * poemSeed(seed, i), so a seed reproduces the whole call and a poem does not depend on the others.
 */
export function writePoems(model: LanguageModel, opts: WriteOptions = {}, run: WriteRun = {}): Poem[] {
  const loop = new WritingLoop<null>(model);
  let poems: Poem[] | undefined;
  let error: unknown;
  loop.add(null, opts, { done: (p) => (poems = p), failed: (err) => (error = err), onCandidates: run.onCandidates }, run.limits);
  while (loop.size) {
    run.beforeStep?.();
    loop.step();
  }
  if (error !== undefined) throw error;
  return poems!;
}

/**
 * The poems a call asks for, checked and ready to decode: every field checked, every unknown
 * character of every start named at once, the seed drawn when none is given.
 */
export function planPoems(model: LanguageModel, opts: WriteOptions, limits: Limits = LIMITS, prior: FormPrior = UNIFORM_PRIOR): PoemRequest[] {
  const base = generateOptions(opts, limits);
  const starts = startsOf(opts);
  if (!starts.length) starts.push('');
  const unknown = model.vocab.unknown(starts.join(''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
  const requests = poemRequests(base, starts, opts.count ?? 1, seed);
  // a template's shape is its form (poetry/keep.ts)
  if (base.form === undefined && !base.acrostic && base.keep === undefined) {
    // which regulated forms each start text fits (a form that cannot hold it is never drawn)
    const fitting = new Map(starts.map((start) => [start, FORMS.filter((form) => fits(model.vocab, { ...base, start: start || undefined, form }))]));
    for (const r of requests) r.opts.form = drawForm(prior, fitting.get(r.opts.start ?? '')!, r.seed);
  }
  return requests;
}

/** The model's preference among the regulated forms: P(form | <bos>) over FORMS, summing to 1. */
export type FormPrior = Readonly<Record<RegulatedForm, number>>;
const UNIFORM_PRIOR: FormPrior = { wujue: 0.25, qijue: 0.25, wulv: 0.25, qilv: 0.25 };
const priorCache = new WeakMap<LanguageModel, FormPrior>();

/**
 * P(<form> | <bos>) of a title-conditioned model, renormalised over the regulated forms (uniform for
 * a model that reads no form). One model step: call it only where no batch holds the model's
 * logits (WritingLoop's constructor), as `step` reuses their buffer.
 */
export function formPrior(model: LanguageModel): FormPrior {
  let prior = priorCache.get(model);
  if (prior) return prior;
  const ids = FORMS.map((f) => model.vocab.id(formSymbol(f)));
  if (ids.some((id) => id === undefined)) {
    prior = UNIFORM_PRIOR;
  } else {
    const row = model.step(model.initState(1), Int32Array.of(BOS)).subarray(0, model.vocab.size);
    const max = Math.max(...ids.map((id) => row[id!]!));
    const w = ids.map((id) => Math.exp(row[id!]! - max));
    const total = w.reduce((a, b) => a + b, 0);
    prior = Object.fromEntries(FORMS.map((f, i) => [f, w[i]! / total])) as Record<RegulatedForm, number>;
  }
  priorCache.set(model, prior);
  return prior;
}

/** Whether a poem of these options can be planned (its start text fits the form's layout). */
function fits(vocab: LanguageModel['vocab'], opts: GenerateOptions): boolean {
  try {
    makePlan(vocab, opts);
    return true;
  } catch {
    return false;
  }
}

/** A form drawn by `prior` among `forms` from the poem's own form stream (free when none fits). */
function drawForm(prior: FormPrior, forms: readonly RegulatedForm[], seed: number): Form {
  if (!forms.length) return 'free';
  const total = forms.reduce((a, f) => a + prior[f], 0);
  // a stream of its own (poemSeed(seed, FORM_STREAM)), so the poem's sampling stream is untouched
  let u = new Rng(poemSeed(seed, FORM_STREAM)).next() * total;
  for (const f of forms) if ((u -= prior[f]) < 0) return f;
  return forms[forms.length - 1]!;
}
const FORM_STREAM = 0x464f524d; // 'FORM'


/** One poem of a call: its options and its seed (its stream is Rng(seed); candidates: candidates.ts). */
export interface PoemRequest {
  opts: GenerateOptions;
  seed: number;
  rng: Rng;
}

/** The poems of a call: `count` per start, poem i with its own seed poemSeed(seed, i). */
export function poemRequests(base: GenerateOptions, starts: string[], count: number, seed: number): PoemRequest[] {
  return starts.flatMap((start, s) => Array.from({ length: count }, (_, c) => {
    const own = poemSeed(seed, s * count + c);
    return { opts: { ...base, start: start || undefined }, seed: own, rng: new Rng(own) };
  }));
}

/** Where a call's poems go: all of them in order, or its first error. */
export interface CallReply {
  done(poems: Poem[]): void;
  failed(err: unknown): void;
  /** optional: every candidate of poem i with its figures, before the best is kept */
  onCandidates?: (i: number, candidates: CandidateReport[]) => void;
}

/**
 * The guidance of candidates when none is asked for: CANDIDATE_WEIGHTS.guidance on a title; none
 * for a 词, whose tune is its title but not its topic (a 浣溪沙 need not be about a stream), nor for
 * a 对联 (a plan of its own), where the pair judge preferred the unguided 下联 (tools/duilian-eval.ts:
 * the real 下联 beat the model's 66.3% of the time unguided, 70.8% with guidance 1).
 */
function defaultGuidance(opts: GenerateOptions): number {
  return opts.plan || opts.form === 'ci' || opts.cipai !== undefined ? 0 : CANDIDATE_WEIGHTS.guidance;
}

/** A candidate as written: the poem, and what it measured of itself (PoemDecoder `measure`). */
interface Written {
  poem: DecodedPoem;
  measured?: ReturnType<PoemDecoder['measurement']>;
}

interface Call<K> {
  key: K;
  reply: CallReply;
  poems: Poem[];
  left: number;
}

/**
 * Calls of writePoems sharing one decode loop (poetry/generate.ts DecodeBatch): writePoems runs
 * one call through it, the server's workers all their requests (continuous batching). `add`
 * checks a call (throws as writePoems does, before anything is queued) and queues its poems: N
 * candidates each (with no title given, the model first writes one and the candidates are written
 * on it), each measured by itself and its untitled twin in the same batch steps (candidates.ts),
 * and the best is the poem. Each `step` is one model step for every admitted
 * member; a call is answered (done or failed, once, from inside `step`) when its last poem is
 * chosen or its first member fails; `remove` drops a call unanswered (a cancelled request). A
 * call's poems are the same whatever else is in the loop.
 */
export class WritingLoop<K> {
  private readonly batch: DecodeBatch;
  private readonly calls = new Map<K, Call<K>>();
  private readonly callOf = new Map<BatchMember<unknown>, Call<K>>();

  private readonly prior: FormPrior;

  constructor(private readonly model: LanguageModel, maxRows?: number) {
    this.batch = new DecodeBatch(model, maxRows);
    // before any batch step: formPrior steps the model
    this.prior = formPrior(model);
  }

  /** Members not yet finished (candidates, scorers), admitted or waiting. */
  get size(): number {
    return this.batch.size;
  }

  /** Checks a call and queues its poems under `key` (a key in use is an error). */
  add(key: K, opts: WriteOptions, reply: CallReply, limits: Limits = LIMITS): void {
    this.addRequests(key, planPoems(this.model, opts, limits, this.prior), candidatesOf(opts, limits), reply);
  }

  /**
   * Queues poems already planned (planPoems; writeDuilian's, whose options carry their own Plan),
   * `n` candidates each, under `key`: the hook for a call that is not a WriteOptions.
   */
  addRequests(key: K, requests: readonly PoemRequest[], n: number, reply: CallReply): void {
    if (this.calls.has(key)) throw new Error(`a call ${String(key)} is already being written`);
    // each poem's plan first (its first decoder): a request that cannot be written fails before anything runs
    const firsts = requests.map((r) => {
      if (n === 1) return { first: new PoemDecoder(this.model, r.opts, r.rng) };
      const opts = { ...r.opts, guidance: r.opts.guidance ?? defaultGuidance(r.opts) };
      const streams = candidateStreams(r.seed, n);
      return { opts, streams, first: new PoemDecoder(this.model, opts, streams[0]!, true) };
    });
    const call: Call<K> = { key, reply, poems: new Array(requests.length), left: requests.length };
    this.calls.set(key, call);
    firsts.forEach(({ first, opts, streams }, i) => {
      if (!opts || !streams) {
        this.join(call, first, (poem) => this.chosen(call, i, poem));
        return;
      }
      const rest = (o: GenerateOptions) => streams.slice(1).map((rng) => new PoemDecoder(this.model, o, rng, true));
      // with no title given the model writes one title, from candidate 0's stream, and the
      // candidates are written on it as on a given title (each with its untitled twin, guided)
      if (first.writesTitle) {
        this.join(call, new PoemDecoder(this.model, { ...opts, titleOnly: true }, streams[0]!), (titled) => {
          const titledOpts = { ...opts, title: titled.title };
          // candidate 0's stream goes on after the title, as one poem's would
          this.writeCandidates(call, i, [new PoemDecoder(this.model, titledOpts, streams[0]!, true), ...rest(titledOpts)]);
        });
      } else {
        this.writeCandidates(call, i, [first, ...rest(opts)]);
      }
    });
  }

  /** Queues poem i's candidates; once all are written, the best is the poem. */
  private writeCandidates(call: Call<K>, i: number, decoders: PoemDecoder[]): void {
    const written: Written[] = new Array(decoders.length);
    let left = decoders.length;
    decoders.forEach((decoder, j) => this.join(call, decoder, (poem) => {
      written[j] = { poem, measured: decoder.measurement() };
      if (--left === 0) this.choose(call, i, written);
    }));
  }

  /** Queues a member of `call`; `done` gets its result. */
  private join<R>(call: Call<K>, member: BatchMember<R>, done: (result: R) => void): void {
    this.callOf.set(member, call);
    this.batch.add(
      member,
      (result) => {
        this.callOf.delete(member);
        if (this.calls.has(call.key)) done(result);
      },
      (err) => this.fail(call, err),
    );
  }

  /** Poem i's candidates are written (each measured by itself and its untitled twin): the best is the poem. */
  private choose(call: Call<K>, i: number, written: Written[]): void {
    const choices = written.map(({ poem, measured }) => {
      const tokens = measured!.positions.length;
      const untitled = measured!.untitledLogprob === undefined ? undefined : { logprob: measured!.untitledLogprob, tokens };
      return choiceOf(written.length, { logprob: measured!.logprob, tokens }, untitled, poem.text);
    });
    call.reply.onCandidates?.(i, written.map(({ poem, measured }, c) => ({ poem, choice: choices[c]!, steps: measured!.steps, untitledSteps: measured!.untitledSteps })));
    const best = bestChoice(choices);
    this.chosen(call, i, { ...written[best]!.poem, choice: choices[best] });
  }

  /** Poem i of `call` is final; the call is answered with its last poem. */
  private chosen(call: Call<K>, i: number, poem: Poem): void {
    call.poems[i] = poem;
    if (--call.left === 0 && this.calls.delete(call.key)) call.reply.done(call.poems);
  }

  /** Drops call `key` and its members without an answer. */
  remove(key: K): void {
    const call = this.calls.get(key);
    if (call) this.drop(call);
  }

  /** One model step for every admitted member; a fault of the step itself fails every call in the loop. */
  step(): void {
    try {
      this.batch.step();
    } catch (err) {
      for (const call of [...this.calls.values()]) this.fail(call, err);
    }
  }

  private fail(call: Call<K>, err: unknown): void {
    if (this.drop(call)) call.reply.failed(err);
  }

  private drop(call: Call<K>): boolean {
    if (!this.calls.delete(call.key)) return false;
    this.batch.remove((m) => this.callOf.get(m) === call);
    for (const [m, c] of this.callOf) if (c === call) this.callOf.delete(m);
    return true;
  }
}
