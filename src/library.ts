/**
 * The library's two writing and scoring calls, shared by both entries (src/index.ts for Node,
 * src/browser.ts for the page and bundlers): thin promises over the domain functions, so a caller
 * sees the same options and results as `shiren gen --json` and `shiren score --json`.
 * Browser-safe (no Node module).
 */
import type { Model } from './nn/model.ts';
import { writePoems, type Poem, type WriteOptions, type WriteRun } from './domain/write.ts';
import { scorePoems, type PoemScore, type ScoreInput } from './domain/score.ts';

/**
 * Writes poems (see WriteOptions); resolves to the poems as `shiren gen --json` lists them. `run`
 * may name tighter caps (API_LIMITS, as the server and the page use) and a hook before each step.
 */
export async function generate(model: Model, options: WriteOptions = {}, run: WriteRun = {}): Promise<Poem[]> {
  return writePoems(model, options, run);
}

/** Scores poems, each a text or {text, title}; resolves to the scores as `shiren score --json` lists them. */
export async function score(model: Model, texts: readonly ScoreInput[]): Promise<PoemScore[]> {
  return scorePoems(model, texts);
}
