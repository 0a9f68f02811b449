/**
 * The Tang corpus (docs/design.md §1): read `chinese-poetry`'s quantangshi files (and its Song 词 for the
 * form `ci`: src/poetry/songci.ts), clean, map variants to standard characters (src/data/standard.ts,
 * after OpenCC t → cn), classify, split by the sha1 rule, and write `DIR/<split>/<form>.txt` (one
 * poem per line), beside it
 * `DIR/<split>/<form>.titles.txt` (the poem's title on the same line number: bracketed notes and
 * series numbering removed, Han characters only, possibly empty; src/data/sequence.ts cleanTitle)
 * plus `DIR/stats.json`. The 律诗 also give the form `duilian` (their parallel couplets,
 * src/data/duilian.ts; `song: true` adds those of the Song 律诗). Also the reader of such a folder,
 * used by training, evaluation and generation.
 *
 * Reading a corpus folder trusts none of its files: each must be a regular file of at most
 * MAX_CORPUS_FILE_BYTES, checked before a byte is read (a FIFO, a device, a link to /dev/zero or a
 * folder is one line naming it, never a hang). Line ends (CRLF, CR) and a leading BOM are
 * normalised and the ends of a line trimmed; a poem line (or its title line) holding a control
 * character, no Han character at all, or anything else the cleaner would not have written (§1) is
 * dropped and counted by reason (`CorpusRead.dropped`), so that no such character becomes a
 * vocabulary symbol.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureOutputDir, fileKind, readRegularFile, writeFileAtomic } from '../util/fs.ts';
import { printable } from '../util/text.ts';
import { ALL_FORMS, STANZA_BREAK, cleanPoem, isAllowedChar, isHan, normalisePoem, removeAnnotations, toSimplified, type CorpusForm, type ExcludeReason, type Form } from './clean.ts';
import { DuilianPairs, corpusEntry, type DuilianStats } from './duilian.ts';
import { cleanTitle, type TitledPoem } from './sequence.ts';
import { standardOf, toStandard } from './standard.ts';

import { SPLITS, splitOf, type Split } from './split.ts';

export class CorpusError extends Error {
  override name = 'CorpusError';
}

/** The 词 figures of the corpus stats. */
export interface CiStats {
  source: string;
  /** 词 read */
  poems: number;
  excluded: Record<ExcludeReason, number>;
  /** clean 词 whose tune the 谱 has / has not */
  knownTune: number;
  unknownTune: number;
  /** clean 词 of a known tune with / without the character count of one of its formats */
  fit: number;
  fitNone: number;
  /** clean 词 written with a 片 break */
  withStanzaBreak: number;
  /** per title (tune): clean 词 and how many fit, most frequent first */
  tunes: Record<string, { count: number; fit: number }>;
}

/** The corpus lines being written, per split and form (buildCorpus's buckets, which the 词 reader fills). */
export type CorpusBuckets = Record<Split, Partial<Record<string, { text: string; title: string }[]>>>;

/**
 * The 词 reader (src/poetry/songci.ts `addSongCi`, which needs the 词谱, so it is passed in rather
 * than imported: data sits below poetry): counts the 词 into `stats`, appends them to `lines` (at
 * most `sample` per split) and returns the 词 figures.
 */
export type CiReader = (
  stats: { counts: Record<Split, Record<'ci', number>>; forms: Record<'ci', number> },
  lines: CorpusBuckets | undefined,
  splitOf: (id: string) => Split,
  sample?: number,
) => CiStats;


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
  /** characters of the clean poems changed to their standard form (src/data/standard.ts): how many, how many distinct, the most frequent ('疎→疏': count) */
  standardised: { characters: number; distinct: number; top: Record<string, number> };
  formsWritten: CorpusForm[];
  /** the Song 词, when `ci` is written (src/poetry/songci.ts) */
  ci?: CiStats;
  /** where the duilian pairs come from (src/data/duilian.ts) */
  duilian: DuilianStats;
  /** with `songPoems`: the Song poems read, and those added to the train split per form */
  songPoems?: { poems: number; train: Partial<Record<CorpusForm, number>> };
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
  /**
   * also train on the Song poems (poet.song.*.json) of the forms written (not ci, not duilian):
   * added to the TRAIN split only, whatever their id's split, so that valid and test stay the
   * Tang poems they are (issue 21: do the Song poems help the Tang test perplexity?)
   */
  songPoems?: boolean;
  /** keep at most this many poems per split and form (the committed test fixture uses this) */
  sample?: number;
  /**
   * The 词 reader, needed when `forms` has 'ci': src/poetry/songci.ts `addSongCi`, passed in rather
   * than imported so that what imports this file (the CLI's start-up) does not load the 词谱.
   */
  readCi?: CiReader;
  /** called after each source file with (done, total) */
  onProgress?: (done: number, total: number) => void;
}

/** Builds the corpus; returns its stats (also written to `out/stats.json`). */
export function buildCorpus(opts: BuildOptions): CorpusStats {
  const source = findTangSource();
  const files = poetFiles(source);
  if (files.length === 0) throw new CorpusError(`no poet.tang.*.json files in ${source}`);
  const songFiles = opts.song || opts.songPoems ? poetFiles(source, 'song') : [];
  if ((opts.song || opts.songPoems) && songFiles.length === 0) throw new CorpusError(`no poet.song.*.json files in ${source}`);
  // ci is counted only when written (its reader fills the counts); every other form always
  const zeroForms = () => Object.fromEntries(ALL_FORMS.filter((f) => f !== 'ci' || opts.forms.includes('ci')).map((f) => [f, 0])) as Record<CorpusForm, number>;
  const stats: CorpusStats = {
    source: 'chinese-poetry/dist/quantangshi/poet.tang.*.json',
    poems: 0,
    counts: { train: zeroForms(), valid: zeroForms(), test: zeroForms() },
    forms: zeroForms(),
    splits: { train: 0, valid: 0, test: 0 },
    excluded: { empty: 0, 'disallowed-character': 0, 'no-final-punctuation': 0 },
    disallowedCharacters: {},
    standardised: { characters: 0, distinct: 0, top: {} },
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
  const standardised = new Map<string, number>();
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
      const { text, form } = normalisePoem(toStandard(cleaned.text, standardised));
      const split = splitOf(poem.id);
      pairs.addPoem(text, form, split, 'tang');
      stats.counts[split][form]++;
      stats.forms[form]++;
      const bucket = lines[split][form];
      if (bucket && (opts.sample === undefined || bucket.length < opts.sample)) {
        bucket.push({ text, title: cleanTitle(removeAnnotations(toStandard(toSimplified(poem.title ?? '')))) });
      }
    }
    opts.onProgress?.(i + 1, files.length + songFiles.length);
  });
  if (opts.forms.includes('ci')) {
    if (!opts.readCi) throw new CorpusError("the form ci needs the 词 reader: buildCorpus({ …, readCi: addSongCi }) (src/poetry/songci.ts)");
    stats.ci = opts.readCi(stats, lines, splitOf, opts.sample);
  }
  const songPoems: CorpusStats['songPoems'] = opts.songPoems ? { poems: 0, train: {} } : undefined;
  if (songPoems) stats.songPoems = songPoems;
  songFiles.forEach((file, i) => {
    for (const poem of JSON.parse(readFileSync(file, 'utf8')) as RawPoem[]) {
      const cleaned = cleanPoem(toSimplified(poem.paragraphs.join('')));
      if (songPoems) songPoems.poems++;
      if (cleaned.ok) {
        const { text, form } = normalisePoem(toStandard(cleaned.text));
        if (opts.song) pairs.addPoem(text, form, splitOf(poem.id), 'song');
        const bucket = songPoems && lines.train[form];
        if (bucket && (opts.sample === undefined || bucket.length < opts.sample)) {
          bucket.push({ text, title: cleanTitle(removeAnnotations(toStandard(toSimplified(poem.title ?? '')))) });
          songPoems.train[form] = (songPoems.train[form] ?? 0) + 1;
        }
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
  const mapped = [...standardised].sort((a, b) => b[1] - a[1]);
  stats.standardised = { characters: mapped.reduce((n, [, c]) => n + c, 0), distinct: mapped.length, top: Object.fromEntries(mapped.slice(0, 30).map(([ch, n]) => [`${ch}→${standardOf(ch)}`, n])) };
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

/** Corpus files larger than this are refused before reading (the full corpus's largest is ~10 MB). */
export const MAX_CORPUS_FILE_BYTES = 256 * 2 ** 20;

/** Why a line of a corpus file was dropped on reading. */
export type DropReason = 'control-character' | 'no-han' | 'disallowed-character';

/** The poems of a split, and the lines dropped on the way by reason. */
export interface CorpusRead<F extends CorpusForm = Form> {
  poems: (Omit<TitledPoem, 'form'> & { title: string; form: F })[];
  dropped: Record<DropReason, number>;
}

/** Control and format characters (C0, DEL, C1, zero-width and bidi marks, a stray BOM). */
const CONTROL = /[\p{Cc}\p{Cf}]/u;

/** Why a poem line (title: a title line, which may be empty) cannot be read as one, or null. */
function lineFault(line: string, title: boolean, form: CorpusForm): DropReason | null {
  if (CONTROL.test(line)) return 'control-character';
  if (title && line === '') return null;
  const chars = [...line];
  if (!chars.some(isHan)) return 'no-han';
  // a 词 marks its 片 breaks (src/poetry/songci.ts)
  if (!chars.every((ch) => isAllowedChar(ch) || (form === 'ci' && !title && ch === STANZA_BREAK))) return 'disallowed-character';
  return null;
}

/** The lines of a corpus file: BOM dropped, CRLF and CR as LF, the ends of each line trimmed. */
function corpusLines(file: string): string[] {
  const kind = fileKind(file);
  if (kind === 'missing') return [];
  if (kind === 'folder') throw new CorpusError(`${printable(file, 200)} is a folder, not a corpus file`);
  const text = readRegularFile(file, MAX_CORPUS_FILE_BYTES, 'corpus file').toString('utf8');
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).map((line) => line.trim());
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
  return readCorpusSplit(dir, split, forms).poems;
}

/** readTitledSplit, with the count of the lines it dropped (see the contract above). */
export function readCorpusSplit<F extends CorpusForm>(dir: string, split: Split, forms: readonly F[]): CorpusRead<F> {
  const shown = printable(dir, 200);
  const folder = fileKind(dir);
  if (folder === 'missing') throw new CorpusError(`${shown}: no such corpus folder; build one with \`shiren corpus\``);
  if (folder !== 'folder') throw new CorpusError(`${shown} is not a folder; give the folder \`shiren corpus\` wrote`);
  if (fileKind(join(dir, 'stats.json')) !== 'file') {
    throw new CorpusError(`${shown} is not a shiren corpus (no stats.json); build one with \`shiren corpus\``);
  }
  const read: CorpusRead<F> = { poems: [], dropped: { 'control-character': 0, 'no-han': 0, 'disallowed-character': 0 } };
  for (const form of forms) {
    const file = join(dir, split, `${form}.txt`);
    if (fileKind(file) === 'missing') throw new CorpusError(`${printable(file, 200)} is missing; rebuild the corpus with the forms ${forms.join(', ')}`);
    const titles = corpusLines(join(dir, split, `${form}.titles.txt`));
    corpusLines(file).forEach((text, i) => {
      if (!text) return;
      const title = titles[i] ?? '';
      const fault = lineFault(text, false, form) ?? lineFault(title, true, form);
      if (fault) read.dropped[fault]++;
      else read.poems.push({ text, title, form });
    });
  }
  return read;
}

/** `12 lines dropped (3 control-character, 9 no-han)`, or '' when none was. */
export function describeDropped(dropped: Record<DropReason, number>): string {
  const parts = Object.entries(dropped).filter(([, n]) => n > 0);
  const total = parts.reduce((a, [, n]) => a + n, 0);
  return total ? `${total} line${total > 1 ? 's' : ''} dropped (${parts.map(([why, n]) => `${n} ${why}`).join(', ')})` : '';
}
