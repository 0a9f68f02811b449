/**
 * Inspecting a poem under a title (docs/design.md §5, `shiren inspect --title`), as the page's
 * worker and any library user call it: src/explain/inspect.ts's `inspectPoem` with the prefix a
 * title-conditioned model reads (`<form> title <sep>`, src/data/sequence.ts), the form being the
 * poem's own. Browser-safe (no Node module).
 *
 * Contract
 * - `text` is read as given (punctuation included); whitespace is the caller's to remove.
 * - An unconditional model reads no prefix; a non-empty title for it is a PoetryError (one line).
 * - Unknown characters of the poem or the title throw UnknownCharacterError naming them.
 * - A title of more than MAX_TITLE_INPUT_CHARS characters (limits.ts), or a poem of more than
 *   `maxChars` (the page: the API's MAX_SCORE_CHARS) or MAX_POEM_CHARS, is a PoetryError.
 */
import { classifyForm } from '../data/clean.ts';
import { conditionPrefix } from '../data/sequence.ts';
import type { FloatArray } from '../engine/kernels.ts';
import { inspectPoem, type PoemInspection } from '../explain/inspect.ts';
import type { Model } from '../nn/model.ts';
import { PoetryError } from '../poetry/forms.ts';
import { MAX_TITLE_INPUT_CHARS } from './limits.ts';

export type { PoemInspection };

/** `maxChars`: a tighter cap than explain/inspect.ts's MAX_POEM_CHARS (the page passes the API's MAX_SCORE_CHARS). */
export function inspectUnderTitle(model: Model<FloatArray>, text: string, title = '', maxChars?: number): PoemInspection {
  const length = [...text].length;
  if (maxChars !== undefined && length > maxChars) throw new PoetryError(`a poem to inspect has at most ${maxChars} characters, this one ${length}`);
  if ([...title].length > MAX_TITLE_INPUT_CHARS) throw new PoetryError(`a title has at most ${MAX_TITLE_INPUT_CHARS} characters`);
  const prefix = conditionPrefix(model.vocab, classifyForm(text), title);
  if (title && !prefix.length) throw new PoetryError('this model was not trained on titles, so it cannot read a poem under a title');
  return inspectPoem(model, text, { prefix });
}
