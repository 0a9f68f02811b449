/**
 * How the CLI reports failures: a user error is one line `shiren: <message>` and exit code 1;
 * a usage error (bad flag or argument) exit code 2; never a stack trace unless SHIREN_DEBUG=1.
 * Every error but UsageError is a user error: the layers below write one-line messages.
 */

/** A bad flag value or argument combination (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A number as a person writes one in decimal: `12`, `-0.5`, `1e-3`, `2.`. Not what Number() also
 * takes (`0x10`, `0b1`, `0o7`, `Infinity`, '' and spaces as 0).
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Parses a positive (or non-negative) integer flag, or throws a UsageError naming the flag. */
export function parseInteger(flag: string, min = 1): (value: string) => number {
  return (value: string) => {
    const n = DECIMAL.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${value}'`);
    return n;
  };
}

/** Parses a finite number flag within [min, max], or throws a UsageError naming the flag. */
export function parseNumber(flag: string, min = -Infinity, max = Infinity): (value: string) => number {
  return (value: string) => {
    const n = DECIMAL.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(`${flag} must be a number in [${min}, ${max}], got '${value}'`);
    }
    return n;
  };
}

/** Parses one of a fixed set of choices. */
export function parseChoice<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${value}'`);
    return value as T;
  };
}

/** Parses a comma- or space-separated list of choices: at least one. */
export function parseList<T extends string>(flag: string, choices: readonly T[]): (value: string) => T[] {
  const one = parseChoice(flag, choices);
  return (value: string) => {
    const list = value.split(/[,\s]+/).filter(Boolean).map(one);
    if (list.length === 0) throw new UsageError(`${flag} needs at least one of ${choices.join(', ')}, got '${value}'`);
    return list;
  };
}

/** Parses a file or folder name: not empty (an empty name would read as the current folder or nothing). */
export function parsePath(flag: string): (value: string) => string {
  return (value: string) => {
    if (value.trim() === '') throw new UsageError(`${flag} needs a file or folder name, got '${value}'`);
    return value;
  };
}
