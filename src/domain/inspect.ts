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
 */
import { classifyForm } from '../data/clean.ts';
import { conditionPrefix } from '../data/sequence.ts';
import type { FloatArray } from '../engine/kernels.ts';
import { inspectPoem, type PoemInspection } from '../explain/inspect.ts';
import type { Model } from '../nn/model.ts';
import { PoetryError } from '../poetry/forms.ts';

export type { PoemInspection };

export function inspectUnderTitle(model: Model<FloatArray>, text: string, title = ''): PoemInspection {
  const prefix = conditionPrefix(model.vocab, classifyForm(text), title);
  if (title && !prefix.length) throw new PoetryError('this model was not trained on titles, so it cannot read a poem under a title');
  return inspectPoem(model, text, { prefix });
}
