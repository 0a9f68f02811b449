/**
 * Poems checked by a second 平水韵 table: the Wikisource transcription in
 * ../shared/data/pingshui/pingshui-wikisource.json (traditional characters, with known scrape
 * errors — see its README), as a RhymeBook for src/poetry/check.ts. Writes N poems per regulated
 * form with the default rules (as `shiren gen --form F --seed S`, seeds 0…N−1) and prints how many
 * pass `shiren check` by our table (src/poetry/pingshui-table.ts) and by the second source, with
 * the faults the second source finds.
 *
 * Usage: node --import tsx tools/second-source.ts [--model FILE] [--per-form 50] [--table PATH]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as OpenCC from 'opencc-js';
import { FORMS } from '../src/data/clean.ts';
import { loadModel } from '../src/domain/model.ts';
import { Rng } from '../src/nn/rng.ts';
import { checkPoem } from '../src/poetry/check.ts';
import { generate } from '../src/poetry/generate.ts';
import { rhymeBook, type Reading, type RhymeBook, type ToneClass } from '../src/poetry/rhymebook.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    'per-form': { type: 'string', default: '50' },
    table: { type: 'string', default: '../shared/data/pingshui/pingshui-wikisource.json' },
  },
});

/** The Wikisource table as a book: groups keyed by their simplified name (上平聲一東 → 东). */
function wikisourceBook(path: string): RhymeBook {
  const toCn = OpenCC.Converter({ from: 't', to: 'cn' });
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<'ping' | 'ze', Record<string, Record<string, string[]>>>;
  const readings = new Map<string, Reading[]>();
  const add = (ch: string, r: Reading) => {
    const list = readings.get(ch) ?? [];
    if (!list.some((x) => x.tone === r.tone && x.group === r.group)) list.push(r);
    readings.set(ch, list);
  };
  const pingGroups: string[] = [];
  const allGroups: string[] = [];
  for (const [part, groups] of Object.entries({ ...raw.ping, ...raw.ze })) {
    const tone = part.startsWith('上平') || part.startsWith('下平') ? '平' : (part[0] as '上' | '去' | '入');
    for (const [label, chars] of Object.entries(groups)) {
      const group = toCn(label.at(-1)!);
      if (tone === '平') pingGroups.push(group);
      if (!allGroups.includes(group)) allGroups.push(group);
      for (const ch of chars.join('')) {
        add(ch, { tone, group });
        add(toCn(ch), { tone, group });
      }
    }
  }
  const ours = rhymeBook('pingshui');
  const toneOf = (ch: string): ToneClass => {
    const rs = readings.get(ch) ?? [];
    if (!rs.length) return 'unknown';
    const ping = rs.some((r) => r.tone === '平');
    const ze = rs.some((r) => r.tone !== '平');
    return ping && ze ? 'either' : ping ? '平' : '仄';
  };
  return {
    name: 'pingshui',
    pingGroups,
    groups: allGroups,
    readingsOf: (ch) => readings.get(ch) ?? [],
    toneOf,
    pingGroupsOf: (ch) => [...new Set((readings.get(ch) ?? []).filter((r) => r.tone === '平').map((r) => r.group))],
    neighboursOf: (g) => ours.neighboursOf(g),
    labelOf: (g) => `${g} (Wikisource)`,
  };
}

const second = wikisourceBook(values.table!);
const model = await loadModel(values.model);
const perForm = Number(values['per-form']);
let oursPass = 0, secondPass = 0, total = 0;
for (const form of FORMS) {
  for (let seed = 0; seed < perForm; seed++) {
    const poem = generate(model, { form }, new Rng(seed));
    total++;
    if (checkPoem(poem.text, { form }).pass) oursPass++;
    const other = checkPoem(poem.text, { form, book: second });
    if (other.pass) secondPass++;
    else console.log(`${form} seed ${seed}: ${poem.text}\n  ${other.faults.map((f) => `line ${f.line} pos ${f.pos} ${f.kind}: ${f.message}`).join('\n  ')}`);
  }
}
console.log(`${total} poems written with the default rules: ${oursPass} pass by our table, ${secondPass} by the Wikisource table`);
