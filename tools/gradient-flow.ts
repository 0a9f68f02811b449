/**
 * How far back does the gradient reach? The brief's reason for gates, measured: for the rnn, lstm
 * and gru, the norm of ∂loss/∂x_{t−k} — the gradient that the loss of ONE prediction (the rhyme
 * character closing a 七律, which depends on lines far back) sends to the input vector k steps
 * earlier — averaged (geometric mean) over validation poems, as an SVG line chart on a log scale
 * and the numbers as JSON beside it.
 *
 * Models: a tiny model of each cell (1 layer, E 32, H 64) trained for --steps Adam steps on the
 * corpus given (default the test sample, test/fixtures/corpus), so the figure shows trained gates
 * rather than their initial values (--steps 0: none), and any model files given as arguments.
 *
 * Usage (reproduces docs/figures/gradient-flow.svg and .json; a few minutes on 2 cores):
 *   npx tsx tools/gradient-flow.ts models/shiren-lstm.safetensors models/shiren-gru.safetensors
 *   npx tsx tools/gradient-flow.ts [--steps 300] [--corpus DIR] [--out FILE.svg] [--engine E] [MODEL.safetensors …]
 *
 * Legend: T inputs of the measured sequence, k steps back (0 = the last input), E embedding.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readSplit } from '../src/data/corpus.ts';
import { BOS, PAD } from '../src/data/vocab.ts';
import { selectKernels, type EngineName } from '../src/engine/index.ts';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { readModelFile } from '../src/nn/checkpoint.ts';
import { CELL_TYPES } from '../src/nn/config.ts';
import type { Model } from '../src/nn/model.ts';
import { TRAIN_DEFAULTS } from '../src/train/options.ts';
import { train } from '../src/train/trainer.ts';
import { writeFileAtomic } from '../src/util/fs.ts';

const { values: args, positionals: modelFiles } = parseArgs({
  allowPositionals: true,
  options: {
    steps: { type: 'string', default: '300' },
    corpus: { type: 'string', default: 'test/fixtures/corpus' },
    out: { type: 'string', default: 'docs/figures/gradient-flow.svg' },
    engine: { type: 'string', default: 'auto' },
    poems: { type: 'string', default: '64' },
  },
});

const kernels = await selectKernels({ engine: args.engine as EngineName });
// Measured in float64: a plain RNN's gradient falls below float32's smallest number within a
// few dozen steps, and the figure should show how far, not where float32 gives up.
const f64 = createReferenceKernels('f64');

/** A tiny model of each cell, trained briefly on the corpus (or the files given). */
async function models(): Promise<{ label: string; model: Model<Float64Array> }[]> {
  const files = modelFiles.map((file) => {
    const model = readModelFile(file, f64);
    const { cell, layers, hidden } = model.config;
    return { label: `${basename(file)} (${cell} ${layers}×${hidden})`, model };
  });
  if (Number(args.steps) <= 0) return files;
  const dir = mkdtempSync(join(tmpdir(), 'shiren-gradient-flow-'));
  try {
    const out: { label: string; model: Model<Float64Array> }[] = [];
    for (const cell of CELL_TYPES) {
      process.stderr.write(`training a tiny ${cell} for ${args.steps} steps on ${args.corpus} (${kernels.name})…\n`);
      const runDir = join(dir, cell);
      await train(kernels, runDir, {
        ...TRAIN_DEFAULTS,
        corpus: args.corpus, cell, layers: 1, embed: 32, hidden: 64, batch: 32, epochs: 1000, lr: 5e-3,
        optimizer: 'adam', clip: 1, dropout: 0, weightDecay: 0, forms: ['wujue', 'qijue', 'wulv', 'qilv'],
        minCount: 1, seed: 1, checkpointEvery: 1e9,
      }, { maxSteps: Number(args.steps) });
      out.push({ label: `${cell} (1×64, ${args.steps} steps)`, model: readModelFile(join(runDir, 'last.safetensors'), f64) });
    }
    return [...out, ...files];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Geometric mean over poems of ‖∂loss/∂x_{T−1−k}‖ for k = 0..T−1, where the loss is that of the
 * last character before the final 。 of each 七律 (64 symbols: 56 characters, 8 marks).
 */
function gradientByDistance(model: Model<Float64Array>, poems: string[]): number[] {
  const E = model.config.embed;
  const logSums: number[] = [];
  let count = 0;
  for (const poem of poems) {
    const ids = model.vocab.encode(poem, true);
    const n = ids.length;
    const T = n - 1; // inputs <bos> c1 … c_{n−2}; the one target is c_{n−1}, the rhyme character
    const inputs = Int32Array.from([BOS, ...ids.slice(0, n - 2)]);
    const targets = new Int32Array(T).fill(PAD);
    targets[T - 1] = ids[n - 2];
    model.lossAndGrad(inputs, targets, 1, T, null);
    const dx = model.inputGradient(1, T);
    for (let k = 0; k < T; k++) {
      const t = T - 1 - k;
      let ss = 0;
      for (let e = 0; e < E; e++) ss += dx[t * E + e] ** 2;
      logSums[k] = (logSums[k] ?? 0) + Math.log(Math.max(Math.sqrt(ss), 1e-300));
    }
    count++;
  }
  return logSums.map((s) => Math.exp(s / count));
}

/** A log-scale line chart of the series (k on x, norm on y). */
function chart(series: { label: string; values: number[] }[]): string {
  const [W, H, left, right, top, bottom] = [720, 420, 70, 20, 40, 50];
  const K = Math.max(...series.map((s) => s.values.length)) - 1;
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.max(-60, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.ceil(Math.log10(Math.max(...all)));
  const x = (k: number) => left + (k / K) * (W - left - right);
  const y = (v: number) => top + ((hi - Math.log10(v)) / (hi - lo)) * (H - top - bottom);
  const colours = ['#b2182b', '#2166ac', '#1b7837', '#762a83', '#e08214'];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="14">‖∂loss/∂x‖ k steps back (geometric mean over poems; log scale)</text>`,
  ];
  const every = Math.ceil((hi - lo) / 12); // at most a dozen grid lines
  for (let e = hi; e >= lo; e -= every) {
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`);
  }
  for (let k = 0; k <= K; k += 8) {
    parts.push(`<text x="${x(k)}" y="${H - bottom + 18}" text-anchor="middle">${k}</text>`);
  }
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle">k (steps back from the prediction)</text>`);
  series.forEach((s, i) => {
    const d = s.values.map((v, k) => `${k ? 'L' : 'M'}${x(k).toFixed(1)} ${y(Math.max(v, 10 ** lo)).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${colours[i % colours.length]}" stroke-width="2"/>`);
    parts.push(`<text x="${W - right - 8}" y="${top + 16 + i * 16}" text-anchor="end" fill="${colours[i % colours.length]}">${s.label.replace(/[<&>]/g, '')}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

const poems = readSplit(args.corpus, 'valid', ['qilv']).filter((p) => [...p].length === 64).slice(0, Number(args.poems));
if (poems.length === 0) throw new Error(`no 64-symbol qilv poems in ${args.corpus}/valid`);
const series: { label: string; values: number[] }[] = [];
for (const { label, model } of await models()) series.push({ label, values: gradientByDistance(model, poems) });
writeFileAtomic(args.out, chart(series));
writeFileAtomic(args.out.replace(/\.svg$/, '') + '.json', JSON.stringify({ poems: poems.length, series }, null, 1) + '\n');
for (const s of series) {
  const at = (k: number) => s.values[k].toExponential(2);
  process.stdout.write(`${s.label}: k=0 ${at(0)}  k=8 ${at(8)}  k=16 ${at(16)}  k=32 ${at(32)}  k=62 ${at(62)}\n`);
}
process.stderr.write(`wrote ${args.out}\n`);
process.exit(0); // the engine's worker threads must not keep the process alive
