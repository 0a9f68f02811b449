/**
 * The page's 词 (issue 19): the tune picker, a 词's request, and a written or pasted 词 shown with
 * each 片 as a paragraph and its tune's pattern under its characters. What is written and checked is
 * the domain's (the worker or the API); the tunes and their formats come from the worker too
 * (ci-data.ts, through main.ts's CiSource), so the page itself never loads the 词谱's table (1.6 MB)
 * unless the worker failed. This module only searches, asks and draws.
 *
 * - Picker: every tune of the 谱, those with the most Song 词 first (src/poetry/songci-counts.ts,
 *   what a model trained with the form `ci` learned each tune from) with their count; the search
 *   finds a usual name, an alias (十六字令 → 归字谣) or a traditional name by its start, then
 *   anywhere in it. The formats (体) of the picked tune, when it has several, are a choice. The
 *   optional title is shown after the tune (浣溪沙·春日); the model reads the tune only (a 词's
 *   title is its tune: docs/ci.md).
 * - Pattern: under each character the 谱's slot, ○ 平 ● 仄 ◐ 中 (either), followed by 韵 or 叶 where
 *   the 谱 rhymes (the 谱's own words); with 标平仄 the character's own tone (词林正韵) as well.
 *
 * Pure helpers (searchTunes, lineGroups, ciTextLines) are tested in Node (test/web-ci.test.ts).
 * Hooks: #cipai-search, #cipai (a listbox, option value = the usual name), #ci-variant, #ci-title;
 * `.ci-body .stanza` (one per 片) holding `.line` rows; `.pat` under each character (data-tone
 * 平 仄 中, data-rhyme 韵 叶), `.ci-note`.
 */
import { PUNCTUATION } from '../../src/data/clean.ts';
import type { CiCheckResult } from '../../src/poetry/ci-check.ts';
import type { GenerateRequest } from '../../src/domain/requests.ts';
import type { Poem } from '../../src/domain/write.ts';
import type { FormatView, TuneEntry } from './ci-data.ts';
import { MARK_SHAPE, MARK_WORD, el, faultList, poemLines } from './views.ts';

export type { FormatView, TuneEntry };

/** Where the tune data comes from (main.ts: the worker, or ci-data.ts loaded on the page). */
export interface CiSource {
  tunes(): Promise<TuneEntry[]>;
  formats(name: string): Promise<FormatView[]>;
}

export interface TuneMatch {
  entry: TuneEntry;
  /** The other name the query found, when it was not the usual one. */
  via?: string;
}

/**
 * The tunes a query finds, best first: a name equal to it, then one starting with it, then one
 * holding it (each in the list's order); `《》` and spaces around it are ignored. An empty query
 * finds every tune.
 */
export function searchTunes(query: string, list: readonly TuneEntry[]): TuneMatch[] {
  const q = query.trim().replace(/^《(.*)》$/u, '$1').trim();
  if (!q) return list.map((entry) => ({ entry }));
  const found: { match: TuneMatch; rank: number; i: number }[] = [];
  list.forEach((entry, i) => {
    let best: { rank: number; name: string } | undefined;
    for (const name of [entry.name, ...entry.others]) {
      const rank = name === q ? 0 : name.startsWith(q) ? 1 : name.includes(q) ? 2 : 3;
      if (rank < 3 && (!best || rank < best.rank)) best = { rank, name };
    }
    if (best) found.push({ match: { entry, ...(best.name !== entry.name && { via: best.name }) }, rank: best.rank, i });
  });
  return found.sort((a, b) => a.rank - b.rank || a.i - b.i).map((f) => f.match);
}

/** A listbox line: name, the other name found, the Song 词 and formats. */
export function matchLabel({ entry, via }: TuneMatch): string {
  return `${entry.name}${via ? ` (${via})` : ''} · ${entry.count ? `${entry.count} 首` : '—'} · ${entry.formats} 体`;
}

/** A format's line in the variant choice: number, book, characters, 片. */
export function formatChoice(f: FormatView): string {
  return `${f.variant}. ${f.label} · ${f.slots.length}字 ${f.stanzas.join('+')}`;
}

/**
 * How many lines each 片 takes, given each line's character count and each 片's: a 片 closes at the
 * line where its characters are reached (a line running past a 片 end stays in that 片).
 */
export function lineGroups(lineChars: readonly number[], stanzas: readonly number[]): number[] {
  const groups: number[] = [];
  let chars = 0, end = 0, lines = 0;
  for (const n of lineChars) {
    if (groups.length < stanzas.length && lines === 0) end += stanzas[groups.length]!;
    chars += n;
    lines++;
    if (chars >= end && groups.length < stanzas.length - 1) {
      groups.push(lines);
      lines = 0;
    }
  }
  if (lines) groups.push(lines);
  return groups;
}

const isHan = (ch: string) => /\p{Script=Han}/u.test(ch);

/**
 * The lines of a checked 词 for display: its characters cut as the checker cut them (`tones`, one
 * string per line), each line followed by the mark after it in the text. Characters the checker did
 * not read (a first line `词牌：浣溪沙`) are the first ones, and are left out.
 */
export function ciTextLines(text: string, tones: readonly string[]): string[] {
  const chars = [...text];
  let skip = chars.filter(isHan).length - tones.reduce((n, t) => n + [...t].length, 0);
  let i = 0;
  return tones.map((t) => {
    let line = '';
    for (let need = [...t].length; i < chars.length && need > 0; i++) {
      if (!isHan(chars[i]!)) continue;
      if (skip > 0) skip--;
      else {
        line += chars[i];
        need--;
      }
    }
    if (i < chars.length && PUNCTUATION.includes(chars[i]!)) line += chars[i++];
    return line;
  });
}

// ---- the page (DOM from here on; nothing runs until main.ts calls in) ----

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let source: CiSource | undefined;
let tunes: TuneEntry[] = [];
const formatCache = new Map<string, Promise<FormatView[]>>();

/** The formats of a tune, asked once per name. */
export function formatsOf(name: string): Promise<FormatView[]> {
  if (!source) throw new Error('the tune picker is not ready');
  let formats = formatCache.get(name);
  if (!formats) {
    formats = source.formats(name);
    formatCache.set(name, formats);
    formats.catch(() => formatCache.delete(name));
  }
  return formats;
}

/** The variant choice for the listed tune: hidden when it has one format. */
async function showVariants(name: string): Promise<void> {
  const select = $<HTMLSelectElement>('ci-variant');
  const formats = name ? await formatsOf(name).catch(() => []) : [];
  if ($<HTMLSelectElement>('cipai').value !== name) return; // another tune was picked meanwhile
  select.replaceChildren(...formats.map((f) => new Option(formatChoice(f), String(f.variant))));
  select.closest('label')!.hidden = formats.length < 2;
}

/** Fills the listbox with the tunes the search finds (the first chosen) and its variants. */
function refill(): Promise<void> {
  const list = $<HTMLSelectElement>('cipai');
  const matches = searchTunes($<HTMLInputElement>('cipai-search').value, tunes);
  list.replaceChildren(...matches.map((m) => new Option(matchLabel(m), m.entry.name)));
  list.selectedIndex = matches.length ? 0 : -1;
  return showVariants(list.value);
}

let ready: Promise<void> | undefined;
/** Wires the picker once (main.ts calls it when the form 词 is first picked); resolves when it is filled. */
export function initCiPicker(from: CiSource): Promise<void> {
  return (ready ??= (async () => {
    source = from;
    tunes = await from.tunes();
    $<HTMLInputElement>('cipai-search').addEventListener('input', () => void refill());
    $<HTMLSelectElement>('cipai').addEventListener('change', (e) => void showVariants((e.target as HTMLSelectElement).value));
    await refill();
  })().catch((error: unknown) => {
    ready = undefined; // asked again next time (no listener was added)
    throw error;
  }));
}

/** The format of a written 词 (undefined when the tune data is not at hand). */
export function writtenFormat(poem: Poem): Promise<FormatView | undefined> {
  return formatOfResult(poem.cipai!, poem.variant).catch(() => undefined);
}

/**
 * The request of a 词 from the page's request: the tune picked (or, when the search finds none, the
 * text typed, so the domain's error names near tunes) and its format; a poem's title and acrostic
 * do not apply (the title field of 词 is shown, not read).
 */
export function ciRequest(base: GenerateRequest): GenerateRequest {
  const { title: _title, acrostic: _acrostic, ...rest } = base;
  const cipai = $<HTMLSelectElement>('cipai').value || $<HTMLInputElement>('cipai-search').value.trim();
  const variant = Number($<HTMLSelectElement>('ci-variant').value);
  return { ...rest, form: 'ci', cipai, ...(variant > 1 && { variant }) };
}

/** The title of a written 词: its tune (also where the model read none), then the title typed (浣溪沙·春日). */
export function ciTitle(poem: Poem): string {
  const own = $<HTMLInputElement>('ci-title').value.trim();
  const tune = poem.cipai ?? poem.title;
  return own ? `${tune}·${own}` : tune;
}

/**
 * Lines of a 词 with their tones and faults (views.ts poemLines), the 谱's slot under each character
 * and the lines grouped by 片 (`.stanza`). `format` undefined: no format of the tune has its length.
 */
function ciLines(lines: readonly string[], check: CiCheckResult | undefined, format: FormatView | undefined): HTMLElement {
  const box = poemLines(lines, check);
  box.classList.add('ci-body');
  if (!format) return box;
  box.querySelectorAll<HTMLElement>('.ch[data-pos]').forEach((cell, i) => {
    const slot = format.slots[i];
    if (!slot) return;
    const rhyme = slot.rhyme ?? '';
    const pat = el('span', 'pat', MARK_SHAPE[slot.tone] ?? slot.tone);
    pat.dataset.tone = slot.tone;
    if (rhyme) {
      // 韵 / 叶 beside the mark, outside the cell's width, so that the mark stays under its character
      pat.append(el('span', 'rh', rhyme));
      pat.dataset.rhyme = rhyme;
      pat.classList.add('rhyme');
    }
    const group = slot.group ? `, rhyme group ${slot.group}` : '';
    pat.title = `谱: ${MARK_WORD[slot.tone]}${rhyme ? ` · ${rhyme} ${rhyme === '韵' ? 'rhymes' : 'rhymes in the other tone'}${group}` : ''}`;
    cell.append(pat);
  });
  const rows = [...box.children] as HTMLElement[];
  const counts = rows.map((r) => r.querySelectorAll('.ch[data-pos]').length);
  let at = 0;
  box.replaceChildren(...lineGroups(counts, format.stanzas).map((n) => {
    const stanza = el('div', 'stanza');
    stanza.append(...rows.slice(at, (at += n)));
    return stanza;
  }));
  return box;
}

/** The format a 词 was written or checked to, when it has one (its variant). */
async function formatOfResult(cipai: string, variant: number | null | undefined): Promise<FormatView | undefined> {
  return variant ? (await formatsOf(cipai))[variant - 1] : undefined;
}

/** What a written 词's reading of its tune says (plan-ci.ts tuneRead), when it is not a 词's. */
const TUNE_READ: Record<string, string> = {
  free: "the model was trained before 词: it read the tune as a poem's title and wrote to the pattern",
  none: 'the model reads no titles: it wrote to the pattern alone',
};

/** A written 词 (`format`: its format): its 片 with the pattern under them, and a note on how the model read the tune. */
export function ciPoemBody(poem: Poem, check: CiCheckResult | undefined, format: FormatView | undefined): HTMLElement[] {
  const body = ciLines(poem.lines, check, format);
  const note = TUNE_READ[poem.tuneRead ?? ''];
  return note ? [body, el('p', 'ci-note', note)] : [body];
}

/** A 词's verdict: its format, 片, the 部 of its rhymes, pass or faults. */
export function ciProsodyLine(check: CiCheckResult): string {
  const parts = [
    check.format ? `${check.cipai} ${check.format}` : check.cipai,
    check.stanzas ? `片 ${check.stanzas.join('+')}` : '',
    check.rhymeGroup ? `韵 ${check.rhymeGroup} (词林正韵)` : '',
    check.pass ? '合律 passes' : `${check.faults.length} fault${check.faults.length === 1 ? '' : 's'}`,
  ];
  return parts.filter(Boolean).join(' · ');
}

/** A pasted 词 checked against its tune: its 片 and pattern with the faults marked, the verdict, the faults. */
export async function ciCheckView(check: CiCheckResult): Promise<HTMLElement> {
  const box = el('div', 'checked ci');
  box.dataset.pass = String(check.pass);
  box.append(ciLines(ciTextLines(check.text, check.tones), check, await formatOfResult(check.cipai, check.variant)), el('p', 'verdict', ciProsodyLine(check)));
  if (check.faults.length) box.append(faultList(check.faults));
  return box;
}
