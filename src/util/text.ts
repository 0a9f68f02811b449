/**
 * Making text from the outside safe to print on one terminal line: control characters (C0, DEL,
 * C1, line and paragraph separators, the bidi overrides) are shown as `\u001b` escapes, and a long
 * text is cut to a length with `…(N more)`. Used by every error message that quotes user input,
 * so a crafted file cannot move the cursor, recolour the terminal or flood it.
 */

/** Characters a terminal acts on instead of showing; `\n` and `\t` included (one line only). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every control character written as `\uXXXX`. */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `s` cut to at most `max` characters (code points), with `…(N more)` when cut. */
export function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max).join('')}…(${chars.length - max} more)`;
}

/** One printable line of at most `max` characters (before escaping) for an error message. */
export function printable(s: string, max = 400): string {
  return escapeControl(clip(s, max));
}
