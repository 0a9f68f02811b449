/**
 * How the Song 词 of chinese-poetry fare under `shiren check --cipai` (docs/ci.md):
 *   node --import tsx tools/ci-report.ts [--top 20] [--failures 浣溪沙]
 * For the `--top` most common tunes (by the corpus title, src/poetry/songci.ts): 词, the share with a
 * format's length, the share passing (通押 allowed) and passing strictly (one 部), and the fault
 * kinds. Also the 谱's own examples against their formats. --failures NAME prints every failing 词
 * of that tune with its faults, to read.
 */
import { readSongCi } from '../src/poetry/songci.ts';
import { STANZA_BREAK } from '../src/data/clean.ts';
import { checkCi } from '../src/poetry/ci-check.ts';
import { allTunes, lookupTune } from '../src/poetry/cipu.ts';

const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i < 0 ? undefined : process.argv[i + 1]; };
const top = Number(arg('--top') ?? 20);
const failuresOf = arg('--failures');

let examples = 0, examplesPass = 0;
for (const t of allTunes()) for (const f of t.formats) {
  examples++;
  if (checkCi(f.example, { cipai: t.name, variant: f.index + 1 }).pass) examplesPass++;
}
console.log(`the 谱's examples against their own formats: ${examplesPass}/${examples} pass (${((100 * examplesPass) / examples).toFixed(1)}%)\n`);

const byTune = new Map<string, string[]>();
for (const c of readSongCi()) {
  if (!c.clean.ok || !c.known) continue;
  byTune.set(c.title, [...(byTune.get(c.title) ?? []), c.clean.text.replaceAll(STANZA_BREAK, '')]);
}
const rows = [...byTune].sort((a, b) => b[1].length - a[1].length).slice(0, top);
console.log('| tune | 词 | fit a length | pass | pass, one 部 | faults (tone / rhyme / rhyme-tone / shape) |');
console.log('| --- | ---: | ---: | ---: | ---: | --- |');
const pct = (n: number, d: number): string => `${((100 * n) / d).toFixed(1)}%`;
for (const [name, texts] of rows) {
  let fit = 0, pass = 0, strict = 0;
  const kinds: Record<string, number> = { tone: 0, rhyme: 0, 'rhyme-tone': 0, shape: 0 };
  for (const text of texts) {
    const r = checkCi(text, { cipai: name });
    if (r.variant !== null) fit++;
    if (r.pass) pass++;
    if (checkCi(text, { cipai: name, strictRhyme: true }).pass) strict++;
    for (const f of r.faults) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
    if (name === failuresOf && !r.pass) {
      console.error(`${text}\n  ${r.variant === null ? 'no format' : `format ${r.variant}`}: ${r.faults.map((f) => `${f.line}:${f.pos} ${f.kind} ${f.message}`).join(' | ')}`);
    }
  }
  const n = texts.length;
  console.log(`| ${name} | ${n} | ${pct(fit, n)} | ${pct(pass, n)} | ${pct(strict, n)} | ${kinds.tone} / ${kinds.rhyme} / ${kinds['rhyme-tone']} / ${kinds.shape} |`);
}
if (failuresOf && !lookupTune(failuresOf)) console.error(`unknown tune ${failuresOf}`);
