/**
 * The 词谱 as the page's tune picker and pattern need it, from src/poetry/cipu.ts (a table of 1.6 MB)
 * and the Song 词 per tune (src/poetry/songci-counts.ts). The worker answers the page's `tunes` and
 * `formats` jobs with these (it holds the table already, for writing and checking); the page loads
 * this module itself only when the worker failed to start. Plain data out, no DOM.
 */
import { allTunes, findTune, formatCount, formatLabel, type CiTune } from '../../src/poetry/cipu.ts';
import { SONGCI_COUNTS } from '../../src/poetry/songci-counts.ts';

export interface TuneEntry {
  /** The usual name (what the domain and the corpus call the tune). */
  name: string;
  /** Every other name that finds it: aliases, then the traditional names. */
  others: string[];
  /** Song 词 of the tune in the corpus (0: none). */
  count: number;
  /** Its formats (体). */
  formats: number;
}

/** One format of a tune, as the page shows it. */
export interface FormatView {
  /** 1-based, the `variant` of a request. */
  variant: number;
  /** e.g. '钦定词谱 正体'. */
  label: string;
  /** Characters per 片. */
  stanzas: number[];
  /** Per character: 平 仄 中, and 韵 or 叶 where it rhymes, with its rhyme group (1-based) when the format has several. */
  slots: { tone: string; rhyme?: '韵' | '叶'; group?: number }[];
}

/** Every tune, the ones with the most Song 词 first, the rest in the 谱's order. */
export function tuneEntries(): TuneEntry[] {
  return allTunes()
    .map((t: CiTune, order) => ({
      order,
      entry: {
        name: t.name,
        others: [...new Set([...t.aliases, ...t.traditional])].filter((n) => n !== t.name),
        count: SONGCI_COUNTS[t.name] ?? 0,
        formats: formatCount(t),
      },
    }))
    .sort((a, b) => b.entry.count - a.entry.count || a.order - b.order)
    .map((x) => x.entry);
}

/** The formats of a tune (any of its names); an unknown name is the 谱's CipaiError, naming near ones. */
export function tuneFormats(name: string): FormatView[] {
  return findTune(name).formats.map((f) => ({
    variant: f.index + 1,
    label: formatLabel(f),
    stanzas: [...f.stanzas],
    slots: f.slots.map((s) => ({
      tone: s.tone,
      ...(s.rhyme && { rhyme: s.rhyme.xie ? '叶' as const : '韵' as const }),
      ...(s.rhyme && f.rhymeGroups.length > 1 && { group: s.rhyme.group + 1 }),
    })),
  }));
}
