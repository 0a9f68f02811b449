/**
 * Writing 下联, the domain function behind `shiren duilian`, POST /api/duilian and the library
 * (issue 20): `writeDuilian(model, { upper, count, seed, … })` answers one 上联 with `count`
 * 下联, each the best of N candidates (candidates.ts: fit + λ·fluency − repetition; fit is here
 * how much the 上联 explains the 下联), written through the WritingLoop of write.ts like any
 * poem: 下联 i draws from its own stream poemSeed(seed, i), so a seed reproduces the call.
 *
 * The layout and rules of a 下联, and how the model reads the 上联 (`reading`: 'duilian' with a
 * model trained on the `<duilian>` symbol, 'lvshi' — the 上联 as the first line of a 律诗 couplet
 * — with one trained before it, like the bundled model), are the DuilianPlan's
 * (src/poetry/plan-duilian.ts). Every written 下联 passes checkDuilian.
 *
 * Contract: the sampling fields are checked as writePoems checks them (WriteError, naming the
 * field); a 上联 that is not one line of Han characters, ends in 平 or is longer than
 * MAX_DUILIAN_CHARS is a PoetryError, an unknown character an UnknownCharacterError; all one line.
 */
import type { LanguageModel } from '../nn/lm.ts';
import { DuilianPlan, MAX_DUILIAN_CHARS, type DuilianReading } from '../poetry/plan-duilian.ts';
import type { RhymeBookName } from '../poetry/book-names.ts';
import { LIMITS, type Limits } from './limits.ts';
import { WriteError, WritingLoop, candidatesOf, generateOptions, poemRequests, type Choice, type Poem, type PoemRequest, type WriteRun } from './write.ts';

export { MAX_DUILIAN_CHARS, type DuilianReading };

/** What to answer. Only `upper` is required; the rest as `shiren gen`'s. */
export interface DuilianWriteOptions {
  /** The 上联: one clause of Han characters ending in 仄 (a closing mark is dropped). */
  upper: string;
  /** 下联 to write, default 1. */
  count?: number;
  /** Random seed; default a fresh one per call. */
  seed?: number;
  /** Candidates per 下联, the best kept; default DEFAULT_CANDIDATES when sampling. */
  candidates?: number;
  /** With candidates: how strongly the 上联 steers the sampling (WriteOptions.guidance; default 0). */
  guidance?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  /** pingshui (平水韵, default) or xinyun (中华新韵): the book of the tones. */
  rhymeBook?: string;
}

/** One answered pair (duilian --json `pairs`): `choice` when chosen among candidates. */
export interface DuilianAnswer {
  upper: string;
  lower: string;
  choice?: Choice;
}

/** A call's answer: how the model read the 上联, and the pairs. */
export interface DuilianResult {
  reading: DuilianReading;
  pairs: DuilianAnswer[];
}

/** A call checked and planned: its poems (one per 下联), candidates per poem, and the plan. */
export interface DuilianCall {
  plan: DuilianPlan;
  requests: PoemRequest[];
  candidates: number;
}

/** Checks a call and plans its 下联 (throws as the file comment says, before anything is written). */
export function planDuilian(model: LanguageModel, opts: DuilianWriteOptions, limits: Limits = LIMITS): DuilianCall {
  if (typeof opts.upper !== 'string' || !opts.upper.trim()) throw new WriteError('upper must be a 上联: one line of Han characters');
  if ([...opts.upper].length > limits.startChars) throw new WriteError(`upper has at most ${limits.startChars} characters`);
  const { count, seed, candidates, guidance, temperature, topK, topP, rhymeBook } = opts;
  const write = { count, seed, candidates, guidance, temperature, topK, topP, rhymeBook };
  const base = generateOptions(write, limits);
  const plan = new DuilianPlan(model.vocab, opts.upper, base.rhymeBook as RhymeBookName | undefined);
  const requests = poemRequests({ ...base, plan }, [''], count ?? 1, seed ?? Math.floor(Math.random() * 2 ** 32));
  return { plan, requests, candidates: candidatesOf(write, limits) };
}

/** The pairs of a call's written poems (the 下联 without its 。). */
export function duilianAnswers(call: DuilianCall, poems: readonly Poem[]): DuilianResult {
  return {
    reading: call.plan.reading,
    pairs: poems.map((p) => ({ upper: call.plan.slots.upper, lower: p.text.replace(/。$/u, ''), ...(p.choice && { choice: p.choice }) })),
  };
}

/** Answers `opts.upper` with `opts.count` 下联 (see the file comment). */
export function writeDuilian(model: LanguageModel, opts: DuilianWriteOptions, run: WriteRun = {}): DuilianResult {
  const call = planDuilian(model, opts, run.limits);
  const loop = new WritingLoop<null>(model);
  let poems: Poem[] | undefined;
  let error: unknown;
  loop.addRequests(null, call.requests, call.candidates, { done: (p) => (poems = p), failed: (err) => (error = err) });
  while (loop.size) {
    run.beforeStep?.();
    loop.step();
  }
  if (error !== undefined) throw error;
  return duilianAnswers(call, poems!);
}
