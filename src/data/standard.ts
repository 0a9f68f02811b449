/**
 * Standard characters (docs/design.md §1): a variant (异体字 such as 疎 鴈 廻, or a traditional form
 * OpenCC t → cn leaves) → its form in the 通用规范汉字表, by the table tools/build-standard-chars.ts
 * derives from Unicode's Unihan data (src/data/standard-table.ts). The corpus applies it after the
 * t → cn conversion, so a vocabulary has one form of each character; the written poems go through
 * it too, so a model trained before it prints standard characters. Standard characters and
 * anything else are left as they are; toStandard(toStandard(s)) === toStandard(s).
 * Pure and browser-safe.
 */
import { STANDARD_PAIRS } from './standard-table.ts';

let table: Map<string, string> | undefined;
/** variant → standard, from the pairs of the generated table */
function standardTable(): Map<string, string> {
  if (!table) {
    const chars = [...STANDARD_PAIRS];
    table = new Map();
    for (let i = 0; i < chars.length; i += 2) table.set(chars[i]!, chars[i + 1]!);
  }
  return table;
}

/** The standard form of one character (itself when it has none). */
export function standardOf(ch: string): string {
  return standardTable().get(ch) ?? ch;
}

/**
 * `text` in standard characters. `counts`, when given, gains one per character changed, by the
 * character as it was (the corpus stats count them).
 */
export function toStandard(text: string, counts?: Map<string, number>): string {
  const map = standardTable();
  let out = '';
  for (const ch of text) {
    const to = map.get(ch);
    if (to !== undefined && counts) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    out += to ?? ch;
  }
  return out;
}

/** A written poem (title, lines, text) in standard characters; the rest of it as it was. */
export function standardPoem<P extends { title: string; lines: string[]; text: string }>(poem: P): P {
  return { ...poem, title: toStandard(poem.title), lines: poem.lines.map((line) => toStandard(line)), text: toStandard(poem.text) };
}
