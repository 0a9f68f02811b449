/**
 * The fixed split of docs/design.md §1, in a module of its own so that everything that files a poem
 * (corpus.ts, the 对联 pairs of duilian.ts, the 词 of src/poetry/songci.ts) uses one rule: a poem's
 * split is decided by its id alone, so every figure is comparable across builds.
 */
import { createHash } from 'node:crypto';

export const SPLITS = ['train', 'valid', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** `b = first byte of sha1(id)`: b % 20 == 0 → test, == 1 → valid, else train. */
export function splitOf(id: string): Split {
  const b = createHash('sha1').update(id, 'utf8').digest()[0]!;
  return b % 20 === 0 ? 'test' : b % 20 === 1 ? 'valid' : 'train';
}
