/**
 * Batched decoding benchmark (issue 12 items 1–2): the bundled model writing 七绝 with the default
 * rules (tones, rhyme, sampling at 0.8), through writePoems as `shiren gen` does.
 *   - one 七绝 alone: wall and CPU ms per poem (CPU time of this process: on a shared machine it
 *     is closer to the compute than wall time);
 *   - `--count` 七绝 (default 64) as one batch: wall ms, poems/s, CPU ms;
 *   - one model step alone at S = 1, 8, 64 rows (wall and CPU ms), to split model from sampler.
 * Usage: node --import tsx bench/decode.ts [--engine blas|wasm|reference] [--threads N] [--count 64] [--repeats 3]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import type { EngineName } from '../src/engine/index.ts';
import { loadModel } from '../src/domain/model.ts';
import { writePoems } from '../src/domain/write.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: '1' },
    count: { type: 'string', default: '64' },
    repeats: { type: 'string', default: '3' },
  },
});
const threads = Number(values.threads);
const count = Number(values.count);
const repeats = Number(values.repeats);
const model = await loadModel(undefined, { engine: values.engine as EngineName, threads });

/** wall and CPU ms of f() */
function time(f: () => void): { wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  f();
  const u = process.cpuUsage(c);
  return { wall: performance.now() - t, cpu: (u.user + u.system) / 1000 };
}

console.log(`${model.kernels.name}; model ${model.config.cell} ${model.config.layers}×${model.config.hidden}, V ${model.config.vocabSize}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (let r = 0; r < 3; r++) writePoems(model, { form: 'qijue', seed: r, count: 8 }); // warm-up
const N = 20;
const one = time(() => { for (let r = 0; r < N; r++) writePoems(model, { form: 'qijue', seed: 1000 + r }); });
console.log(`one 七绝 alone: ${(one.wall / N).toFixed(2)} ms wall, ${(one.cpu / N).toFixed(2)} ms CPU`);
for (let r = 0; r < repeats; r++) {
  const b = time(() => writePoems(model, { form: 'qijue', seed: r, count }));
  console.log(`${count} 七绝 as one batch: ${b.wall.toFixed(0)} ms wall (${((count * 1000) / b.wall).toFixed(0)} poems/s), ${b.cpu.toFixed(0)} ms CPU (${((count * 1000) / b.cpu).toFixed(0)} poems per CPU-second)`);
}
for (const S of [1, 8, 64]) {
  const state = model.initState(S);
  const tokens = new Int32Array(S).fill(5);
  for (let i = 0; i < 10; i++) model.step(state, tokens);
  const n = 50;
  const t = time(() => { for (let i = 0; i < n; i++) model.step(state, tokens); });
  console.log(`model step, ${S} rows: ${(t.wall / n).toFixed(3)} ms wall, ${(t.cpu / n).toFixed(3)} ms CPU (${(t.cpu / n / S).toFixed(3)} ms CPU per row)`);
}
process.exit(0);
