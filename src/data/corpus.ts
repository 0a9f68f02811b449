/**
 * The Tang corpus (docs/design.md §1): read `chinese-poetry`'s quantangshi files, clean, classify, split by
 * the sha1 rule, and write `DIR/<split>/<form>.txt` (one poem per line), beside it
 * `DIR/<split>/<form>.titles.txt` (the poem's title on the same line number: bracketed notes and
 * series numbering removed, Han characters only, possibly empty; src/data/sequence.ts cleanTitle)
 * plus `DIR/stats.json`. The 律诗 also give the form `duilian` (their parallel couplets,
 * src/data/duilian.ts; `song: true` adds those of the Song 律诗). Also the reader of such a folder,
 * used by training, evaluation and generation.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureOutputDir, writeFileAtomic } from '../util/fs.ts';
import { ALL_FORMS, cleanPoem, normalisePoem, removeAnnotations, toSimplified, type CorpusForm, type ExcludeReason, type Form } from './clean.ts';
import { DuilianPairs, corpusEntry, type DuilianStats } from './duilian.ts';
import { cleanTitle, type TitledPoem } from './sequence.ts';

export const SPLITS = ['train', 'valid', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export class CorpusError extends Error {
  override name = 'CorpusError';
}

/** `b = first byte of sha1(id)`: b % 20 == 0 → test, == 1 → valid, else train. */
export function splitOf(id: string): Split {
  const b = createHash('sha1').update(id, 'utf8').digest()[0]!;
  return b % 20 === 0 ? 'test' : b % 20 === 1 ? 'valid' : 'train';
}

export interface RawPoem {
  id: string;
  title?: string;
  author?: string;
  paragraphs: string[];
}

export interface CorpusStats {
  source: string;
  poems: number;
  /** counts[split][form] (duilian: pairs) */
  counts: Record<Split, Record<CorpusForm, number>>;
  /** totals per form over all splits */
  forms: Record<CorpusForm, number>;
  /** written poems per split (over the forms written, duilian pairs not counted) */
  splits: Record<Split, number>;
  excluded: Record<ExcludeReason, number>;
  /** the most frequent characters that caused 'disallowed-character' exclusions */
  disallowedCharacters: Record<string, number>;
  formsWritten: CorpusForm[];
  /** where the duilian pairs come from (src/data/duilian.ts) */
  duilian: DuilianStats;
}

/** Locates the quantangshi folder of the `chinese-poetry` package, or explains how to get it. */
export function findTangSource(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = dirname(require.resolve('chinese-poetry/package.json'));
  } catch {
    throw new CorpusError(
      "the npm package 'chinese-poetry' (85 MB, a dev dependency) is not installed; run `npm install chinese-poetry` in the shiren folder",
    );
  }
  const dir = join(pkg, 'dist', 'quantangshi');
  if (!existsSync(dir)) throw new CorpusError(`chinese-poetry is installed but has no ${dir}`);
  return dir;
}

/** The poet.tang.*.json (or poet.song.*.json) files of the source folder, in numeric order. */
export function poetFiles(dir: string, dynasty: 'tang' | 'song' = 'tang'): string[] {
  const num = (f: string) => Number(f.split('.')[2]);
  return readdirSync(dir)
    .filter((f) => new RegExp(`^poet\\.${dynasty}\\.\\d+\\.json$`).test(f))
    .sort((a, b) => num(a) - num(b))
    .map((f) => join(dir, f));
}

export interface BuildOptions {
  /** output folder */
  out: string;
  /** forms to write (stats always count all of them) */
  forms: readonly CorpusForm[];
  /** also take the duilian pairs of the Song 律诗 (poet.song.*.json; 4–5 times the build time) */
  song?: boolean;
  /** keep at most this many poems per split and form (the committed test fixture uses this) */
  sample?: number;
  /** called after each source file with (done, total) */
  onProgress?: (done: number, total: number) => void;
}

/** Builds the corpus; returns its stats (also written to `out/stats.json`). */
export function buildCorpus(opts: BuildOptions): CorpusStats {
  const source = findTangSource();
  const files = poetFiles(source);
  if (files.length === 0) throw new CorpusError(`no poet.tang.*.json files in ${source}`);
  const songFiles = opts.song ? poetFiles(source, 'song') : [];
  if (opts.song && songFiles.length === 0) throw new CorpusError(`no poet.song.*.json files in ${source}`);
  const zeroForms = () => Object.fromEntries(ALL_FORMS.map((f) => [f, 0])) as Record<CorpusForm, number>;
  const stats: CorpusStats = {
    source: 'chinese-poetry/dist/quantangshi/poet.tang.*.json',
    poems: 0,
    counts: { train: zeroForms(), valid: zeroForms(), test: zeroForms() },
    forms: zeroForms(),
    splits: { train: 0, valid: 0, test: 0 },
    excluded: { empty: 0, 'disallowed-character': 0, 'no-final-punctuation': 0 },
    disallowedCharacters: {},
    formsWritten: [...opts.forms],
    duilian: { sources: {} },
  };
  const lines: Record<Split, Record<CorpusForm, { text: string; title: string }[]>> = {
    train: {} as Record<CorpusForm, { text: string; title: string }[]>,
    valid: {} as Record<CorpusForm, { text: string; title: string }[]>,
    test: {} as Record<CorpusForm, { text: string; title: string }[]>,
  };
  for (const split of SPLITS) for (const form of opts.forms) lines[split][form] = [];
  const disallowed = new Map<string, number>();
  const pairs = new DuilianPairs();

  files.forEach((file, i) => {
    const poems = JSON.parse(readFileSync(file, 'utf8')) as RawPoem[];
    for (const poem of poems) {
      stats.poems++;
      const cleaned = cleanPoem(toSimplified(poem.paragraphs.join('')));
      if (!cleaned.ok) {
        stats.excluded[cleaned.reason]++;
        if (cleaned.reason === 'disallowed-character') disallowed.set(cleaned.detail, (disallowed.get(cleaned.detail) ?? 0) + 1);
        continue;
      }
      const { text, form } = normalisePoem(cleaned.text);
      const split = splitOf(poem.id);
      pairs.addPoem(text, form, split, 'tang');
      stats.counts[split][form]++;
      stats.forms[form]++;
      const bucket = lines[split][form];
      if (bucket && (opts.sample === undefined || bucket.length < opts.sample)) {
        bucket.push({ text, title: cleanTitle(removeAnnotations(toSimplified(poem.title ?? ''))) });
      }
    }
    opts.onProgress?.(i + 1, files.length + songFiles.length);
  });
  songFiles.forEach((file, i) => {
    for (const poem of JSON.parse(readFileSync(file, 'utf8')) as RawPoem[]) {
      const cleaned = cleanPoem(toSimplified(poem.paragraphs.join('')));
      if (cleaned.ok) {
        const { text, form } = normalisePoem(cleaned.text);
        pairs.addPoem(text, form, splitOf(poem.id), 'song');
      }
    }
    opts.onProgress?.(files.length + i + 1, files.length + songFiles.length);
  });
  stats.duilian = pairs.stats;
  for (const split of SPLITS) {
    const kept = pairs.pairs(split);
    stats.counts[split].duilian = kept.length;
    stats.forms.duilian += kept.length;
    if (lines[split].duilian) lines[split].duilian = kept.slice(0, opts.sample ?? kept.length).map(corpusEntry);
  }

  stats.disallowedCharacters = Object.fromEntries([...disallowed.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30));
  for (const split of SPLITS) {
    ensureOutputDir(join(opts.out, split));
    for (const form of opts.forms) {
      const poems = lines[split][form];
      if (form !== 'duilian') stats.splits[split] += poems.length;
      writeFileAtomic(join(opts.out, split, `${form}.txt`), poems.map((p) => p.text + '\n').join(''));
      writeFileAtomic(join(opts.out, split, `${form}.titles.txt`), poems.map((p) => p.title + '\n').join(''));
    }
  }
  writeFileAtomic(join(opts.out, 'stats.json'), JSON.stringify(stats, null, 2) + '\n');
  return stats;
}

/** Reads the poems of one split from a corpus folder, for the given forms (missing forms are an error). */
export function readSplit(dir: string, split: Split, forms: readonly CorpusForm[]): string[] {
  return readTitledSplit(dir, split, forms).map((p) => p.text);
}

/**
 * The poems of one split with their titles and forms. A corpus built before titles were kept has
 * no `.titles.txt`: its titles are '' (a title-conditioned model cannot learn from it).
 */
export function readTitledSplit(dir: string, split: Split, forms: readonly CorpusForm[]): (TitledPoem & { title: string; form: CorpusForm })[] {
  if (!existsSync(join(dir, 'stats.json'))) {
    throw new CorpusError(`${dir} is not a shiren corpus (no stats.json); build one with \`shiren corpus\``);
  }
  const poems: (TitledPoem & { title: string; form: CorpusForm })[] = [];
  for (const form of forms) {
    const file = join(dir, split, `${form}.txt`);
    const titleFile = join(dir, split, `${form}.titles.txt`);
    if (!existsSync(file)) throw new CorpusError(`${file} is missing; rebuild the corpus with the forms ${forms.join(', ')}`);
    const titles = existsSync(titleFile) ? readFileSync(titleFile, 'utf8').split('\n') : [];
    readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
      if (text) poems.push({ text, title: titles[i] ?? '', form });
    });
  }
  return poems;
}
