/**
 * Batched decoding benchmark (docs/design.md §9; figures in bench/README.md): the bundled model writing 七绝 with the default
 * rules (tones, rhyme, sampling at 0.8), through writePoems as `shiren gen` does, with the int8
 * weights (gen's default) and the f32 ones:
 *   - one 七绝 alone (the model writes its title first; and on a given title): wall and CPU ms per
 *     poem, and how much of it is the model's steps (CPU time of this process: on a shared
 *     machine it is closer to the compute than wall time);
 *   - `--count` 七绝 (default 64) as one batch: wall ms, poems/s, CPU ms (these with one candidate
 *     each: `--candidates 1`, the work of one sample);
 *   - one 七绝 with the default candidates (the best of DEFAULT_CANDIDATES), alone and on a title;
 *   - one model step alone at S = 1, 8, 64 rows (wall ms), to split model from sampler;
 *   - the multiply-adds of a step of the one 七绝 alone, counted (not timed, so independent of the
 *     machine's load): as computed (the logits each row reads: Model.step's row reads) and as
 *     they were when a step computed every logit of every row whose token is not forced;
 *   - with `--ab R`, instead of all the above: the one 七绝 alone (own title, given title) and the
 *     batch, each timed R times alternately with the step as it is and with a step that computes
 *     every logit of a read row (what a step did before the row reads), in small blocks, so that
 *     a machine whose load drifts weighs on both alike; medians and their ratio.
 * The code is warmed up first (~300 poems: V8 compiles WebAssembly in tiers). A speed probe (a fixed
 * JavaScript loop, independent of shiren's code) is timed at the start and the end: compare runs
 * only where the probes agree.
 * Usage: node --import tsx bench/decode.ts [--engine blas|wasm|reference] [--threads N] [--count 64]
 *        [--repeats 3] [--precision int8|f32 (default: both)] [--model FILE (default: the bundled one;
 *        tools/order-vocab.ts writes it in prosody order)] [--warmup 300 (poems)] [--ab ROUNDS]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import type { EngineName } from '../src/engine/index.ts';
import { loadModel } from '../src/domain/model.ts';
import { writePoems } from '../src/domain/write.ts';
import { DEFAULT_CANDIDATES } from '../src/domain/limits.ts';
import { outputMacs, recurrentMacs, type DecodePrecision } from '../src/nn/config.ts';
import type { LanguageModel, RowRead } from '../src/nn/lm.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: '1' },
    count: { type: 'string', default: '64' },
    repeats: { type: 'string', default: '3' },
    precision: { type: 'string' },
    model: { type: 'string' },
    ab: { type: 'string' },
    warmup: { type: 'string', default: '300' },
  },
});
const threads = Number(values.threads);
const count = Number(values.count);
const repeats = Number(values.repeats);
const model = await loadModel(values.model, { engine: values.engine as EngineName, threads, job: 'decode' });

/** wall and CPU ms of f() */
function time(f: () => void): { wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  f();
  const u = process.cpuUsage(c);
  return { wall: performance.now() - t, cpu: (u.user + u.system) / 1000 };
}

// the model's share: every step timed, its multiply-adds counted
const step = model.step.bind(model);
const V = model.config.vocabSize;
const cellMacs = recurrentMacs(model.config);
let stepMs = 0, steps = 0, macs = 0, macsUncut = 0;
model.step = (state, tokens, reads?: readonly RowRead[]) => {
  const t = performance.now();
  const logits = step(state, tokens, reads);
  stepMs += performance.now() - t;
  steps++;
  for (let i = 0; i < state.size; i++) {
    const r = reads?.[i] ?? null;
    let cols = r === null ? V : 0;
    for (let j = 0; r && j < r.length; j += 2) cols += r[j + 1] - r[j];
    macs += cellMacs + outputMacs(model.config, cols);
    macsUncut += cellMacs + outputMacs(model.config, r === null || r.length ? V : 0);
  }
  return logits;
};

/** The model with a step that computes every logit of each row it reads (nothing only for a forced token). */
const uncut: LanguageModel = {
  vocab: model.vocab,
  sampler: model.sampler,
  initState: (S) => model.initState(S),
  selectState: (s, rows) => model.selectState(s, rows),
  step: (s, tokens, reads) => model.step(s, tokens, reads?.map((r) => (r && r.length === 0 ? r : null))),
};

/** `--ab`: as it is against uncut, alternately (see the file comment). */
function ab(rounds: number, precision: DecodePrecision): void {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const jobs = [
    { what: 'one 七绝 alone', poems: 10, run: (m: LanguageModel, r: number) => { for (let i = 0; i < 10; i++) writePoems(m, { form: 'qijue', seed: 1000 + 10 * r + i, candidates: 1 }); } },
    { what: 'one 七绝 alone on a given title', poems: 10, run: (m: LanguageModel, r: number) => { for (let i = 0; i < 10; i++) writePoems(m, { form: 'qijue', seed: 1000 + 10 * r + i, title: '秋江送别', candidates: 1 }); } },
    { what: `${count} 七绝 as one batch`, poems: count, run: (m: LanguageModel, r: number) => { writePoems(m, { form: 'qijue', seed: r, count, candidates: 1 }); } },
  ];
  for (const job of jobs) {
    const t = { cut: { wall: [] as number[], cpu: [] as number[] }, uncut: { wall: [] as number[], cpu: [] as number[] } };
    for (let r = 0; r < rounds; r++) {
      for (const side of (r % 2 ? ['uncut', 'cut'] : ['cut', 'uncut']) as ('cut' | 'uncut')[]) {
        const x = time(() => job.run(side === 'cut' ? model : uncut, r));
        t[side].wall.push(x.wall / job.poems);
        t[side].cpu.push(x.cpu / job.poems);
      }
    }
    const [cw, uw, cc, uc] = [median(t.cut.wall), median(t.uncut.wall), median(t.cut.cpu), median(t.uncut.cpu)];
    console.log(`${precision}: ${job.what}, ${rounds} rounds: every logit ${uw.toFixed(2)} ms wall, ${uc.toFixed(2)} ms CPU per poem (${(1000 / uw).toFixed(0)} poems/s); the logits read ${cw.toFixed(2)} ms wall, ${cc.toFixed(2)} ms CPU (${(1000 / cw).toFixed(0)} poems/s); ratio ${(cw / uw).toFixed(3)} wall, ${(cc / uc).toFixed(3)} CPU`);
  }
}

/**
 * The machine's speed now: the best of 3 runs of a fixed JavaScript loop (13 M multiply-adds over
 * 256 KB), printed at the start and the end. It does not depend on shiren's code, so runs of two
 * trees compare fairly only where their probes agree (this machine drifts by 1.5× within minutes).
 */
function probe(): number {
  const a = new Float32Array(65536).fill(1.0001);
  let best = Infinity, sink = 0;
  for (let k = 0; k < 3; k++) {
    const t = performance.now();
    for (let r = 0; r < 200; r++) for (let i = 0; i < a.length; i++) sink += a[i] * 1.0001;
    best = Math.min(best, performance.now() - t);
  }
  if (sink === 42) console.log(''); // keeps the loop
  return best;
}

console.log(`${model.kernels.name}; model ${values.model ?? 'bundled'}, ${model.config.cell} ${model.config.layers}×${model.config.hidden}, V ${model.config.vocabSize}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; speed probe ${probe().toFixed(1)} ms`);
for (const precision of (values.precision ? [values.precision] : ['int8', 'f32']) as DecodePrecision[]) {
  model.setDecodePrecision(precision);
  for (let r = 0; r < Number(values.warmup); r++) writePoems(r % 2 ? model : uncut, { form: 'qijue', seed: r, candidates: 1 }); // warm-up: V8 tiers up the wasm code
  if (values.ab) {
    ab(Number(values.ab), precision);
    continue;
  }
  const N = 50;
  for (const title of [undefined, '秋江送别']) {
    stepMs = 0; steps = 0; macs = 0; macsUncut = 0;
    const one = time(() => { for (let r = 0; r < N; r++) writePoems(model, { form: 'qijue', seed: 1000 + r, title, candidates: 1 }); });
    console.log(`${precision}: one 七绝 alone${title ? ` on a given title` : ''}: ${(one.wall / N).toFixed(2)} ms wall, ${(one.cpu / N).toFixed(2)} ms CPU; ${(steps / N).toFixed(1)} steps, model ${(stepMs / N).toFixed(2)} ms, the rest ${((one.wall - stepMs) / N).toFixed(2)} ms; ${(macs / steps / 1e6).toFixed(2)} M multiply-adds per step (${(macsUncut / steps / 1e6).toFixed(2)} M computing every logit of a read row)`);
  }
  for (let r = 0; r < repeats; r++) {
    stepMs = 0;
    const b = time(() => writePoems(model, { form: 'qijue', seed: r, count, candidates: 1 }));
    console.log(`${precision}: ${count} 七绝 as one batch: ${b.wall.toFixed(0)} ms wall (${((count * 1000) / b.wall).toFixed(0)} poems/s), ${b.cpu.toFixed(0)} ms CPU (${((count * 1000) / b.cpu).toFixed(0)} poems per CPU-second); model ${stepMs.toFixed(0)} ms`);
  }
  // the default: each poem the best of DEFAULT_CANDIDATES (src/domain/candidates.ts)
  for (const title of [undefined, '秋江送别']) {
    const M = 10;
    const c = time(() => { for (let r = 0; r < M; r++) writePoems(model, { form: 'qijue', seed: 2000 + r, title }); });
    console.log(`${precision}: one 七绝 with the default ${DEFAULT_CANDIDATES} candidates${title ? ' on a given title' : ''}: ${(c.wall / M).toFixed(1)} ms wall, ${(c.cpu / M).toFixed(1)} ms CPU`);
  }
  for (const S of [1, 8, 64]) {
    const state = model.initState(S);
    const tokens = new Int32Array(S).fill(5);
    for (let i = 0; i < 20; i++) step(state, tokens);
    const n = 50;
    const t = time(() => { for (let i = 0; i < n; i++) step(state, tokens); });
    console.log(`${precision}: model step, ${S} rows: ${(t.wall / n).toFixed(3)} ms wall (${(t.wall / n / S).toFixed(3)} ms per row)`);
  }
}
console.log(`speed probe at the end ${probe().toFixed(1)} ms`);
process.exit(0);
