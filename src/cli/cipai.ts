/**
 * `shiren cipai [NAME] [--corpus DIR] [--json]` (docs/design.md §5): the tunes of the 词谱
 * (src/poetry/cipu.ts). Without a name, every tune: name, aliases, 单调/双调…, its formats' character
 * counts, and with --corpus the 词 of that tune in the corpus (its `stats.json`, built with
 * `--forms …,ci`), most frequent first. With a name, the tune's formats one by one: number (the
 * `--variant` of check), book, characters, 片, the pattern cut at its pauses with its marks, the rhyme
 * groups and the book's example.
 *
 * --json: without a name `{"tunes":[{"name","aliases","stanzas","formats","lengths","corpus"}]}`;
 * with one `{"name","aliases","traditional","stanzas","formats":[{"variant","book","bookVariant",
 * "chars","stanzas","pattern","lines","rhymeGroups":[{"tone","positions","xie"}],"example"}]}`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allTunes, findTune, formatLabel, punctuationAfter, type CiFormat, type CiTune } from '../poetry/cipu.ts';

export interface CipaiCommandOptions {
  name?: string;
  corpus?: string;
  json?: boolean;
}

/** The 词 per tune of a corpus's stats.json, or an error naming what is missing. */
function corpusCounts(dir: string): Record<string, { count: number; fit: number }> {
  const file = join(dir, 'stats.json');
  if (!existsSync(file)) throw new Error(`${dir} is not a shiren corpus (no stats.json); build one with \`shiren corpus --forms …,ci\``);
  const stats = JSON.parse(readFileSync(file, 'utf8')) as { ci?: { tunes: Record<string, { count: number; fit: number }> } };
  if (!stats.ci) throw new Error(`${dir} has no 词; build it with \`shiren corpus --forms …,ci\``);
  return stats.ci.tunes;
}

/** A format's pattern cut at its pauses, each piece followed by the mark the 谱 gives (，。 and ｜ between 片). */
export function patternText(f: CiFormat): string {
  return f.slots.map((s) => s.tone + (s.rhyme ? (s.rhyme.xie ? '(叶)' : '(韵)') : '') + punctuationAfter(s) + (s.stanzaEnd && s !== f.slots.at(-1) ? '｜' : '')).join('');
}

function formatJson(f: CiFormat) {
  return {
    variant: f.index + 1, book: f.book, bookVariant: f.variant, chars: f.slots.length, stanzas: f.stanzas, pattern: f.pattern, lines: f.lines,
    rhymeGroups: f.rhymeGroups.map((g) => ({ tone: g.tone, positions: g.positions, xie: g.xie })), example: f.example,
  };
}

function showTune(t: CiTune): string {
  const names = [...t.aliases, ...t.traditional.filter((n) => n !== t.name && !t.aliases.includes(n))];
  const out = [`${t.name}${names.length ? ` (${names.join(' ')})` : ''} · ${t.stanzaKind} · ${t.formats.length} format${t.formats.length === 1 ? '' : 's'}`];
  for (const f of t.formats) {
    out.push('', `${f.index + 1}. ${formatLabel(f)} · ${f.slots.length} characters · 片 ${f.stanzas.join('+')} · ${f.rhymeGroups.map((g) => `${g.tone}韵 ×${g.positions.length}${g.xie.length ? ` (叶 ${g.xie.length})` : ''}`).join(', ')}`);
    out.push(`   ${patternText(f)}`);
    out.push(`   例: ${f.example}`);
  }
  return out.join('\n');
}

export async function runCipai(opts: CipaiCommandOptions): Promise<void> {
  if (opts.name !== undefined) {
    const t = findTune(opts.name);
    if (opts.json) {
      process.stdout.write(JSON.stringify({ name: t.name, aliases: t.aliases, traditional: t.traditional, stanzas: t.stanzaKind, formats: t.formats.map(formatJson) }) + '\n');
    } else process.stdout.write(showTune(t) + '\n');
    return;
  }
  const counts = opts.corpus === undefined ? undefined : corpusCounts(opts.corpus);
  const rows = allTunes().map((t) => ({
    name: t.name, aliases: t.aliases, stanzas: t.stanzaKind, formats: t.formats.length,
    lengths: [...new Set(t.formats.map((f) => f.slots.length))].sort((a, b) => a - b),
    corpus: counts ? (counts[t.name]?.count ?? 0) : undefined,
  }));
  if (counts) rows.sort((a, b) => b.corpus! - a.corpus! || a.name.localeCompare(b.name));
  if (opts.json) {
    process.stdout.write(JSON.stringify({ tunes: rows }) + '\n');
    return;
  }
  const lines = rows.map((r) => `${counts ? `${String(r.corpus).padStart(5)}  ` : ''}${r.name}${r.aliases.length ? ` (${r.aliases.join(' ')})` : ''} · ${r.stanzas} · ${r.formats} format${r.formats === 1 ? '' : 's'} · ${r.lengths.length > 6 ? `${r.lengths[0]}–${r.lengths.at(-1)}` : r.lengths.join('/')} characters`);
  process.stdout.write(`${rows.length} tunes${counts ? ` (词 in ${opts.corpus})` : ''}\n${lines.join('\n')}\n`);
}
