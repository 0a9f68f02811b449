/**
 * Character vocabulary (docs/design.md §2). Ids 0..3 are <pad> <unk> <bos> <eos>; then characters by
 * descending train frequency, ties broken by code point, optionally dropping rare ones.
 */
import { escapeControl } from '../util/text.ts';

export const PAD = 0;
export const UNK = 1;
export const BOS = 2;
export const EOS = 3;
export const SPECIALS = ['<pad>', '<unk>', '<bos>', '<eos>'] as const;

/** Thrown for characters the model does not know; the CLI prints its message as a one-line error. */
/** Characters a reader cannot see: spaces of every width, control and format characters. */
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zs}]$/u;

/** A character as an error message names it: `U+3000` when invisible, else itself (escaped). */
export function showCharacter(ch: string): string {
  return INVISIBLE.test(ch) ? `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : escapeControl(ch);
}

export class UnknownCharacterError extends Error {
  constructor(readonly chars: string[], where = '') {
    // the characters come from user input: invisible ones (spaces such as U+3000, control and
    // format characters) by their code point, the rest as they are (escaped), at most 20 shown
    const shown = chars.slice(0, 20).map(showCharacter).join(' ') + (chars.length > 20 ? ` …(${chars.length - 20} more)` : '');
    super(`unknown character${chars.length > 1 ? 's' : ''}${where ? ` in the ${where}` : ''} not in the model's vocabulary: ${shown}`);
    this.name = 'UnknownCharacterError';
  }
}

export class Vocab {
  /** symbol → id */
  private readonly index = new Map<string, number>();

  /** symbols[id]; the first four are SPECIALS. */
  constructor(readonly symbols: readonly string[]) {
    for (let i = 0; i < SPECIALS.length; i++) {
      if (symbols[i] !== SPECIALS[i]) throw new Error(`vocabulary must start with ${SPECIALS.join(' ')}`);
    }
    symbols.forEach((s, i) => {
      if (this.index.has(s)) throw new Error(`vocabulary has a duplicate symbol: ${s}`);
      this.index.set(s, i);
    });
  }

  /**
   * Builds the vocabulary from training texts (one poem or title per string); `controls` (the
   * control symbols of src/data/sequence.ts) follow the four specials.
   */
  static fromTexts(texts: Iterable<string>, minCount = 1, controls: readonly string[] = []): Vocab {
    const counts = new Map<string, number>();
    for (const text of texts) for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const chars = [...counts.entries()]
      .filter(([, n]) => n >= minCount)
      .sort((a, b) => b[1] - a[1] || a[0].codePointAt(0)! - b[0].codePointAt(0)!)
      .map(([ch]) => ch);
    return new Vocab([...SPECIALS, ...controls, ...chars]);
  }

  get size(): number {
    return this.symbols.length;
  }

  has(ch: string): boolean {
    return this.index.has(ch);
  }

  /** Id of a symbol, or undefined. */
  id(symbol: string): number | undefined {
    return this.index.get(symbol);
  }

  /** Characters of `text` that are not in the vocabulary (distinct, in order of appearance). */
  unknown(text: string): string[] {
    return [...new Set([...text].filter((ch) => !this.index.has(ch)))];
  }

  /**
   * text → ids. Unknown characters throw UnknownCharacterError naming them, unless
   * `allowUnknown`, which maps them to <unk> (used when scoring held-out text).
   */
  encode(text: string, allowUnknown = false): number[] {
    if (!allowUnknown) {
      const missing = this.unknown(text);
      if (missing.length) throw new UnknownCharacterError(missing);
    }
    return [...text].map((ch) => this.index.get(ch) ?? UNK);
  }

  /** Whether `id` is a special or control symbol (`<…>`), not a character. */
  isControl(id: number): boolean {
    return id < SPECIALS.length || /^<.+>$/.test(this.symbols[id]!);
  }

  /** ids → text; special and control symbols are dropped. */
  decode(ids: Iterable<number>): string {
    let out = '';
    for (const id of ids) if (!this.isControl(id)) out += this.symbols[id];
    return out;
  }
}
