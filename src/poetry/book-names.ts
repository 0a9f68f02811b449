/**
 * The names of the rhyme books (rhymebook.ts), in a module of their own so that the CLI can offer
 * them as choices without loading the books' tables at start-up.
 */
export const RHYME_BOOKS = ['pingshui', 'xinyun'] as const;
export type RhymeBookName = (typeof RHYME_BOOKS)[number];
