/**
 * Revision templates (issue 20, `gen --keep`): a poem with the characters to keep as they are and
 * the ones to rewrite marked, e.g. `白日依山尽，＿＿＿＿＿。欲穷千里目，更上一层楼。`. This file
 * only reads a template (pure, no vocabulary): its lines of cells, a kept Han character or null (to
 * write), each line's closing mark, and the form its shape makes. The plans lay it out: plan.ts
 * (LayoutPlan: kept characters forced per position, the 平仄 pattern and rhyme group adapted to
 * them) and plan-ci.ts (a 词: one cell per format character).
 *
 * Syntax
 * - A character to write: ＿ _ ？ ? (full-width or ASCII). So ？ is never a question mark here.
 * - A line ends at one of ，。！；：、 or at a line break (whitespace); other whitespace is dropped.
 * - Shape → form: 4 or 8 lines of 5 or 7 cells are wujue, qijue, wulv, qilv; a template with no
 *   line ends at all is laid out by its count alone (20, 28, 40, 56). Any other shape is an error
 *   unless the form asked for is free (then the template's lines and marks are kept as given, the
 *   last mark made 。 or ！). A regulated poem is written in the canonical ，/。 whatever marks the
 *   template used. A 词 (`ci`) reads the cells in order and ignores the template's lines.
 * Errors are TemplateError (a PoetryError): one line saying what is wrong and where.
 */
import { showCharacter } from '../data/vocab.ts';
import { FORMS, FORM_SHAPE, isHan, PoetryError, type GenForm, type RegulatedForm } from './forms.ts';

/** The marks of a character to write. */
export const KEEP_MARKS = '＿_？?';
/** The marks that close a line of a template (？ is a mark to write, not one of these). */
export const TEMPLATE_LINE_ENDS = '，。！；：、';

export class TemplateError extends PoetryError {
  override name = 'TemplateError';
}

/** A template read (see the file comment). */
export interface KeepTemplate {
  /** per line its cells: the kept character, or null where one is to be written */
  lines: (string | null)[][];
  /** per line the mark that closes it, as the poem will have it */
  marks: string[];
  /** the form its shape makes (the one asked for, when that fits) */
  form: GenForm;
}

/** The cells of a template line by line, with the marks given ('' where a line break ended it). */
function readCells(template: string): { lines: (string | null)[][]; marks: string[] } {
  const lines: (string | null)[][] = [];
  const marks: string[] = [];
  let line: (string | null)[] = [];
  let at = 0;
  const close = (mark: string) => {
    lines.push(line);
    marks.push(mark);
    line = [];
  };
  for (const ch of template) {
    at++;
    if (isHan(ch)) line.push(ch);
    else if (KEEP_MARKS.includes(ch)) line.push(null);
    else if (TEMPLATE_LINE_ENDS.includes(ch)) {
      if (!line.length) throw new TemplateError(`the template's mark '${ch}' (character ${at}) closes an empty line: marks go after a line's characters`);
      close(ch);
    } else if (/\s/u.test(ch)) {
      if (line.length && /[\n\r]/u.test(ch)) close('');
    } else {
      throw new TemplateError(`the template's '${showCharacter(ch)}' (character ${at}) is neither a Han character to keep, a mark to write (＿ or ？) nor a line end (${TEMPLATE_LINE_ENDS})`);
    }
  }
  if (line.length) close('');
  return { lines, marks };
}

const SHAPES = FORMS.map((form) => ({ form, ...FORM_SHAPE[form] }));
const shapeWords = SHAPES.map((s) => `${s.form} ${s.lines}×${s.chars}`).join(', ');

/** The regulated form of lines of these lengths, if any. */
function regulatedShape(lengths: readonly number[]): RegulatedForm | undefined {
  return SHAPES.find((s) => s.lines === lengths.length && lengths.every((n) => n === s.chars))?.form;
}

/** What is wrong with lines of these lengths for `form`, in one line. */
function misfit(lengths: readonly number[], form: RegulatedForm): string {
  const { lines, chars } = FORM_SHAPE[form];
  if (lengths.length !== lines) return `the template has ${lengths.length} line${lengths.length === 1 ? '' : 's'}; a ${form} has ${lines} lines of ${chars} characters`;
  const wrong = lengths.flatMap((n, i) => (n === chars ? [] : [`line ${i + 1} has ${n} character${n === 1 ? '' : 's'}`]));
  return `${wrong.join(', ')} where a ${form}'s lines have ${chars}`;
}

/**
 * Reads a template for `form` (undefined: the form its shape makes). Throws TemplateError for a
 * template that is empty, marks nothing to write, holds a character that is neither, or whose
 * shape does not fit the form.
 */
export function parseKeep(template: string, form?: GenForm): KeepTemplate {
  const { lines, marks } = readCells(template);
  const cells = lines.flat();
  if (!cells.length) throw new TemplateError('the template is empty: give the poem with ＿ or ？ where a character is to be written');
  if (!cells.includes(null)) throw new TemplateError('the template marks nothing to write: put ＿ or ？ where a character is to be rewritten');
  if (form === 'ci') return { lines, marks, form };
  let laid = lines;
  if (lines.length === 1 && marks[0] === '' && form !== 'free') {
    // no line ends given: laid out by its count, where that names one form
    const shape = SHAPES.find((s) => s.lines * s.chars === cells.length && (form === undefined || s.form === form));
    if (!shape) {
      throw new TemplateError(`the template has ${cells.length} characters and no line ends: ${form ? `a ${form} has ${FORM_SHAPE[form].lines * FORM_SHAPE[form].chars}` : 'a wujue has 20, a qijue 28, a wulv 40, a qilv 56'} (end its lines with ，。 for another shape, as free verse)`);
    }
    laid = Array.from({ length: shape.lines }, (_, i) => cells.slice(i * shape.chars, (i + 1) * shape.chars));
  }
  const lengths = laid.map((l) => l.length);
  const shaped = regulatedShape(lengths);
  if (form === 'free') {
    const given = laid === lines ? marks.map((m) => m || '，') : laid.map(() => '，');
    const last = given.length - 1;
    if (!'。！'.includes(given[last]!)) given[last] = '。';
    return { lines: laid, marks: given, form: 'free' };
  }
  if (form !== undefined && shaped !== form) throw new TemplateError(shaped ? `the template is a ${shaped} (${lengths.length} lines of ${lengths[0]}), not a ${form}` : misfit(lengths, form));
  if (!shaped) {
    // the nearest regulated form (most lines of its length) names the lines that are off
    const near = SHAPES.filter((s) => s.lines === lengths.length).sort((a, b) => lengths.filter((n) => n === b.chars).length - lengths.filter((n) => n === a.chars).length)[0];
    const why = near ? misfit(lengths, near.form) : `the template has ${lengths.length} line${lengths.length === 1 ? '' : 's'}`;
    throw new TemplateError(`${why}: a template of no regulated shape (${shapeWords}) needs form free`);
  }
  const canonical = laid.map((_, i) => (i % 2 === 1 || i === laid.length - 1 ? '。' : '，'));
  return { lines: laid, marks: canonical, form: shaped };
}

/** A template written back from a poem's lines and which characters to keep (the page's 改写: kept[i] indices into line i's characters). */
export function templateOf(lines: readonly string[], kept: readonly (readonly number[])[]): string {
  return lines
    .map((line, i) => [...line].map((ch, j) => (isHan(ch) && !kept[i]?.includes(j) ? '＿' : ch)).join(''))
    .join('');
}
