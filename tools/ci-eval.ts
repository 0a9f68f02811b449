/**
 * How well written 词 fit their tunes (issue 19): for the N most common tunes of the Song 词 (by the
 * corpus count: src/poetry/songci.ts readSongCi, the tunes the 谱 knows), K 词 each written by a
 * model to the tune's first format, and the share that pass `shiren check --cipai` (checkCi), both
 * as the check reads them by default (通押 accepted) and strictly (one 部 per rhyme group).
 *
 *   node --import tsx tools/ci-eval.ts [--tunes 50] [--per 4] [--model FILE] [--candidates 1] [--seed 1] [--examples 浣溪沙,西江月,水调歌头]
 *
 * Prints the figure, the failures, and (with --examples) one written 词 per named tune beside the
 * 谱's example. The wasm engine on 1 thread, so figures compare across machines (times do not).
 */
import { parseArgs } from 'node:util';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile } from '../src/nn/checkpoint.ts';
import { writePoems } from '../src/domain/write.ts';
import { checkCi } from '../src/poetry/ci-check.ts';
import { readSongCi } from '../src/poetry/songci.ts';

const { values } = parseArgs({
  options: {
    tunes: { type: 'string', default: '50' },
    per: { type: 'string', default: '4' },
    model: { type: 'string' },
    candidates: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    examples: { type: 'string' },
  },
});
const tunes = Number(values.tunes), per = Number(values.per), candidates = Number(values.candidates), seed = Number(values.seed);

const counts = new Map<string, number>();
for (const ci of readSongCi()) if (ci.known && ci.clean.ok) counts.set(ci.title, (counts.get(ci.title) ?? 0) + 1);
const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, tunes).map(([t]) => t);

const model = readModelFile(resolveModelFile(values.model), await selectKernels({ engine: 'wasm', threads: 1 }));
const t0 = Date.now();
let pass = 0, strict = 0, total = 0;
const failures: string[] = [];
for (const cipai of top) {
  const poems = writePoems(model, { cipai, count: per, seed, candidates });
  for (const p of poems) {
    total++;
    const r = checkCi(p.text, { cipai, variant: p.variant });
    const s = checkCi(p.text, { cipai, variant: p.variant, strictRhyme: true });
    if (r.pass) pass++;
    else failures.push(`${cipai}: ${p.text} — ${r.faults.map((f) => f.message).join('; ')}`);
    if (s.pass) strict++;
  }
}
const pct = (n: number) => `${((100 * n) / total).toFixed(1)}%`;
console.log(`${top.length} tunes × ${per} = ${total} 词 (model ${values.model ?? 'bundled'}, candidates ${candidates}, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
console.log(`pass shiren check --cipai: ${pass}/${total} (${pct(pass)}); strictly, one 部 per rhyme group: ${strict}/${total} (${pct(strict)})`);
for (const f of failures) console.log(`  FAIL ${f}`);
for (const cipai of values.examples?.split(',') ?? []) {
  const [p] = writePoems(model, { cipai, seed, candidates: Math.max(candidates, 4) });
  console.log(`\n${cipai} (${p!.format}):\n${p!.stanzas!.map((s) => s.join('')).join('\n')}`);
}
