/**
 * The work of the API, as plain data that crosses a worker thread's message port, and the one
 * function that does it (`runJob`), in a worker or in the server's own thread.
 *
 *   Job        {kind:'generate', request: WriteOptions} | {kind:'score', texts: ScoreInput[]}
 *   JobResult  {poems: Poem[]} (as gen --json)        | {poems: PoemScore[]} (as score --json)
 *   JobFailure {user: true, message}  a request that cannot be served: the answer is a 400
 *              {user: false, message, stack}  a fault of shiren's: a 500 that says no more
 *
 * Contract: `checkpoint` is called before every decoding step (and between scored texts); it throws
 * to stop a job that was cancelled or ran over its budget. The server's loops (batcher.ts) run
 * generate jobs themselves, batched; runJob is their score path and the one-off path.
 */
import { UnknownCharacterError } from '../data/vocab.ts';
import type { Model } from '../nn/model.ts';
import { PoetryError } from '../poetry/forms.ts';
import { writePoems, type Poem, type WriteOptions } from '../domain/write.ts';
import { scorePoems, type PoemScore, type ScoreInput } from '../domain/score.ts';

export type Job = { kind: 'generate'; request: WriteOptions } | { kind: 'score'; texts: ScoreInput[] };
export type JobResult = { poems: Poem[] } | { poems: PoemScore[] };
export interface JobFailure {
  user: boolean;
  message: string;
  stack?: string;
}

/** Thrown by a checkpoint to stop a job; never reaches a client. */
export class JobStopped extends Error {
  override name = 'JobStopped';
}

export function runJob(model: Model, job: Job, checkpoint: () => void): JobResult {
  if (job.kind === 'generate') return { poems: writePoems(model, job.request, checkpoint) };
  // every unknown character of every text at once, then one text at a time
  const unknown = model.vocab.unknown(job.texts.map((t) => (typeof t === 'string' ? t : t.text)).join(''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  return {
    poems: job.texts.map((text) => {
      checkpoint();
      return scorePoems(model, [text])[0]!;
    }),
  };
}

/** An error as data: user errors (their message is the answer) apart from faults. */
export function describeFailure(err: unknown): JobFailure {
  if (err instanceof PoetryError || err instanceof UnknownCharacterError) return { user: true, message: err.message.split('\n')[0] ?? '' };
  const e = err instanceof Error ? err : new Error(String(err));
  return { user: false, message: e.message, stack: e.stack };
}
