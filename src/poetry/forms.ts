/**
 * Poem forms for generation and evaluation: `free` and the regulated wujue 5×4, qijue 7×4,
 * wulv 5×8, qilv 7×8 (characters × lines). The form names, shapes and the corpus classifier are the
 * corpus builder's (src/data/clean.ts) so that generation and cleaning agree; this file adds the
 * strict well-formedness test of generated text, the line layout, and the one-line user error.
 *
 * A well-formed regulated poem is exactly L lines of C Han characters, each followed by ， (lines
 * 1, 3, …) or 。 (lines 2, 4, …): the canonical punctuation of the corpus. A well-formed free poem
 * is one or more lines of Han characters, each closed by one mark of ，。？！；：、, the last by 。？！.
 */
import { FORMS, FORM_SHAPE, PUNCTUATION, classifyForm, isHan, type Form, type RegulatedForm } from '../data/clean.ts';

export { FORMS, FORM_SHAPE, classifyForm, isHan, type Form, type RegulatedForm };

/** A form `gen` writes: a poem form, or `ci` (a 词 to a tune: src/poetry/plan-ci.ts). */
export type GenForm = Form | 'ci';
/** Every form `gen` accepts. */
export const GEN_FORMS: readonly GenForm[] = ['free', ...FORMS, 'ci'];

/** A user error of generation (start text or acrostic that cannot fit, bad option combination). */
export class PoetryError extends Error {
  override name = 'PoetryError';
}

/** Characters per line × lines of a fixed layout (a regulated form, or a free acrostic). */
export interface Shape {
  readonly chars: number;
  readonly lines: number;
}

/** Parses a form name, or throws a PoetryError listing the choices. */
export function parseForm(name: string): GenForm {
  if (!(GEN_FORMS as readonly string[]).includes(name)) throw new PoetryError(`unknown form '${name}'; choose one of ${GEN_FORMS.join(', ')}`);
  return name as GenForm;
}

export function isRegulated(form: Form): form is RegulatedForm {
  return form !== 'free';
}

/** The mark that closes line i (0-based) of n: ， after lines 1, 3, …, 。 after 2, 4, … and the last. */
export function lineEnd(i: number, lines: number): '，' | '。' {
  return i % 2 === 1 || i === lines - 1 ? '。' : '，';
}

/** Splits a text into lines, each keeping its closing mark (a trailing unclosed run is a line too). */
export function poemLines(text: string): string[] {
  return text.match(new RegExp(`[^${PUNCTUATION}]*[${PUNCTUATION}]|[^${PUNCTUATION}]+$`, 'gu')) ?? [];
}

/** The lines of a poem without their marks (any of ，。？！；：、 ends a line): poemLines, marks dropped, empty lines skipped. */
export function bareLines(text: string): string[] {
  return poemLines(text).map((line) => (PUNCTUATION.includes(line.at(-1)!) ? line.slice(0, -1) : line)).filter((line) => line.length > 0);
}

/** The character bigrams within each bare line of `text`, in order (none across a line's end). */
export function lineBigrams(text: string): string[] {
  return bareLines(text).flatMap((line) => {
    const c = [...line];
    return c.slice(1).map((ch, i) => c[i] + ch);
  });
}

/** Whether `text` is a well-formed poem of `form` (see the file comment). */
export function isWellFormed(text: string, form: Form): boolean {
  const lines = poemLines(text);
  if (lines.length === 0) return false;
  if (form === 'free') {
    return (
      lines.every((line) => line.length >= 2 && [...line.slice(0, -1)].every(isHan) && PUNCTUATION.includes(line.at(-1)!)) &&
      '。？！'.includes(text.at(-1)!)
    );
  }
  return fitsShape(lines, FORM_SHAPE[form]);
}

/** Whether lines (with their marks) are exactly the layout `shape` in canonical punctuation. */
export function fitsShape(lines: readonly string[], shape: Shape): boolean {
  return (
    lines.length === shape.lines &&
    lines.every((line, i) => {
      const chars = [...line];
      return chars.length === shape.chars + 1 && chars.slice(0, -1).every(isHan) && chars.at(-1) === lineEnd(i, shape.lines);
    })
  );
}

/**
 * The regulated form of a well-formed poem, else 'free'. Unlike the corpus classifier (which
 * accepts any ，/。 layout and canonicalises it) this demands the canonical punctuation.
 */
export function wellFormedForm(text: string): Form {
  return FORMS.find((form) => isWellFormed(text, form)) ?? 'free';
}
