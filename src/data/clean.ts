/**
 * Cleaning and form classification of one poem (docs/design.md §1), pure functions shared by the corpus
 * builder and the tests.
 *
 * Pipeline for a raw poem (its `paragraphs` joined): traditional → simplified (OpenCC t → cn),
 * drop bracketed annotations, drop whitespace, then the poem must consist only of Han characters
 * and the punctuation ，。？！；：、 — anything else excludes it, with a reason. A clean poem is
 * classified into a regulated form when it splits into 4 or 8 lines of 5 or 7 characters; its
 * line ends are then canonicalised to ， and 。 alternately.
 */
export const FORMS = ['wujue', 'qijue', 'wulv', 'qilv'] as const;
export type RegulatedForm = (typeof FORMS)[number];
export type Form = RegulatedForm | 'free';
/**
 * What the corpus writes and a model reads after <bos> (its control symbols): the poem forms, `ci`
 * (the Song 词, src/poetry/songci.ts) and `duilian` (the parallel couplets of src/data/duilian.ts).
 */
export type CorpusForm = Form | 'ci' | 'duilian';
/** The poems proper (the regulated forms and free verse): what the judges and the checker read. */
export const POEM_FORMS: readonly Form[] = [...FORMS, 'free'];
export const ALL_FORMS: readonly CorpusForm[] = [...FORMS, 'free', 'ci', 'duilian'];
/** Between the 片 (stanzas) of a 词 in a corpus line (src/poetry/songci.ts, docs/design.md §1). */
export const STANZA_BREAK = '｜';

/** characters per line × lines of each regulated form */
export const FORM_SHAPE: Record<RegulatedForm, { chars: number; lines: number }> = {
  wujue: { chars: 5, lines: 4 },
  qijue: { chars: 7, lines: 4 },
  wulv: { chars: 5, lines: 8 },
  qilv: { chars: 7, lines: 8 },
};

export const PUNCTUATION = '，。？！；：、';
const HAN = /\p{Script=Han}/u;
/** Annotations in any of the bracket pairs （…） (…) […] 【…】 {…}, not nested. */
const ANNOTATION = /（[^（）]*）|\([^()]*\)|\[[^[\]]*\]|【[^【】]*】|\{[^{}]*\}/g;
const WHITESPACE = /\s+/gu;

export function isHan(ch: string): boolean {
  return HAN.test(ch);
}

export function isAllowedChar(ch: string): boolean {
  return PUNCTUATION.includes(ch) || HAN.test(ch);
}

let converter: ((s: string) => string) | undefined;
/** Traditional → simplified Chinese (OpenCC `t` → `cn`). */
export function toSimplified(text: string): string {
  // opencc-js (about 30 ms to load) serves `shiren corpus` only: required on first use, through
  // the process's own node:module, so that this file (which the browser entry needs) imports none
  const { createRequire } = process.getBuiltinModule('node:module');
  const convert = (converter ??= (createRequire(import.meta.url)('opencc-js') as typeof import('opencc-js')).Converter({ from: 't', to: 'cn' }));
  return convert(text);
}

/** Drops bracketed annotations (the first cleaning step, for poems and titles). */
export function removeAnnotations(text: string): string {
  return text.replace(ANNOTATION, '');
}

export type ExcludeReason = 'empty' | 'disallowed-character' | 'no-final-punctuation';

export type CleanResult = { ok: true; text: string } | { ok: false; reason: ExcludeReason; detail: string };

/**
 * Cleans one poem already converted to simplified characters. Returns the cleaned text or why the
 * poem is excluded (`detail` names the first offending character).
 */
export function cleanPoem(text: string): CleanResult {
  const cleaned = removeAnnotations(text).replace(WHITESPACE, '');
  if (![...cleaned].some(isHan)) return { ok: false, reason: 'empty', detail: '' };
  for (const ch of cleaned) {
    if (!isAllowedChar(ch)) return { ok: false, reason: 'disallowed-character', detail: ch };
  }
  if (!PUNCTUATION.includes(cleaned.at(-1)!)) return { ok: false, reason: 'no-final-punctuation', detail: cleaned.at(-1)! };
  return { ok: true, text: cleaned };
}

/**
 * Splits a poem into its lines: the runs ending in ， or 。 (the marks dropped). Other marks stay
 * inside the line, so a poem that uses ？！；：、 is never taken for a regulated one.
 */
export function splitLines(text: string): string[] {
  return text.split(/[，。]/u).filter((line) => line.length > 0);
}

/**
 * The regulated form of a clean poem, or 'free': 4 or 8 lines, all of 5 or all of 7 Han
 * characters. (Measured on the full corpus against docs/design.md §1: wulv 14,829 · qijue 11,078 ·
 * qilv 8,230 · wujue 4,328; also splitting at ？！；：、 would admit ~1,200 more.)
 */
export function classifyForm(text: string): Form {
  const lines = splitLines(text);
  const len = [...lines[0] ?? ''].length;
  if (!lines.every((line) => [...line].length === len && [...line].every(isHan))) return 'free';
  for (const form of FORMS) {
    if (FORM_SHAPE[form].chars === len && FORM_SHAPE[form].lines === lines.length) return form;
  }
  return 'free';
}

/** Rewrites a regulated poem's punctuation as ， after odd lines and 。 after even lines. */
export function canonicalise(lines: readonly string[]): string {
  return lines.map((line, i) => line + (i % 2 === 0 ? '，' : '。')).join('');
}

/** A cleaned, classified poem in canonical punctuation (free poems keep their own marks). */
export function normalisePoem(text: string): { text: string; form: Form } {
  const form = classifyForm(text);
  return { text: form === 'free' ? text : canonicalise(splitLines(text)), form };
}
