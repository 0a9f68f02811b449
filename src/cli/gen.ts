/**
 * `shiren gen [START…] [--count N] [--model FILE] [--form F] [--acrostic 春夏秋冬] [--tones] [--rhyme]
 * [--temperature X] [--top-k K] [--top-p P] [--beam N] [--greedy] [--repetition-penalty X]
 * [--allow-repeats] [--seed N] [--json] [--engine E]` (DESIGN §5): `count` poems per start argument,
 * or `count` from <bos> with none.
 *
 * Output: each poem's lines one per line (as in the seed), a blank line between poems, the model
 * and engine on stderr; with --json only `{"poems":[{"start","form","lines":[…],"text"}]}` on stdout.
 * One seeded random stream serves all poems of a call, in order, so `--seed` reproduces the call.
 */
import { UnknownCharacterError } from '../data/vocab.ts';
import type { LanguageModel } from '../nn/lm.ts';
import type { Model } from '../nn/model.ts';
import { Rng } from '../nn/rng.ts';
import { loadModel, resolveModelFile } from '../nn/checkpoint.ts';
import { PoetryError, parseForm } from '../poetry/forms.ts';
import { generate, type GenerateOptions, type Poem } from '../poetry/generate.ts';
import { getKernels } from './score.ts';

export interface GenOptions {
  /** Start texts, one poem (× count) each; none or empty: poems from <bos>. */
  start?: string[];
  /** Poems per start, default 1. */
  count?: number;
  /** Model file; default the bundled model. */
  model?: string;
  /** free | wujue | qijue | wulv | qilv; default free (or the acrostic's form). */
  form?: string;
  /** Line i starts with character i. */
  acrostic?: string;
  /** Follow a standard 平仄 pattern of the form. */
  tones?: boolean;
  /** Even lines rhyme. */
  rhyme?: boolean;
  /** Sampling temperature (0: greedy), default 0.8. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Beam search with this many beams (deterministic: every poem of a start is the same). */
  beam?: number;
  greedy?: boolean;
  /** ≥ 1: divides positive logits (multiplies negative ones) of characters already used. */
  repetitionPenalty?: number;
  /** Let a character repeat within a fixed-form poem. */
  allowRepeats?: boolean;
  /** Random seed; default a fresh one per call. */
  seed?: number;
  json?: boolean;
  /** auto | blas | wasm | reference */
  engine?: string;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new PoetryError(message);
}

/** The generation options of GenOptions, validated (for callers without commander's parsing, e.g. HTTP). */
export function generateOptions(opts: GenOptions): GenerateOptions {
  const { temperature, topK, topP, beam, repetitionPenalty } = opts;
  check(temperature === undefined || (Number.isFinite(temperature) && temperature >= 0), `temperature must be a number ≥ 0, got ${temperature}`);
  check(topK === undefined || (Number.isInteger(topK) && topK >= 1), `top-k must be an integer ≥ 1, got ${topK}`);
  check(topP === undefined || (Number.isFinite(topP) && topP > 0 && topP <= 1), `top-p must be in (0, 1], got ${topP}`);
  check(beam === undefined || (Number.isInteger(beam) && beam >= 1), `beam must be an integer ≥ 1, got ${beam}`);
  check(repetitionPenalty === undefined || (Number.isFinite(repetitionPenalty) && repetitionPenalty >= 1), `repetition penalty must be ≥ 1, got ${repetitionPenalty}`);
  return {
    form: opts.form === undefined ? undefined : parseForm(opts.form),
    acrostic: opts.acrostic || undefined,
    tones: opts.tones,
    rhyme: opts.rhyme,
    temperature,
    topK,
    topP,
    beam,
    greedy: opts.greedy,
    repetitionPenalty,
    noRepeat: opts.allowRepeats ? false : undefined,
  };
}

/** `count` poems per start (or from <bos> with no starts), from one random stream seeded by `seed`. */
export function writePoems(model: LanguageModel, opts: GenOptions): Poem[] {
  const count = opts.count ?? 1;
  check(Number.isInteger(count) && count >= 1, `count must be an integer ≥ 1, got ${count}`);
  const base = generateOptions(opts);
  const starts = opts.start?.length ? opts.start : [''];
  // name every unknown character of every start at once
  const unknown = model.vocab.unknown(starts.join(''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  const rng = new Rng(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  return starts.flatMap((start) => Array.from({ length: count }, () => generate(model, { ...base, start: start || undefined }, rng)));
}

/**
 * Loads the model of a command (`model` or the bundled one) on the chosen engine, with the line
 * naming both that a command prints on stderr once it has succeeded (errors stay one line).
 */
export async function openModel(opts: { model?: string; engine?: string }): Promise<{ model: Model; banner: string }> {
  const kernels = await getKernels(opts.engine);
  const file = resolveModelFile(opts.model);
  const model = loadModel(file, kernels);
  const { cell, layers, hidden } = model.config;
  return { model, banner: `model ${file} (${cell}, ${layers}×${hidden}), engine ${kernels.name}\n` };
}

export async function runGen(opts: GenOptions): Promise<void> {
  const { model, banner } = await openModel(opts);
  const poems = writePoems(model, opts);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ poems }) + '\n');
    return;
  }
  process.stderr.write(banner);
  process.stdout.write(poems.map((p) => p.lines.join('\n') + '\n').join('\n'));
}
