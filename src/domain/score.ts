/**
 * Scoring poems, the domain function behind `shiren score`, POST /api/score and `shiren eval`'s
 * perplexity (docs/design.md §5, §7).
 *
 * Contract: `logprob` is the natural-log probability of the text's characters (as given,
 * punctuation included) and <eos>, given what precedes them — `<bos>`, and for a title-conditioned
 * model `<form> title <sep>` with the title given (empty when none): src/data/sequence.ts —
 * `tokens` their count (characters + <eos>), `perplexity = exp(−logprob/tokens)`, so the figures of
 * conditional and unconditional models compare. Unknown characters of all texts (and titles) are
 * one UnknownCharacterError naming them; `perplexity()` over a held-out split maps them to <unk>.
 * A poem over MAX_POEM_CHARS (src/data/sequence.ts) is a PoetryError, before anything is scored.
 * `onProgress(done, total)` is called as poems are scored (a bar for a long --file).
 */
import { UnknownCharacterError, type Vocab } from '../data/vocab.ts';
import { conditionOf, encodeExample, poemTooLong, type TitledPoem } from '../data/sequence.ts';
import type { Model } from '../nn/model.ts';
import { PoetryError } from '../poetry/forms.ts';
import { MAX_TITLE_INPUT_CHARS } from './limits.ts';
import { evalBatches, makeBatch, sumLoss, type BatchScorer } from '../train/batches.ts';

export interface PoemScore {
  text: string;
  /** the title it was scored under, when one was given */
  title?: string;
  tokens: number;
  logprob: number;
  perplexity: number;
}

/** A poem to score: its text, or its text and title. */
export type ScoreInput = string | { text: string; title?: string };

/** Scores texts with a loaded model. */
export function scorePoems(model: Model, inputs: readonly ScoreInput[], onProgress?: (done: number, total: number) => void): PoemScore[] {
  const poems = inputs.map((x) => (typeof x === 'string' ? { text: x } : x));
  poems.forEach((p, i) => {
    const long = poemTooLong(p.text);
    if (long) throw new PoetryError(`poem ${i + 1}: ${long}`);
  });
  const unknown = model.vocab.unknown(poems.map((p) => p.text).join(''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  const titled = poems.filter((p) => p.title);
  const long = titled.find((p) => [...p.title!].length > MAX_TITLE_INPUT_CHARS);
  if (long) throw new PoetryError(`a title has at most ${MAX_TITLE_INPUT_CHARS} characters (limits.ts, as gen and the API), this one ${[...long.title!].length}`);
  if (titled.length && conditionOf(model.vocab) === 'none') throw new PoetryError('this model was not trained on titles, so it cannot score a poem given its title');
  const unknownInTitles = model.vocab.unknown(titled.map((p) => p.title).join(''));
  if (unknownInTitles.length) throw new UnknownCharacterError(unknownInTitles, 'title');
  return poems.map(({ text, title }, i) => {
    const batch = makeBatch([encodeExample(model.vocab, { text, title })]);
    const logprob = -model.loss(batch.inputs, batch.targets, batch.B, batch.T).loss;
    const tokens = batch.tokens; // the characters and <eos>
    onProgress?.(i + 1, poems.length);
    return { text, ...(title ? { title } : {}), tokens, logprob, perplexity: Math.exp(-logprob / tokens) };
  });
}

/**
 * Perplexity per character of poems: the poem's characters and <eos>, given <bos> (and for a
 * conditioned model the form and the poem's title, '' when it has none); unknown characters as <unk>.
 */
export function perplexity(model: BatchScorer & { readonly vocab: Vocab }, poems: readonly (string | TitledPoem)[], batchSize = 64): { perplexity: number; tokens: number } {
  const examples = poems.map((p) => encodeExample(model.vocab, typeof p === 'string' ? { text: p } : p));
  const { loss, tokens } = sumLoss(model, evalBatches(examples, batchSize));
  return { perplexity: Math.exp(loss / Math.max(1, tokens)), tokens };
}
