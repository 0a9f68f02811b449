/**
 * The Tang corpus (docs/design.md §1): read `chinese-poetry`'s quantangshi files (and its Song 词 for the
 * form `ci`: src/data/songci.ts), clean, classify, split by
 * the sha1 rule, and write `DIR/<split>/<form>.txt` (one poem per line), beside it
 * `DIR/<split>/<form>.titles.txt` (the poem's title on the same line number: bracketed notes and
 * series numbering removed, Han characters only, possibly empty; src/data/sequence.ts cleanTitle)
 * plus `DIR/stats.json`. Also the reader of such a folder, used by training, evaluation and
 * generation.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureOutputDir, writeFileAtomic } from '../util/fs.ts';
import { CORPUS_FORMS, cleanPoem, normalisePoem, removeAnnotations, toSimplified, type CorpusForm, type ExcludeReason } from './clean.ts';
import type { CiStats, addSongCi } from './songci.ts';
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
  /** counts[split][form] */
  counts: Record<Split, Record<CorpusForm, number>>;
  /** totals per form over all splits */
  forms: Record<CorpusForm, number>;
  /** written poems per split (over the forms written) */
  splits: Record<Split, number>;
  excluded: Record<ExcludeReason, number>;
  /** the most frequent characters that caused 'disallowed-character' exclusions */
  disallowedCharacters: Record<string, number>;
  formsWritten: CorpusForm[];
  /** the Song 词, when `ci` is written (src/data/songci.ts) */
  ci?: CiStats;
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

/** The poet.tang.*.json files of the source folder, in numeric order. */
export function tangFiles(dir: string): string[] {
  const num = (f: string) => Number(f.split('.')[2]);
  return readdirSync(dir)
    .filter((f) => /^poet\.tang\.\d+\.json$/.test(f))
    .sort((a, b) => num(a) - num(b))
    .map((f) => join(dir, f));
}

export interface BuildOptions {
  /** output folder */
  out: string;
  /** forms to write (stats always count all of them) */
  forms: readonly CorpusForm[];
  /** keep at most this many poems per split and form (the committed test fixture uses this) */
  sample?: number;
  /**
   * The 词 reader, needed when `forms` has 'ci': src/data/songci.ts `addSongCi`, passed in rather
   * than imported so that what imports this file (the CLI's start-up) does not load the 词谱.
   */
  readCi?: typeof addSongCi;
  /** called after each source file with (done, total) */
  onProgress?: (done: number, total: number) => void;
}

/** Builds the corpus; returns its stats (also written to `out/stats.json`). */
export function buildCorpus(opts: BuildOptions): CorpusStats {
  const source = findTangSource();
  const files = tangFiles(source);
  if (files.length === 0) throw new CorpusError(`no poet.tang.*.json files in ${source}`);
  const zeroForms = () => Object.fromEntries(CORPUS_FORMS.filter((f) => f !== 'ci' || opts.forms.includes('ci')).map((f) => [f, 0])) as Record<CorpusForm, number>;
  const stats: CorpusStats = {
    source: 'chinese-poetry/dist/quantangshi/poet.tang.*.json',
    poems: 0,
    counts: { train: zeroForms(), valid: zeroForms(), test: zeroForms() },
    forms: zeroForms(),
    splits: { train: 0, valid: 0, test: 0 },
    excluded: { empty: 0, 'disallowed-character': 0, 'no-final-punctuation': 0 },
    disallowedCharacters: {},
    formsWritten: [...opts.forms],
  };
  const lines: Record<Split, Record<CorpusForm, { text: string; title: string }[]>> = {
    train: {} as Record<CorpusForm, { text: string; title: string }[]>,
    valid: {} as Record<CorpusForm, { text: string; title: string }[]>,
    test: {} as Record<CorpusForm, { text: string; title: string }[]>,
  };
  for (const split of SPLITS) for (const form of opts.forms) lines[split][form] = [];
  const disallowed = new Map<string, number>();

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
      stats.counts[split][form]++;
      stats.forms[form]++;
      const bucket = lines[split][form];
      if (bucket && (opts.sample === undefined || bucket.length < opts.sample)) {
        bucket.push({ text, title: cleanTitle(removeAnnotations(toSimplified(poem.title ?? ''))) });
      }
    }
    opts.onProgress?.(i + 1, files.length);
  });
  if (opts.forms.includes('ci')) {
    if (!opts.readCi) throw new CorpusError("the form ci needs the 词 reader: buildCorpus({ …, readCi: addSongCi }) (src/data/songci.ts)");
    stats.ci = opts.readCi(stats, lines, splitOf, opts.sample);
  }

  stats.disallowedCharacters = Object.fromEntries([...disallowed.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30));
  for (const split of SPLITS) {
    ensureOutputDir(join(opts.out, split));
    for (const form of opts.forms) {
      const poems = lines[split][form];
      stats.splits[split] += poems.length;
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
export function readTitledSplit<F extends CorpusForm>(dir: string, split: Split, forms: readonly F[]): (Omit<TitledPoem, 'form'> & { title: string; form: F })[] {
  if (!existsSync(join(dir, 'stats.json'))) {
    throw new CorpusError(`${dir} is not a shiren corpus (no stats.json); build one with \`shiren corpus\``);
  }
  const poems: (Omit<TitledPoem, 'form'> & { title: string; form: F })[] = [];
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
