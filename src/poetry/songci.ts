/**
 * The Song 词 of `chinese-poetry` (`dist/songci/ci.song.*.json`: 21,053 词, fields `author`,
 * `paragraphs`, `rhythmic` = the tune) read for the corpus (docs/design.md §1): form `ci`, the tune as
 * the title, the same cleaning as the poems (src/data/clean.ts).
 *
 * - Id (for the split rule of corpus.ts): `songci|rhythmic|author|text` — the source has no ids; the
 *   text in it sends a 词 printed twice to one split.
 * - Tune: `rhythmic`, or the first of its parts `A・B` (望江南・忆江南: a name and an alias) that the
 *   词谱 knows; the title is then the tune's usual name in the 谱 (百字令 → 念奴娇), so that a model
 *   conditioned on it learns one name per tune; an unknown tune keeps its own name (失调名 too).
 * - Fit: the 词's character count is that of one of its tune's formats.
 * - 片: the text carries STANZA_BREAK ('｜') after the closing mark of each 片 but the last: where the
 *   词 fits, at the 片 ends of its best format (src/poetry/ci-check.ts); where it does not, at a
 *   sentence end (。？！) that falls where some format of its tune ends a 片 (a 词 missing a character
 *   in its second 片 keeps its break); else it has none.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { STANZA_BREAK, cleanPoem, isHan, removeAnnotations, toSimplified, type ExcludeReason } from '../data/clean.ts';
import { toStandard } from '../data/standard.ts';
import type { CiStats, CorpusBuckets } from '../data/corpus.ts';
import type { Split } from '../data/split.ts';
import { lookupTune, type CiTune } from './cipu.ts';
import { checkCi } from './ci-check.ts';

export interface SongCi {
  id: string;
  /** The cleaned text with its 片 breaks, or why it is excluded. */
  clean: { ok: true; text: string } | { ok: false; reason: ExcludeReason; detail: string };
  /** The title: the tune's usual name in the 谱, or the source's tune name cleaned. */
  title: string;
  /** Whether the 谱 has the tune. */
  known: boolean;
  /** Whether the character count is one of the tune's formats'. */
  fits: boolean;
}

interface RawCi {
  author?: string;
  paragraphs: string[];
  rhythmic?: string;
}

/** Locates the songci folder of the `chinese-poetry` package, or throws with how to get it. */
export function findSongciSource(): string {
  let pkg: string;
  try {
    pkg = dirname(createRequire(import.meta.url).resolve('chinese-poetry/package.json'));
  } catch {
    throw new Error("the npm package 'chinese-poetry' (a dev dependency) is not installed; run `npm install chinese-poetry` in the shiren folder");
  }
  const dir = join(pkg, 'dist', 'songci');
  if (!existsSync(dir)) throw new Error(`chinese-poetry is installed but has no ${dir}`);
  return dir;
}

/** The ci.song.*.json files (ci.song.0 … ci.song.21000, then ci.song.2019y: three 词 added later), in that order. */
export function songciFiles(dir: string): string[] {
  const key = (f: string) => { const n = Number(f.split('.')[2]); return Number.isNaN(n) ? Infinity : n; };
  return readdirSync(dir).filter((f) => /^ci\.song\.[0-9a-z]+\.json$/.test(f)).sort((a, b) => key(a) - key(b) || a.localeCompare(b)).map((f) => join(dir, f));
}

/** The tune of a `rhythmic` value and the title it gives (see the file comment). */
export function tuneOfRhythmic(rhythmic: string): { tune?: CiTune; title: string } {
  const simplified = toSimplified(removeAnnotations(rhythmic));
  for (const part of [simplified, ...simplified.split(/[・·]/u)]) {
    const tune = lookupTune(part);
    if (tune) return { tune, title: tune.name };
  }
  return { title: [...(simplified.split(/[・·]/u)[0] ?? '')].filter(isHan).join('') };
}

/** Character counts at which the 片 of a format end (without the last). */
function stanzaEnds(stanzas: readonly number[]): number[] {
  let at = 0;
  return stanzas.slice(0, -1).map((n) => (at += n));
}

/** The text with STANZA_BREAK after the closing mark that follows each of the given character counts. */
function markStanzas(text: string, ends: readonly number[]): string {
  if (ends.length === 0) return text;
  let out = '';
  let han = 0;
  let pending = false;
  for (const ch of text) {
    if (pending && isHan(ch)) {
      out += STANZA_BREAK;
      pending = false;
    }
    out += ch;
    if (isHan(ch) && ends.includes(++han)) pending = true;
  }
  return out;
}

/** Where a 词 breaks into 片 (see the file comment): character counts, [] for none. */
export function stanzaBreaks(text: string, tune: CiTune): number[] {
  const n = [...text].filter(isHan).length;
  const fitting = tune.formats.filter((f) => f.slots.length === n);
  if (fitting.length) {
    const splits = new Set(fitting.map((f) => f.stanzas.join()));
    if (splits.size === 1) return stanzaEnds(fitting[0]!.stanzas);
    const r = checkCi(text, { cipai: tune.name });
    return r.stanzas ? stanzaEnds(r.stanzas) : [];
  }
  // fits no format: a sentence end where some format ends a 片
  const sentenceEnds = new Set<number>();
  let han = 0;
  for (const ch of text) {
    if (isHan(ch)) han++;
    else if ('。？！'.includes(ch)) sentenceEnds.add(han);
  }
  for (const f of tune.formats) {
    const ends = stanzaEnds(f.stanzas);
    if (ends.length && ends.every((e) => sentenceEnds.has(e))) return ends;
  }
  return [];
}

/** Reads every 词 of the source, calling `onProgress(done, total)` after each file. */
export function readSongCi(onProgress?: (done: number, total: number) => void): SongCi[] {
  const files = songciFiles(findSongciSource());
  if (files.length === 0) throw new Error('no ci.song.*.json files in chinese-poetry/dist/songci');
  const out: SongCi[] = [];
  files.forEach((file, i) => {
    for (const ci of JSON.parse(readFileSync(file, 'utf8')) as RawCi[]) {
      const raw = ci.paragraphs.join('');
      const id = createHash('sha1').update(`songci|${ci.rhythmic ?? ''}|${ci.author ?? ''}|${raw}`, 'utf8').digest('hex');
      const { tune, title } = tuneOfRhythmic(ci.rhythmic ?? '');
      const cleaned = cleanPoem(toStandard(toSimplified(raw))); // standard characters, as the Tang poems (src/data/standard.ts)
      if (!cleaned.ok) {
        out.push({ id, clean: cleaned, title, known: tune !== undefined, fits: false });
        continue;
      }
      const n = [...cleaned.text].filter(isHan).length;
      const fits = tune !== undefined && tune.formats.some((f) => f.slots.length === n);
      const text = tune ? markStanzas(cleaned.text, stanzaBreaks(cleaned.text, tune)) : cleaned.text;
      out.push({ id, clean: { ok: true, text }, title, known: tune !== undefined, fits });
    }
    onProgress?.(i + 1, files.length);
  });
  return out;
}


/**
 * Reads the 词 into the corpus being built (src/data/corpus.ts): counts them in `stats.counts` /
 * `stats.forms` under 'ci', appends them to `lines[split].ci` (at most `sample` per split) and
 * returns the 词 figures.
 */
export function addSongCi(
  stats: { counts: Record<Split, Record<'ci', number>>; forms: Record<'ci', number> },
  lines: CorpusBuckets | undefined,
  splitOf: (id: string) => Split,
  sample?: number,
): CiStats {
  const ci: CiStats = {
    source: 'chinese-poetry/dist/songci/ci.song.*.json', poems: 0,
    excluded: { empty: 0, 'disallowed-character': 0, 'no-final-punctuation': 0 },
    knownTune: 0, unknownTune: 0, fit: 0, fitNone: 0, withStanzaBreak: 0, tunes: {},
  };
  const tunes = new Map<string, { count: number; fit: number }>();
  for (const c of readSongCi()) {
    ci.poems++;
    if (!c.clean.ok) {
      ci.excluded[c.clean.reason]++;
      continue;
    }
    const split = splitOf(c.id);
    stats.counts[split].ci++;
    stats.forms.ci++;
    if (c.known) ci.knownTune++;
    else ci.unknownTune++;
    if (c.known) c.fits ? ci.fit++ : ci.fitNone++;
    if (c.clean.text.includes(STANZA_BREAK)) ci.withStanzaBreak++;
    const t = tunes.get(c.title) ?? { count: 0, fit: 0 };
    t.count++;
    if (c.fits) t.fit++;
    tunes.set(c.title, t);
    const bucket = lines?.[split].ci;
    if (bucket && (sample === undefined || bucket.length < sample)) bucket.push({ text: c.clean.text, title: c.title });
  }
  ci.tunes = Object.fromEntries([...tunes].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0])));
  return ci;
}
