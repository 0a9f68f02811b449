/** `shiren corpus`: builds the Tang corpus (src/data/corpus.ts; with `ci` the Song 词 too; the 对联 of the 律诗) and prints its stats. */
import type { CorpusForm } from '../data/clean.ts';
import { buildCorpus } from '../data/corpus.ts';
import { SPLITS } from '../data/split.ts';
import { ensureOutputDir } from '../util/fs.ts';
import { progressBar, type Progress } from './progress.ts';

export interface CorpusOptions {
  out: string;
  forms: CorpusForm[];
  includeFree: boolean;
  /** duilian: also the couplets of the Song 律诗 */
  song?: boolean;
  /** train on the Song poems too (train split only) */
  songPoems?: boolean;
  sample?: number;
}

export async function runCorpus(opts: CorpusOptions): Promise<void> {
  ensureOutputDir(opts.out); // before reading 50,000 poems: a bad --out fails at once
  const forms = [...new Set<CorpusForm>(opts.includeFree ? [...opts.forms, 'free'] : opts.forms)];
  let bar: Progress | undefined;
  const started = Date.now();
  const stats = buildCorpus({
    out: opts.out,
    forms,
    readCi: forms.includes('ci') ? (await import('../poetry/songci.ts')).addSongCi : undefined,
    song: opts.song,
    songPoems: opts.songPoems,
    sample: opts.sample,
    onProgress: (done, total) => {
      bar ??= progressBar(total, 'corpus |{bar}| {value}/{total} files | {percentage}% | ETA {eta_formatted}');
      bar.update(done);
    },
  });
  bar?.stop();
  const rows = [['form', ...SPLITS, 'all'], ...forms.map((f) => [f, ...SPLITS.map((s) => String(stats.counts[s][f])), String(stats.forms[f])])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const table = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
  const excluded = Object.entries(stats.excluded).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`${stats.poems} Tang poems read in ${((Date.now() - started) / 1000).toFixed(1)} s; excluded: ${excluded}`);
  console.log(table);
  if (stats.ci) {
    const c = stats.ci;
    const top = Object.entries(c.tunes).slice(0, 8).map(([t, v]) => `${t} ${v.count}`).join(', ');
    console.log(`词: ${c.poems} read; tune in the 谱 ${c.knownTune} (fit a format ${c.fit}, fit none ${c.fitNone}), unknown tune ${c.unknownTune}; with a 片 break ${c.withStanzaBreak}; ${Object.keys(c.tunes).length} tunes: ${top}, …`);
  }
  if (stats.songPoems) {
    const added = Object.entries(stats.songPoems.train).map(([f, n]) => `${f} ${n}`).join(', ');
    console.log(`Song poems: ${stats.songPoems.poems} read; added to train: ${added || 'none'} (valid and test stay Tang)`);
  }
  if (forms.includes('duilian')) {
    const from = Object.entries(stats.duilian.sources).map(([source, c]) => `${source} ${c.train + c.valid + c.test} from ${c.poems} 律诗 (${c.repeats} repeats dropped)`);
    console.log(`duilian pairs (颔联 and 颈联): ${from.join('; ')}`);
  }
  console.log(`written to ${opts.out}/ (${SPLITS.map((s) => `${s} ${stats.splits[s]}`).join(', ')} poems${opts.sample ? `, at most ${opts.sample} per split and form` : ''}) and ${opts.out}/stats.json`);
}
