/**
 * Choosing among candidates (docs/design.md §7, "Poems a reader keeps"): for each poem asked for,
 * the WritingLoop (write.ts) writes N candidates from N streams of the poem's seed, scores each
 * under the model in the same batch steps, and keeps the best by
 *
 *   score = fit + λ · fluency − μ · repetition
 *
 * - fluency: per-token log P(poem | title), over the tokens the poem chose itself (its forced start
 *   and acrostic characters, and a fixed form's marks, are the same in every candidate): a likely
 *   poem reads well. Measured while the candidate is written (PoemDecoder `measure`), free.
 * - fit: fluency − the same tokens' per-token log P(poem | no title) (pointwise mutual information
 *   of poem and title: how much the title explains the poem). On a given title (or a 对联's 上联)
 *   an untitled twin row of the candidate measures it as it is written, and both terms are taken
 *   among the ids the rules allowed at each position (the columns the step computes anyway: the
 *   PMI of poem and title within the form). With no title given, the model first writes one title
 *   (from candidate 0's stream) and the candidates are written on it, each with its twin.
 *   0 for an unconditional model or an untitled poem.
 * - guidance γ (not a score: how candidates are written): with the twin, each chosen character is
 *   drawn from t + γ·(t − u), t and u the titled and untitled logits (classifier-free guidance), so
 *   the candidates lean towards the title before the score chooses among them.
 * - repetition: characters and bigrams a poem uses more than once, and lines that echo another,
 *   per character (the model's probabilities like a refrain more than a reader does).
 * Both are under the weights the model writes with (int8 by default). The weights were chosen on the valid split by judges that are not
 * the model (tools/tune-candidates.ts; docs/models.md gives the table).
 *
 * Streams: candidate 0 of poem i is the stream a single poem has always had (Rng(poemSeed(seed,
 * i))), so N = 1 writes what shiren wrote before candidates; candidate j > 0 draws from
 * Rng(poemSeed(poemSeed(seed, i), j)). A poem depends on its seed alone, never on its batch.
 */
import { Rng, poemSeed } from '../nn/rng.ts';
import { bareLines, isHan, lineBigrams } from '../poetry/forms.ts';

export { DEFAULT_CANDIDATES } from './limits.ts';

/** The weights of the candidate score and the guidance (see the file comment), chosen on the valid split. */
export const CANDIDATE_WEIGHTS = { fluency: 0.5, repetition: 1, guidance: 3 } as const;

/** How a written poem was chosen, given with it (gen --json `choice`). */
export interface Choice {
  /** candidates written for it */
  candidates: number;
  /** per-token log P(poem | title) − log P(poem | no title) */
  fit: number;
  /** per-token log P(poem | title) */
  fluency: number;
  /** repeated characters, bigrams and echoed lines per character */
  repetition: number;
  /** fit + λ·fluency − μ·repetition: the chosen one's is the highest */
  score: number;
}

/** The random streams of a poem's N candidates (see the file comment). */
export function candidateStreams(seed: number, n: number): Rng[] {
  return Array.from({ length: n }, (_, j) => new Rng(j === 0 ? seed : poemSeed(seed, j)));
}

/**
 * Repetition of a poem per Han character: characters used more than once (each extra use), bigrams
 * within lines used more than once (each extra use), and whole lines that repeat an earlier line
 * (two each).
 */
export function repetition(text: string): number {
  const lines = bareLines(text);
  const chars = [...lines.join('')].filter(isHan);
  if (!chars.length) return 0;
  const extra = (items: string[]) => items.length - new Set(items).size;
  return (extra(chars) + extra(lineBigrams(text)) + 2 * extra(lines)) / chars.length;
}

/** A candidate's choice figures from its scores (log-probabilities summed over `tokens`). */
export function choiceOf(
  candidates: number,
  titled: { logprob: number; tokens: number },
  untitled: { logprob: number; tokens: number } | undefined,
  text: string,
  weights: { fluency: number; repetition: number } = CANDIDATE_WEIGHTS,
): Choice {
  // a poem whose every token was forced (a whole start text) chose nothing: nothing to tell apart
  const fluency = titled.tokens ? titled.logprob / titled.tokens : 0;
  const fit = untitled?.tokens ? fluency - untitled.logprob / untitled.tokens : 0;
  const rep = repetition(text);
  return { candidates, fit, fluency, repetition: rep, score: fit + weights.fluency * fluency - weights.repetition * rep };
}

/** The index of the best choice (ties: the earlier candidate). */
export function bestChoice(choices: readonly Choice[]): number {
  let best = 0;
  for (let i = 1; i < choices.length; i++) if (choices[i]!.score > choices[best]!.score) best = i;
  return best;
}
