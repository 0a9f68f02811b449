/**
 * The decoder: poems written by incremental decoding over any LanguageModel (the recurrent state
 * is carried and each step feeds one character; the prefix is never re-run), many at once.
 *
 * Map of the decoder (three rooms, one job each):
 * - plan.ts    what a poem must look like: options resolved against the vocabulary into a Plan
 *              (layout, tone patterns, rhyme, repeats) that says which ids each position allows;
 * - sample.ts  how one of the allowed ids is taken: greedy, temperature, top-k, top-p, the n best;
 * - this file  the loop: PoemDecoder (one poem: <bos>, the title prefix or a title it writes, then
 *              the body; one hypothesis when sampling, up to `beam` in beam search), DecodeBatch
 *              (many poems, one model step per character; poems join and leave between steps;
 *              the cap on rows), and generateBatch / generate over it.
 *
 * Modes: greedy (temperature 0 or `greedy`), sampling with temperature, top-k and top-p, and beam
 * search (`beam` ≥ 2, by summed log-probability, length-normalised for free poems). Every mode is
 * reproducible: the only randomness is each poem's own seeded RandomSource, so a poem's text does
 * not depend on the other poems of its batch (the model's step is row-invariant: Model.step).
 * A repetition penalty (CTRL-style: positive logits ÷ p, negative × p) applies to used characters.
 * Each step computes only the logits the poems will read (BatchMember.reads, Model.step): none
 * for a forced token, the allowed ids' column ranges (logitRanges) for one sampled hypothesis that
 * reads no other entry; exactly the values of a full step, so the poems are the same.
 *
 * Titles. A title-conditioned model (src/data/sequence.ts) reads `<bos> <form> title <sep>` before
 * the poem: the title given, or, with none, one it writes itself first (Han characters until it
 * chooses <sep>, sampled like the poem, at most MAX_TITLE_CHARS). An unconditional model writes
 * untitled poems and refuses a title.
 *
 * Cost per step and hypothesis, the model's step aside: the plan's allowed ids (a block copy of a
 * per-vocabulary id list less the poem's used ids); plain sampling takes one exp per allowed id,
 * top-k O(count + k log k), top-p alone O(count + m log count) (m: the nucleus); beam search adds
 * a log-sum-exp over V. Sampling grows its one hypothesis in place, and a repetition penalty edits
 * the model's logits row in place and restores it (no copy of V).
 *
 * Shapes: V vocabulary size, S parallel hypotheses (beam width, 1 when sampling), R rows of a
 * batch step (Σ of its poems' rows).
 */
import { BOS, type Vocab } from '../data/vocab.ts';
import { MAX_TITLE_CHARS, SEP, conditionOf, conditionPrefix, formSymbol } from '../data/sequence.ts';
import type { LanguageModel, ListSampler, RecurrentState, RowRead } from '../nn/lm.ts';
import { standardPoem } from '../data/standard.ts';
import { PoetryError, isHan, poemLines, type GenForm } from './forms.ts';
import { addSorted, copyExcept } from './id-lists.ts';
import { copyHypothesis, type GenerateOptions, type Hypothesis, type Plan, type Slot } from './plan.ts';
import { makePlan, type TuneRead } from './plan-ci.ts';
import { DEFAULT_TEMPERATURE, MIN_TEMPERATURE, choose, logSumExp, logSumExpAmong, penalise, scratchFor, topIds, unpenalise, type RandomSource, type Sampling } from './sample.ts';

export type { GenerateOptions, RandomSource };

/** One generated poem: `lines` keep their closing marks and `text` is their concatenation. */
export interface Poem {
  start: string;
  form: GenForm;
  /** the title given or written ('' for an unconditional model); a 词's is its tune */
  title: string;
  lines: string[];
  text: string;
  /** A 词 (form 'ci', plan-ci.ts): the tune's usual name. */
  cipai?: string;
  /** A 词: its format, 1-based among the tune's, and its label (e.g. '钦定词谱 正体'). */
  variant?: number;
  format?: string;
  /** A 词: how the model read the tune — as a 词's title (<ci>), a free poem's (<free>: a model trained before <ci>), or not at all (an unconditional model). */
  tuneRead?: TuneRead;
  /** A 词: its lines grouped by 片 (stanza). */
  stanzas?: string[][];
  /** A revision (`keep`, keep.ts): per line of `lines`, the indices of its characters that were kept. */
  kept?: number[][];
}

/** A row none of whose logits will be read (RowRead). */
const NO_READ: RowRead = [];

/**
 * Column ranges a step computes for a row that reads only the ids[0:n] (ascending, distinct): the
 * ids from the first to the last, cut where more than RANGE_GAP ids in a row are missing (a range
 * costs a product call and a bias call per row, about as much as that many columns), at most
 * MAX_RANGES of them (the smallest gaps closed first). The cuts are found by halving the index
 * intervals that miss more than RANGE_GAP ids in all (ids[j] − ids[i] − (j − i)): an interval
 * missing fewer holds no cut, so a list of a few blocks (a vocabulary in prosody order,
 * tools/order-vocab.ts) or of evenly scattered ids costs a few dozen to a few hundred comparisons,
 * not one per id.
 */
export function logitRanges(ids: Int32Array, n: number): number[] {
  if (!n) return [];
  const out = [ids[0]];
  const stack = [0, n - 1]; // index intervals [i, j] still to search, the leftmost on top
  while (stack.length) {
    const j = stack.pop()!, i = stack.pop()!;
    if (ids[j] - ids[i] - (j - i) <= RANGE_GAP) continue;
    if (j - i === 1) {
      out.push(ids[i] + 1, ids[j]);
      continue;
    }
    const mid = (i + j) >>> 1;
    stack.push(mid, j, i, mid);
  }
  out.push(ids[n - 1] + 1);
  while (out.length > 2 * MAX_RANGES) {
    let best = 1; // out[best] ends the range before the smallest gap
    for (let r = 3; r < out.length - 2; r += 2) if (out[r + 1] - out[r] < out[best + 1] - out[best]) best = r;
    out.splice(best, 2);
  }
  return out;
}
const RANGE_GAP = 64;
const MAX_RANGES = 8;

/** Rows of one batch step at most (beam hypotheses count one row each); more poems wait their turn. */
export const MAX_BATCH_ROWS = 256;

/** What a poem feeds the model at the next step: for each of its rows, the row of the last step it continues (-1: a fresh state) and the token. */
export interface Feed {
  src: number[];
  tokens: number[];
}

/**
 * One member of a DecodeBatch (a poem being written: PoemDecoder). Each step the batch calls
 * `advance` with the last step's logits and the member's first row in them; the member reads its
 * rows and says what to feed next, or null when it has finished (then `result()`).
 */
export interface BatchMember<R> {
  /** Rows it may have in a step at most (admission counts these). */
  readonly maxRows: number;
  /** Rows it has in the next step's logits (0 once done). */
  readonly rows: number;
  /**
   * What the next `advance` reads of each of its rows (RowRead: null all, [] none, else the column
   * ranges of the ids it may take): the model may skip the rest.
   */
  readonly reads: RowRead;
  advance(logits: Float32Array | null, base: number): Feed | null;
  result(): R;
}

/**
 * One poem being written: the plan, its hypotheses (one when sampling, up to `beam`), its own
 * random stream, and where it is (opening: <bos>, the title prefix; then the body). It never calls
 * the model: `advance` reads its rows of the batch's logits and says what to feed next, so any
 * number of poems share one model step (DecodeBatch).
 */
export class PoemDecoder implements BatchMember<Poem> {
  private readonly plan: Plan;
  private readonly vocab: Vocab;
  private readonly penalty: number;
  private readonly sampling: Sampling;
  /** the model's sampling kernel (choose), if it has one */
  private readonly sampler?: ListSampler;
  private readonly width: number;
  private beams: Hypothesis[];
  private readonly finished: Hypothesis[] = [];
  private phase: 'start' | 'prefix' | 'title' | 'body' | 'done' = 'start';
  /** tokens still to feed before the body (the title prefix, given) */
  private readonly queue: number[] = [];
  private readonly titleIds: number[] = [];
  private title = '';
  private pos = 0;
  private poem?: Poem;
  private readonly sep: number;
  /** the model writes the title (Han characters until <sep>) */
  readonly writesTitle: boolean = false;
  /** the title's ids so far, ascending (never chosen twice) */
  private readonly titleSorted: number[] = [];
  /** the body's token ids as written (before the standard-character mapping of `result()`) */
  private written: readonly number[] = [];
  /** `measure`: log P of each body token the poem chose (not forced) and of each kept one, their positions, and (with a twin) the same tokens' log P under no title */
  private readonly measured?: { positions: number[]; steps: number[]; untitledSteps: number[] };
  /** `measure` counts the kept characters too (GenerateOptions.keepLookAhead) */
  private readonly lookAhead: boolean;
  /**
   * The untitled twin of a measured poem on a given title (or a plan's own opening, a 对联's): a
   * second row fed <bos> and the untitled opening so that it ends where the titled prefix ends
   * (it joins at feed `joinAt`), then the same body tokens. It measures the same tokens under no
   * title (`measured.untitledSteps`, the fit of candidates.ts) and guides the sampling (GenerateOptions.guidance).
   */
  private readonly twin?: { opening: number[]; joinAt: number };
  /** γ of guided sampling (0: none; only with a twin) */
  private readonly guidance: number;
  /** tokens fed before the body so far (<bos>, then the prefix) */
  private fed = 0;

  /**
   * Validates `opts` against the model's vocabulary (throws PoetryError / UnknownCharacterError).
   * `measure` (sampling only): also sum the log-probability of every body token the poem chose
   * (`measurement()`: choosing among candidates reads it), and of every kept character (a forced
   * slot marked `kept`, keep.ts, under the full distribution): the look-ahead of a revision, since a
   * candidate whose lines lead well into a kept line makes that line likelier. A chosen token is
   * measured among the ids allowed at its position (the columns computed). On a given title or a
   * plan's opening an untitled twin row measures the same tokens under no title (choosing among
   * candidates has the model write a title first, src/domain/write.ts, so its candidates have one).
   */
  constructor(model: LanguageModel, private readonly opts: GenerateOptions, private readonly rng: RandomSource, measure = false) {
    const { vocab } = model;
    this.vocab = vocab;
    this.sampler = model.sampler;
    const plan = (this.plan = opts.plan ?? makePlan(vocab, opts));
    this.penalty = opts.repetitionPenalty ?? 1;
    const temperature = opts.greedy ? 0 : opts.temperature ?? DEFAULT_TEMPERATURE;
    this.sampling = { temperature: temperature < MIN_TEMPERATURE ? 0 : temperature, topK: opts.topK ?? 0, topP: opts.topP ?? 1 };
    this.width = opts.beam && opts.beam > 1 ? opts.beam : 1;
    this.lookAhead = opts.keepLookAhead !== false;
    if (measure) {
      if (this.width > 1) throw new Error('PoemDecoder: measure is for sampling (one hypothesis)');
      this.measured = { positions: [], steps: [], untitledSteps: [] };
    }
    this.beams = [plan.start()];
    this.sep = vocab.id(SEP) ?? -1;
    if (plan.opening) {
      // the plan says what the model reads (a 对联: its 上联)
      this.title = plan.opening.title;
      this.queue.push(...plan.opening.tokens);
    } else if (conditionOf(vocab) !== 'title') {
      if (opts.title) throw new PoetryError('this model was not trained on titles (train one with condition "title"), so it cannot write on a title');
    } else if (opts.title !== undefined) {
      this.title = [...opts.title].slice(0, MAX_TITLE_CHARS).join('');
      this.queue.push(...conditionPrefix(vocab, plan.form, this.title));
    } else {
      this.queue.push(vocab.id(formSymbol(plan.form))!);
      this.writesTitle = plan.info.hanIds.length > 0;
    }
    const untitled = !this.measured ? undefined : plan.opening ? plan.opening.untitled : this.title ? conditionPrefix(vocab, plan.form, '') : undefined;
    if (untitled) {
      const opening = [BOS, ...untitled];
      const joinAt = 1 + this.queue.length - opening.length;
      if (joinAt >= 1) this.twin = { opening, joinAt };
    }
    this.guidance = this.twin ? Math.max(0, opts.guidance ?? 0) : 0;
  }

  /** Rows this poem may have in a step at most: its beams (1 when sampling), and its untitled twin. */
  get maxRows(): number {
    return this.width + (this.twin ? 1 : 0);
  }

  /** Rows this poem has in the next step's logits (0 once done): its hypotheses, then its twin once it has joined. */
  get rows(): number {
    if (this.phase === 'done') return 0;
    const twin = this.twin && this.fed > this.twin.joinAt ? 1 : 0;
    return (this.phase === 'body' ? this.beams.length : 1) + twin;
  }

  /**
   * What the next `advance` reads of this poem's rows of the logits, so that the model may skip
   * the rest: nothing when its next token is forced (the given title prefix; a mark, <eos>, a start
   * or acrostic character when sampling); the allowed ids' column ranges (logitRanges) when it
   * samples one hypothesis (a title's characters, the body's: `measure` and the twin read only
   * those too); all of the row for a kept character `measure` counts (its full distribution); all
   * of every row in beam search (beams rank by log-probabilities over the full row). The allowed
   * ids are computed here and again by `advance`: a block copy, far cheaper than the logits they save.
   */
  get reads(): RowRead {
    if (this.phase === 'prefix') return NO_READ;
    const sc = scratchFor(this.vocab);
    if (this.phase === 'title') {
      const n = this.titleAllowed(sc.ids);
      return n ? logitRanges(sc.ids, n) : NO_READ;
    }
    if (this.phase !== 'body' || this.width > 1) return null;
    const slot = this.plan.slotAt(this.pos);
    if (slot && 'forced' in slot) return this.measures(slot) ? null : NO_READ;
    return logitRanges(sc.ids, this.plan.allowed(this.beams[0], slot, sc.ids));
  }

  /** Whether `measure` counts the token of this slot: one the poem chooses, or a kept character (look-ahead). */
  private measures(slot: Slot): boolean {
    return !!this.measured && (!(slot && 'forced' in slot) || (!!slot.kept && this.lookAhead));
  }

  /** The ids the title may take next into ids[0:n] (<sep> once it has two characters, then the Han ids not yet in it, ascending); 0 when it is full (<sep> is forced). */
  private titleAllowed(ids: Int32Array): number {
    if (this.titleIds.length >= MAX_TITLE_CHARS) return 0;
    let n = 0;
    // at least two characters, each once: a title, not a stutter
    if (this.titleIds.length >= 2) ids[n++] = this.sep;
    return copyExcept(this.plan.info.hanIds, this.titleSorted, ids, n);
  }

  /**
   * With `measure`: Σ log P(token | what precedes it) over the body tokens the poem chose, their
   * positions (0 = the first body token after the title's <sep>), and the body's ids as written
   * (<eos> included; the vocabulary's characters, before the standard mapping), once finished,
   * both after the plan's lead-in, if it has one; and, with a twin, Σ log P of the same tokens
   * under no title (`untitledLogprob`).
   */
  measurement(): { logprob: number; positions: readonly number[]; tokens: readonly number[]; untitledLogprob?: number; steps: readonly number[]; untitledSteps?: readonly number[] } {
    if (!this.measured || !this.poem) throw new Error('PoemDecoder: nothing measured');
    // counted after a plan's lead-in (forced, so never measured), like the written text
    const lead = this.plan.lead ?? 0;
    const positions = lead ? this.measured.positions.map((p) => p - lead) : this.measured.positions;
    const { steps, untitledSteps } = this.measured;
    const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);
    return { logprob: sum(steps), positions, tokens: this.written, untitledLogprob: this.twin ? sum(untitledSteps) : undefined, steps, untitledSteps: this.twin ? untitledSteps : undefined };
  }

  /** The poem, once `advance` has returned null. */
  result(): Poem {
    if (!this.poem) throw new Error('the poem is not finished');
    return this.poem;
  }

  /**
   * Reads this poem's rows logits[base·V, (base + rows)·V) of the last step (none at the start)
   * and returns what to feed next, or null when the poem is finished (then `result()`). A
   * repetition penalty changes a few entries of those rows and puts them back before it returns.
   */
  advance(logits: Float32Array | null, base: number): Feed | null {
    const V = this.vocab.size;
    if (this.phase === 'start') {
      this.phase = this.queue.length ? 'prefix' : this.writesTitle ? 'title' : 'body';
      this.fed = 1;
      return { src: [-1], tokens: [BOS] };
    }
    if (this.phase === 'done') return null;
    const row = logits!.subarray(base * V, (base + this.rows) * V);
    if (this.phase === 'prefix') {
      const id = this.queue.shift()!;
      if (!this.queue.length) this.phase = this.writesTitle ? 'title' : 'body';
      const at = this.fed++;
      const tw = this.twin;
      // the twin starts fresh at joinAt and reads its own opening, ending with the prefix
      if (tw && at >= tw.joinAt) return { src: [0, at === tw.joinAt ? -1 : 1], tokens: [id, tw.opening[at - tw.joinAt]] };
      return { src: [0], tokens: [id] };
    }
    if (this.phase === 'title') {
      const title = this.titleIds;
      let id = this.sep;
      const sc = scratchFor(this.vocab);
      const ids = this.sampler?.ids ?? sc.ids;
      const n = this.titleAllowed(ids);
      if (n) id = choose(row, ids, n, this.sampling, this.rng, sc, this.sampler);
      if (id === this.sep) {
        this.title = this.vocab.decode(title);
        this.phase = 'body';
        if (this.opts.titleOnly) {
          // the title is what was asked for (candidates share it: src/domain/write.ts)
          this.poem = { start: this.opts.start ?? '', form: this.plan.form, title: this.title, lines: [], text: '' };
          this.phase = 'done';
          return null;
        }
      } else {
        title.push(id);
        addSorted(this.titleSorted, id);
      }
      return { src: [0], tokens: [id] };
    }
    return this.bodyStep(row);
  }

  /** One position of the body: decide every hypothesis's next token from its logits rows [rows,V]. */
  private bodyStep(logits: Float32Array): Feed | null {
    const { plan, vocab, width, penalty } = this;
    const V = vocab.size;
    const pos = this.pos++;
    const sc = scratchFor(vocab);
    const slot = plan.slotAt(pos);
    const atCap = pos === plan.capacity - 1;
    const beams = this.beams;
    if (width === 1) {
      // sampling: the one hypothesis grows in place; its log-probability would only rank beams
      const h = beams[0];
      const { sampler, twin, guidance } = this;
      const ids = sampler?.ids ?? sc.ids;
      const n = plan.allowed(h, slot, ids);
      const measured = this.measured && this.measures(slot) ? this.measured : undefined;
      const forced = !!slot && 'forced' in slot;
      // the twin's row [V]: the same position under no title
      const u = twin ? logits.subarray(V, 2 * V) : undefined;
      const { temperature, topK, topP } = this.sampling;
      let id: number;
      let lseT = 0, lseU = 0;
      if (u && measured && !forced && sampler && n > 1 && penalty === 1 && temperature > 0 && !topK && topP >= 1) {
        // one kernel pass: the guided draw and both rows' log Σ exp over the allowed ids
        const g = sampler.guided(logits, u, n, guidance, 1 / temperature, this.rng.next());
        id = ids[g.index];
        lseT = g.lseT;
        lseU = g.lseU;
      } else {
        // a chosen token is measured among the ids allowed here (the columns computed), before
        // `choose` may reorder them; a kept one (look-ahead) under the full distribution
        if (measured && !forced) {
          lseT = sampler ? sampler.logSumExpAmong(logits, n) : logSumExpAmong(logits, ids, n);
          if (u) lseU = sampler ? sampler.logSumExpAmong(u, n) : logSumExpAmong(u, ids, n);
        }
        // guided: t + γ·(t − u) at the allowed ids, in a row the sampler can read
        let scores = logits;
        if (u && guidance > 0 && !forced) {
          scores = sampler?.scratch ?? sc.guided;
          for (let i = 0; i < n; i++) {
            const k = ids[i];
            scores[k] = logits[k] + guidance * (logits[k] - u[k]);
          }
        }
        penalise(scores, h.used, penalty, sc.saved);
        id = choose(scores, ids, n, this.sampling, this.rng, sc, sampler);
        unpenalise(scores, h.used, penalty, sc.saved);
      }
      if (measured) {
        // the rows are the model's (unpenalised, unguided)
        const lt = !forced ? logits[id] - lseT : sampler ? sampler.logProb(logits, id) : logits[id] - logSumExp(logits.subarray(0, V));
        measured.steps.push(lt);
        if (u) {
          const lu = !forced ? u[id] - lseU : sampler ? sampler.logProb(u, id) : u[id] - logSumExp(u);
          measured.untitledSteps.push(lu);
        }
        measured.positions.push(pos);
      }
      plan.extend(h, id, 0);
      if (h.done || atCap) {
        this.finished.push(h);
        return this.finish();
      }
      return u ? { src: [0, 1], tokens: [id, id] } : { src: [0], tokens: [id] };
    }
    const candidates: { row: number; id: number; logp: number; score: number }[] = [];
    for (let row = 0; row < beams.length; row++) {
      const h = beams[row];
      const scores = logits.subarray(row * V, (row + 1) * V);
      const n = plan.allowed(h, slot, sc.ids);
      penalise(scores, h.used, penalty, sc.saved);
      // only a hypothesis's `width` best extensions can be among the `width` best overall
      const lse = logSumExp(scores);
      const m = topIds(scores, sc.ids, n, width, sc.order);
      for (let i = 0; i < m; i++) {
        const id = sc.order[i];
        candidates.push({ row, id, logp: scores[id] - lse, score: h.logp + scores[id] - lse });
      }
      unpenalise(scores, h.used, penalty, sc.saved);
    }
    const chosen = candidates.sort((a, b) => b.score - a.score || a.row - b.row || a.id - b.id).slice(0, width);
    const next = chosen.map((c) => {
      const h = copyHypothesis(beams[c.row]);
      plan.extend(h, c.id, c.logp);
      return { c, h };
    });
    for (const { h } of next) if (h.done || atCap) this.finished.push(h);
    const live = next.filter(({ h }) => !h.done && !atCap);
    // free beams: stop once as many poems have ended as there are beams
    if (!live.length || this.finished.length >= width) return this.finish();
    this.beams = live.map(({ h }) => h);
    return { src: live.map(({ c }) => c.row), tokens: live.map(({ c }) => c.id) };
  }

  private finish(): null {
    const { plan } = this;
    const score = (h: Hypothesis) => (plan.perToken ? h.logp / h.tokens.length : h.logp);
    const best = this.finished.reduce((a, b) => (score(b) > score(a) ? b : a));
    const body = plan.lead ? best.tokens.slice(plan.lead) : best.tokens;
    const text = this.vocab.decode(body);
    // printed in standard characters, whatever the vocabulary holds (src/data/standard.ts)
    const laid = plan.written?.(text) ?? { lines: poemLines(text), text };
    const poem: Poem = standardPoem({ start: this.opts.start ?? '', form: plan.form, title: this.title, lines: laid.lines, text: laid.text });
    if (laid.ci) {
      const { stanzaLines, ...ci } = laid.ci;
      let at = 0;
      Object.assign(poem, ci, { stanzas: stanzaLines.map((n) => poem.lines.slice(at, (at += n))) });
    }
    if (this.opts.keep !== undefined) poem.kept = keptIndices(this.vocab, plan, body, poem.lines);
    this.poem = poem;
    this.written = body;
    this.phase = 'done';
    this.beams = [];
    return null;
  }
}

/**
 * Which characters of each printed line are kept ones: the body tokens at slots marked `kept`,
 * found in the lines in order (a line's characters are the body's, less what the plan's layout
 * drops between them, e.g. a 词's 片 breaks).
 */
function keptIndices(vocab: Vocab, plan: Plan, body: readonly number[], lines: readonly string[]): number[][] {
  const lead = plan.lead ?? 0;
  const flags: boolean[] = []; // per character of the decoded body
  body.forEach((id, k) => {
    const chars = [...vocab.decode([id])].length;
    const slot = plan.slotAt(k + lead);
    for (let c = 0; c < chars; c++) flags.push(!!(slot && 'forced' in slot && slot.kept));
  });
  const text = [...vocab.decode(body)];
  let at = 0;
  return lines.map((line) => {
    const kept: number[] = [];
    [...line].forEach((ch, j) => {
      // skip what the lines leave out (a 片 break); a Han character may print in its standard form, so Han matches Han
      if (isHan(ch)) while (at < text.length && !isHan(text[at]!)) at++;
      else while (at < text.length && text[at] !== ch) at++;
      if (flags[at]) kept.push(j);
      at++;
    });
    return kept;
  });
}

/** A member of a batch, with what to call when it ends. */
interface Entry {
  member: BatchMember<unknown>;
  /** its first row in the current logits (-1: none yet) */
  base: number;
  done: (result: unknown) => void;
  failed: (err: unknown) => void;
}

/**
 * The one continuous-batching loop (generateBatch, the domain's writePoems and the server's
 * workers all drive it): poems are added at any time and wait their turn; each `step` first admits
 * waiting poems in arrival order while the batch has at most `maxRows` rows (a poem counts its
 * beams; one poem is always admitted), then feeds one token per row of every admitted poem in ONE
 * model step (rows: a poem's hypotheses), and each poem reads its own rows of the logits. A poem
 * leaves when it ends (its `done` or `failed` is called after the step) or when `remove`d (a
 * cancelled request: never called back). A poem's text does not depend on the others in the batch
 * (its own random stream; the model's `step` is row-invariant: Model.step).
 *
 * Shapes: R rows in the batch (Σ of the admitted poems' rows), V vocabulary size.
 */
export class DecodeBatch {
  private active: Entry[] = [];
  private waiting: Entry[] = [];
  private state: RecurrentState | null = null;
  private logits: Float32Array | null = null; // [R,V] of the last step

  constructor(private readonly model: LanguageModel, private readonly maxRows = MAX_BATCH_ROWS) {}

  /** Poems not yet finished: admitted or waiting. */
  get size(): number {
    return this.active.length + this.waiting.length;
  }

  /** Rows the next step would have at most from the admitted poems (a poem in its body: its hypotheses, else 1). */
  get rows(): number {
    let r = 0;
    for (const e of this.active) r += Math.max(1, e.member.rows);
    return r;
  }

  /** Adds a member (a poem, a text to score); it joins at a later step. `done` gets its result when finished, `failed` its error. */
  add<R>(member: BatchMember<R>, done: (result: R) => void, failed: (err: unknown) => void = (err) => { throw err; }): void {
    this.waiting.push({ member, base: -1, done: done as (result: unknown) => void, failed });
  }

  /** Drops the members for which `drop` is true (a cancelled request): they are never called back. */
  remove(drop: (member: BatchMember<unknown>) => boolean): void {
    this.active = this.active.filter((e) => !drop(e.member));
    this.waiting = this.waiting.filter((e) => !drop(e.member));
  }

  /** Moves waiting poems into the batch, in arrival order, while the rows allow. */
  private admit(): void {
    let rows = this.rows;
    let n = 0;
    while (n < this.waiting.length && (this.active.length === 0 || rows + this.waiting[n].member.maxRows <= this.maxRows)) {
      rows += this.waiting[n].member.maxRows;
      this.active.push(this.waiting[n++]);
    }
    if (n) this.waiting.splice(0, n);
  }

  /** One token for every row of every poem: one model step (none when every poem ended). */
  step(): void {
    this.admit();
    const src: number[] = [];
    const tokens: number[] = [];
    const reads: RowRead[] = []; // per row: what of its logits will be read (the model skips the rest)
    let cut = false;
    const kept: Entry[] = [];
    const fed: { e: Entry; feed: Feed; read: RowRead; key: string }[] = [];
    const ended: { e: Entry; result?: unknown; err?: unknown; failed?: true }[] = [];
    for (const e of this.active) {
      let feed: Feed | null;
      try {
        feed = e.member.advance(this.logits, e.base);
      } catch (err) {
        ended.push({ e, err, failed: true });
        continue;
      }
      if (!feed) {
        ended.push({ e, result: e.member.result() });
        continue;
      }
      const read = e.member.reads;
      if (read) cut = true;
      fed.push({ e, feed, read, key: read === null ? '' : read.length ? read.join() : '-' });
      kept.push(e);
    }
    // rows that read the same columns side by side, so that the model computes each such group in
    // place (Model.step); a row's values do not depend on where it lies (row-invariant products)
    if (cut) fed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { e, feed, read } of fed) {
      const base = e.base;
      e.base = src.length;
      for (let i = 0; i < feed.src.length; i++) {
        src.push(feed.src[i] < 0 ? -1 : base + feed.src[i]);
        tokens.push(feed.tokens[i]);
        reads.push(read);
      }
    }
    this.active = kept;
    if (src.length) {
      this.state = this.model.selectState(this.state ?? this.model.initState(0), Int32Array.from(src));
      this.logits = this.model.step(this.state, Int32Array.from(tokens), cut ? reads : undefined);
    } else {
      this.state = null;
      this.logits = null;
    }
    // callbacks last: they may add poems, which join at the next step
    for (const { e, result, err, failed } of ended) {
      if (failed) e.failed(err);
      else e.done(result);
    }
  }
}


/**
 * Writes many poems at once through one DecodeBatch: poems advance together, one model step for
 * all of them per character (at most `maxRows` rows at a time; the rest join as others end).
 * Every request is planned (validated) before any is decoded. Poem i uses requests[i].rng alone,
 * so its text is what `generate` writes for it alone. `beforeStep` is called before every step
 * (the server's workers throw from it to stop a cancelled request).
 */
export function generateBatch(
  model: LanguageModel,
  requests: readonly { opts: GenerateOptions; rng: RandomSource }[],
  { maxRows = MAX_BATCH_ROWS, beforeStep }: { maxRows?: number; beforeStep?: () => void } = {},
): Poem[] {
  const decoders = requests.map((r) => new PoemDecoder(model, r.opts, r.rng));
  const poems: Poem[] = new Array(requests.length);
  const batch = new DecodeBatch(model, maxRows);
  decoders.forEach((decoder, i) => batch.add(decoder, (poem) => (poems[i] = poem)));
  while (batch.size) {
    beforeStep?.();
    batch.step();
  }
  return poems;
}

/** Writes one poem. `rng` drives sampling (unused by greedy and beam search). */
export function generate(model: LanguageModel, opts: GenerateOptions, rng: RandomSource): Poem {
  return generateBatch(model, [{ opts, rng }])[0];
}
