/**
 * Builds src/poetry/cipu-table.ts, the 词谱 as a module (so that the CLI, the library and the page
 * load it without a file read or a JSON import), from assets/cipu/cipu.json (couyun, MIT; see
 * assets/cipu/README.md for the source and every field):
 *   node --import tsx tools/build-cipu-table.ts
 *
 * Row shape (the fields of cipu.json, compacted; src/poetry/cipu.ts parses them):
 *   [id, names '|'-joined, traditional names '|'-joined, stanzas, rhymeKinds '|'-joined,
 *    formats: [book 0 钦定词谱 | 1 唐宋词格律, variant, lines '|'-joined, rhymeGroups as
 *    'key:p,p,…;key:…' (a negative p is a 叶), example][]]
 * `pattern`, `rhymes` and `chars` are dropped: the parser derives them from `lines` and
 * `rhymeGroups`. The lines are written normalised, so that each 平 仄 中 in them is one character:
 * - couyun sometimes writes a rhyme's tone before its mark (荷叶杯 '仄仄仄平平仄仄韵' is six
 *   characters and a 仄 rhyme; 换仄韵 / 换平韵): such a letter is dropped, chosen as the letters just
 *   before 韵 / 叶 whose removal leaves exactly `pattern` (one choice fits in all but one format);
 * - 换 stays as a mark ('换韵'); refrain text inside a line (竹枝, 女儿; 雨中花令's piece names) and
 *   full-width spaces are dropped;
 * - where no choice gives `pattern` (4 formats whose lines lack characters: 贺圣朝 9, 雨中花令 11,
 *   水龙吟 24, 瑞鹤仙 15), the lines are rebuilt from `pattern`, cut after each rhyme (韵, or 叶
 *   for a negative position); their 句 and 读 are lost.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Entry {
  id: number;
  names: string[];
  namesTrad: string[];
  stanzas: string;
  chars: number;
  rhymeKinds: string[];
  formats: { book: string; variant: number; pattern: string; lines: string[]; rhymes: number[]; rhymeGroups: Record<string, number[]>; example: string }[];
}

const BOOKS = ['钦定词谱', '唐宋词格律'];
const MARKS = '句读韵叶叠重';

type Token = { kind: 'tone'; c: string; beforeRhyme: boolean } | { kind: 'mark'; c: string } | { kind: 'end' };

function tokens(lines: readonly string[]): Token[] {
  const out: Token[] = [];
  for (const line of lines) {
    const cs = [...line];
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i]!;
      if (c === '换') {
        out.push({ kind: 'mark', c });
        if (cs[i + 1] === '平' || cs[i + 1] === '仄') i++;
      } else if ('平仄中'.includes(c)) out.push({ kind: 'tone', c, beforeRhyme: cs[i + 1] === '韵' || cs[i + 1] === '叶' });
      else if (MARKS.includes(c)) out.push({ kind: 'mark', c });
    }
    out.push({ kind: 'end' });
  }
  return out;
}

function render(toks: readonly Token[], dropped: ReadonlySet<number>): string[] {
  const lines: string[] = [];
  let cur = '';
  toks.forEach((t, k) => {
    if (t.kind === 'end') {
      lines.push(cur);
      cur = '';
    } else if (t.kind === 'mark') cur += t.c;
    else if (!dropped.has(k)) cur += t.c;
  });
  return lines.filter(Boolean);
}

function* choose(items: readonly number[], n: number, from = 0): Generator<number[]> {
  if (n === 0) yield [];
  else for (let i = from; i <= items.length - n; i++) for (const rest of choose(items, n - 1, i + 1)) yield [items[i]!, ...rest];
}

let rebuilt = 0, trimmed = 0;
/** The format's lines normalised (see the file comment). */
function normalise(f: Entry['formats'][number]): string[] {
  const toks = tokens(f.lines);
  const tones = toks.flatMap((t, k) => (t.kind === 'tone' ? [k] : []));
  const extra = tones.length - [...f.pattern].length;
  const strip = (lines: string[]): string => lines.join('').replace(/[^平仄中]/gu, '');
  if (extra === 0 && strip(render(toks, new Set())) === f.pattern) return render(toks, new Set());
  const ambiguous = tones.filter((k) => (toks[k] as { beforeRhyme: boolean }).beforeRhyme);
  if (extra > 0 && extra <= ambiguous.length) {
    for (const drop of choose(ambiguous, extra)) {
      const lines = render(toks, new Set(drop));
      if (strip(lines) === f.pattern) {
        trimmed++;
        return lines;
      }
    }
  }
  rebuilt++;
  const xie = new Set(Object.values(f.rhymeGroups).flat().filter((p) => p < 0).map((p) => -p));
  const rhymes = new Set(f.rhymes);
  const lines: string[] = [];
  let cur = '';
  [...f.pattern].forEach((c, i) => {
    cur += c;
    if (rhymes.has(i)) {
      lines.push(cur + (xie.has(i) ? '叶' : '韵'));
      cur = '';
    }
  });
  if (cur) lines.push(cur + '句');
  return lines;
}
const entries = JSON.parse(readFileSync(new URL('../assets/cipu/cipu.json', import.meta.url), 'utf8')) as Entry[];
const rows: string[] = [];
for (const e of entries) {
  for (const s of [...e.names, ...e.namesTrad, ...e.rhymeKinds]) if (s.includes('|')) throw new Error(`${e.names[0]}: '|' in a name`);
  const formats = e.formats.map((f) => {
    const book = BOOKS.indexOf(f.book);
    if (book < 0) throw new Error(`${e.names[0]}: unknown book ${f.book}`);
    if (f.lines.some((l) => l.includes('|'))) throw new Error(`${e.names[0]}: '|' in a line`);
    const positions = Object.values(f.rhymeGroups).flat().map(Math.abs).sort((a, b) => a - b);
    if (positions.join() !== [...f.rhymes].sort((a, b) => a - b).join()) throw new Error(`${e.names[0]} ${f.variant}: rhymes and rhymeGroups disagree`);
    const groups = Object.entries(f.rhymeGroups).map(([k, ps]) => `${k}:${ps.join(',')}`).join(';');
    return JSON.stringify([book, f.variant, normalise(f).join('|'), groups, f.example]);
  });
  rows.push(`  [${e.id}, ${JSON.stringify(e.names.join('|'))}, ${JSON.stringify(e.namesTrad.join('|'))}, ${JSON.stringify(e.stanzas)}, ${JSON.stringify(e.rhymeKinds.join('|'))}, [\n    ${formats.join(',\n    ')},\n  ]],`);
}
const out = `/**
 * The 词谱 of 817 词牌 (couyun, MIT, © 2026 hulbji; from 《钦定词谱》 and 龙榆生《唐宋词格律》): see
 * assets/cipu/README.md and assets/cipu/LICENSE. Generated by tools/build-cipu-table.ts from
 * assets/cipu/cipu.json; do not edit by hand. Row shape: see that tool; src/poetry/cipu.ts parses it.
 */
export type CipuRow = readonly [id: number, names: string, namesTrad: string, stanzas: string, rhymeKinds: string, formats: readonly CipuFormatRow[]];
export type CipuFormatRow = readonly [book: 0 | 1, variant: number, lines: string, rhymeGroups: string, example: string];

export const CIPU_TABLE: readonly CipuRow[] = [
${rows.join('\n')}
];
`;
writeFileSync(new URL('../src/poetry/cipu-table.ts', import.meta.url), out);
console.log(`wrote src/poetry/cipu-table.ts: ${entries.length} tunes, ${entries.reduce((n, e) => n + e.formats.length, 0)} formats (${trimmed} with rhyme tones dropped from their lines, ${rebuilt} rebuilt from the pattern), ${out.length} characters`);
