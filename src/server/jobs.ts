/**
 * The work of the API, as plain data that crosses a worker thread's message port: generate jobs
 * are written by the decode loops (batcher.ts, through the domain's WritingLoop), score jobs by
 * `scoreJob`, in a worker or in the server's own thread.
 *
 *   Job        {kind:'generate', request: WriteOptions} | {kind:'score', texts: ScoreInput[]}
 *              | {kind:'duilian', request: DuilianWriteOptions}
 *   JobResult  {poems: Poem[]} (as gen --json)        | {poems: PoemScore[]} (as score --json)
 *              | {reading, pairs} (as duilian --json)
 *   JobFailure {user: true, message}  a request that cannot be served: the answer is a 400
 *              {user: false, message, stack}  a fault of shiren's: a 500 that says no more
 *
 * Contract: `beforeText` is called between scored texts; it throws to stop a job that was
 * cancelled or ran over its budget. A generate request is checked against API_LIMITS
 * (src/domain/limits.ts) in the HTTP thread and again where it is written.
 */
import { UnknownCharacterError } from '../data/vocab.ts';
import type { Model } from '../nn/model.ts';
import { PoetryError } from '../poetry/forms.ts';
import type { Poem, WriteOptions } from '../domain/write.ts';
import type { DuilianResult, DuilianWriteOptions } from '../domain/duilian.ts';
import { scorePoems, type PoemScore, type ScoreInput } from '../domain/score.ts';

export type Job = { kind: 'generate'; request: WriteOptions } | { kind: 'duilian'; request: DuilianWriteOptions } | { kind: 'score'; texts: ScoreInput[] };
export type JobResult = { poems: Poem[] } | DuilianResult | { poems: PoemScore[] };
export interface JobFailure {
  user: boolean;
  message: string;
  stack?: string;
}

/** Errors whose message is the user's answer: a request that passed the schema but cannot be served. */
export const USER_ERRORS = [PoetryError, UnknownCharacterError];

/** Thrown to stop a job (cancelled, or past its deadline); never reaches a client. */
export class JobStopped extends Error {
  override name = 'JobStopped';
}

/** Scores a score job's texts, one at a time, `beforeText` before each. */
export function scoreJob(model: Model, texts: ScoreInput[], beforeText: () => void): JobResult {
  // every unknown character of every text at once, then one text at a time
  const unknown = model.vocab.unknown(texts.map((t) => (typeof t === 'string' ? t : t.text)).join(''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  return {
    poems: texts.map((text) => {
      beforeText();
      return scorePoems(model, [text])[0]!;
    }),
  };
}

/** An error as data: user errors (their message is the answer) apart from faults. */
export function describeFailure(err: unknown): JobFailure {
  if (USER_ERRORS.some((type) => err instanceof type)) return { user: true, message: (err as Error).message.split('\n')[0] ?? '' };
  const e = err instanceof Error ? err : new Error(String(err));
  return { user: false, message: e.message, stack: e.stack };
}
