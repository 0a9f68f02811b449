/**
 * Scoring poems, the domain function behind `shiren score`, POST /api/score and `shiren eval`'s
 * perplexity (docs/design.md §5, §7).
 *
 * Contract: `logprob` is the natural-log probability of all targets of `<bos> text <eos>` (text as
 * given, punctuation included), `tokens` their count (characters + <eos>), `perplexity =
 * exp(−logprob/tokens)`. Unknown characters of all texts are one UnknownCharacterError naming them;
 * `perplexity()` over a held-out split maps them to <unk> instead.
 */
import { UnknownCharacterError, type Vocab } from '../data/vocab.ts';
import type { Model } from '../nn/model.ts';
import { encodePoems, evalBatches, sumLoss, type BatchScorer } from '../train/batches.ts';

export interface PoemScore {
  text: string;
  tokens: number;
  logprob: number;
  perplexity: number;
}

/** Scores texts with a loaded model. */
export function scorePoems(model: Model, texts: readonly string[]): PoemScore[] {
  const unknown = model.vocab.unknown(texts.join(''));
  if (unknown.length) throw new UnknownCharacterError(unknown);
  return texts.map((text) => {
    const logprob = model.logprob(model.vocab.encode(text));
    const tokens = [...text].length + 1; // the characters and <eos>
    return { text, tokens, logprob, perplexity: Math.exp(-logprob / tokens) };
  });
}

/** Perplexity per character of poems (each scored as <bos> poem <eos>; unknown characters as <unk>). */
export function perplexity(model: BatchScorer & { readonly vocab: Vocab }, poems: readonly string[], batchSize = 64): { perplexity: number; tokens: number } {
  const { loss, tokens } = sumLoss(model, evalBatches(encodePoems(model.vocab, poems), batchSize));
  return { perplexity: Math.exp(loss / Math.max(1, tokens)), tokens };
}
