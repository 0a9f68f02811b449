/**
 * The names of the rhyme books (rhymebook.ts), in a module of their own so that the CLI can offer
 * them as choices without loading the books' tables at start-up.
 */
export const RHYME_BOOKS = ['pingshui', 'xinyun'] as const;
export type RhymeBookName = (typeof RHYME_BOOKS)[number];

/** Each book's name as a reader knows it (messages, the checker's report, the page). */
export const RHYME_BOOK_LABELS: Readonly<Record<RhymeBookName, string>> = { pingshui: '平水韵', xinyun: '中华新韵' };
