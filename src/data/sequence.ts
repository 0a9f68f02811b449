/**
 * The token sequences a model reads (docs/design.md §3): one concept, one place, for training,
 * scoring and generation alike.
 *
 *   unconditional model:    <bos> poem <eos>
 *   title-conditioned model: <bos> <form> title <sep> poem <eos>
 *
 * A model is title-conditioned when its vocabulary holds the control symbols (CONTROL_SYMBOLS:
 * `<sep>` and one `<form>` symbol per form, ids 4… right after the four specials); the model
 * file's metadata says so too (`"condition":"title"`). The title may be empty (`<bos> <form> <sep>
 * poem <eos>`): a share of the training poems are shown so, and that is how an untitled poem is
 * scored and written.
 *
 * Scores and perplexities cover the poem's characters and <eos> only (the prefix is given), so
 * the figures of conditional and unconditional models compare. In training, the title and <sep>
 * are predicted too (the model learns to propose a title); the form symbol is always given.
 */
import { ALL_FORMS, classifyForm, isHan, type CorpusForm } from './clean.ts';
import { UnknownCharacterError, type Vocab } from './vocab.ts';

export const SEP = '<sep>';
export const formSymbol = (form: CorpusForm): string => `<${form}>`;
/** The symbols a title-conditioned vocabulary adds after the four specials. */
export const CONTROL_SYMBOLS: readonly string[] = [SEP, ...ALL_FORMS.map(formSymbol)];
export const CONDITIONS = ['none', 'title'] as const;
export type Condition = (typeof CONDITIONS)[number];
/** Longest title a sequence carries (characters); longer titles are cut (the corpus does so too). */
export const MAX_TITLE_CHARS = 24;

/** Whether a model with this vocabulary reads titles. */
export function conditionOf(vocab: Vocab): Condition {
  return vocab.id(SEP) === undefined ? 'none' : 'title';
}

/**
 * The longest poem a model reads (score, inspect): the longest Tang poem has 2,980 characters, and
 * the logits alone of a poem take T × V floats (10,000 × 6,400 × 4 bytes = 256 MB), so a longer
 * one is refused before anything is allocated rather than running the engine out of memory.
 */
export const MAX_POEM_CHARS = 10_000;

/** Why `text` is too long for a model to read, or null. */
export function poemTooLong(text: string): string | null {
  const n = [...text].length;
  return n > MAX_POEM_CHARS ? `a poem of ${n} characters, more than the ${MAX_POEM_CHARS} a poem may have` : null;
}

/** One poem with what it is conditioned on. */
export interface TitledPoem {
  /** the poem in canonical punctuation */
  text: string;
  /** '' for none */
  title?: string;
  /** default: the form of `text` (src/data/clean.ts classifyForm) */
  form?: CorpusForm;
}

/** A model input: `tokens` follow <bos>, then <eos> closes; the first `skip` targets are not scored. */
export interface Example {
  tokens: Int32Array;
  skip: number;
}

/**
 * The prefix a model reads between <bos> and the poem: `[<form>, …title, <sep>]` for a
 * conditioned vocabulary, `[]` otherwise. Title characters must be known (one error naming all).
 */
export function conditionPrefix(vocab: Vocab, form: CorpusForm, title = ''): number[] {
  if (conditionOf(vocab) === 'none') return [];
  const unknown = vocab.unknown(title);
  if (unknown.length) throw new UnknownCharacterError(unknown, 'title');
  // a model trained before a form was added (duilian) has no symbol for it
  const formId = vocab.id(formSymbol(form));
  if (formId === undefined) throw new Error(`this model was trained without the form ${form} (no ${formSymbol(form)} in its vocabulary)`);
  return [formId, ...vocab.encode(title), vocab.id(SEP)!];
}

/**
 * The example of one poem. `scorePrefix`: training (true) also scores the title and <sep>;
 * evaluation (false) scores the poem and <eos> only. Unknown poem characters become <unk>.
 */
export function encodeExample(vocab: Vocab, poem: TitledPoem, scorePrefix = false): Example {
  const title = [...(poem.title ?? '')].filter((ch) => vocab.has(ch)).join('');
  const prefix = conditionPrefix(vocab, poem.form ?? classifyForm(poem.text), title);
  const tokens = Int32Array.from([...prefix, ...vocab.encode(poem.text, true)]);
  return { tokens, skip: scorePrefix && prefix.length ? 1 : prefix.length };
}

/**
 * A title as the corpus keeps it: bracketed notes already removed by the caller; the numbering of
 * a series dropped (`秋兴八首 其一` → 秋兴, `荆州作二首 二` → 荆州作, `其二` alone → ''); Han
 * characters only; at most MAX_TITLE_CHARS.
 */
export function cleanTitle(title: string): string {
  const NUM = '[一二三四五六七八九十百零〇两]+';
  const t = title
    .replace(new RegExp(`[\\s　·]+(其)?${NUM}$`, 'u'), '')
    .replace(new RegExp(`其${NUM}$`, 'u'), '')
    .replace(new RegExp(`${NUM}首(之${NUM})?$`, 'u'), '')
    .replace(new RegExp(`${NUM}首`, 'u'), '');
  return [...t].filter(isHan).slice(0, MAX_TITLE_CHARS).join('');
}
