/**
 * Learning curves at equal CPU time (issue 21 §1): trains candidate models on the same data for the
 * same CPU budget each, then reads their metrics.jsonl and reports validation perplexity against
 * CPU minutes of training — a table, a figure and the cost of each candidate per token trained
 * and per step written.
 *
 *   npx tsx tools/curves.ts train  [--out runs/curves] [--corpus data/corpus-reg] [--cpu-budget 10]
 *                                  [--candidates rnn:2x256,lstm:2x256,gru:2x256] [--embed 128]
 *                                  [--condition none] [--valid-every 0.5] [--valid-poems 1000] [--jobs 1]
 *   npx tsx tools/curves.ts report [--out runs/curves] [--candidates …] [--cpu-budget 10]
 *                                  [--figure docs/figures/curves.svg]
 *
 * Why CPU time: the machine is shared (another training run, other sessions), so wall time says
 * more about the neighbours than about the model. Each candidate is one `shiren train` process
 * with one compute thread at nice 10, and the trainer counts its own process's CPU seconds (user +
 * system, all its threads: process.cpuUsage) in every metric row; the budget (`--cpu-budget`) and
 * the curves count training only: validation (a fixed subset of the validation poems every
 * `--valid-every` CPU minutes) is logged apart (`validCpu`) and left out. Because each process
 * counts its own CPU, `--jobs 3` may train the candidates side by side without favouring any;
 * the default trains them one after another. A candidate whose run folder already holds a
 * checkpoint is resumed for another `--cpu-budget` minutes, so a curve can be extended.
 *
 * `report` writes the figure (SVG) and its numbers (same name, .json) and prints the tables as
 * Markdown. Multiply-adds per written step come from the config: each layer's recurrent and input
 * products (G·H·(in + H), G = 1, 4, 3 gate blocks for rnn, lstm, gru) and the output layer (H·V).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../src/domain/model.ts';
import { writePoems } from '../src/domain/write.ts';
import { CELL_TYPES, outputMacs, recurrentMacs, type CellType, type ModelConfig } from '../src/nn/config.ts';
import { seriesSvg, type Curve } from '../src/train/plot.ts';

const FORMS = 'wujue,qijue,wulv,qilv';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'runs/curves' },
    corpus: { type: 'string', default: 'data/corpus-reg' },
    // `shiren corpus --forms wujue,qijue,wulv,qilv --song-poems`: for candidates marked :song
    'song-corpus': { type: 'string', default: 'data/corpus-reg-song' },
    'cpu-budget': { type: 'string', default: '10' },
    candidates: { type: 'string', default: 'rnn:2x256,lstm:2x256,gru:2x256' },
    embed: { type: 'string', default: '128' },
    condition: { type: 'string', default: 'none' },
    'valid-every': { type: 'string', default: '0.5' },
    'valid-poems': { type: 'string', default: '1000' },
    jobs: { type: 'string', default: '1' },
    figure: { type: 'string', default: 'docs/figures/curves.svg' },
    // the CLI to train with: a copy of a built tree lets the code here be rebuilt while runs go on
    shiren: { type: 'string', default: 'bin/shiren.js' },
  },
});

function fail(message: string): never {
  process.stderr.write(`curves: ${message}\n`);
  process.exit(2);
}

interface Candidate {
  name: string;
  cell: CellType;
  layers: number;
  hidden: number;
  /** dropout after each recurrent layer; undefined: the trainer's default (0.1) */
  dropout?: number;
  /** train on `--song-corpus` (the same Tang valid split, Song poems added to train) */
  song: boolean;
  /** the output layer tied to the embedding through a projection (`shiren train --tied`) */
  tied: boolean;
}

/**
 * `cell:LxH[:tied][:dP][:song]` → a candidate, e.g. gru:2x256, gru:2x256:tied (output tied to
 * the embedding), gru:2x256:d0.25 (dropout 0.25), gru:2x256:song (trained on --song-corpus).
 */
function parseCandidate(spec: string): Candidate {
  const m = /^(\w+):(\d+)x(\d+)(:tied)?(?::d(0?\.\d+))?(:song)?$/.exec(spec);
  if (!m || !CELL_TYPES.includes(m[1] as CellType)) fail(`candidate '${spec}' is not cell:LAYERSxHIDDEN[:tied][:dDROPOUT][:song] with cell one of ${CELL_TYPES.join(', ')}`);
  const tied = m[4] !== undefined;
  const dropout = m[5] === undefined ? undefined : Number(m[5]);
  const song = m[6] !== undefined;
  const name = `${m[1]}-${m[2]}x${m[3]}${tied ? '-tied' : ''}${dropout === undefined ? '' : `-d${dropout}`}${song ? '-song' : ''}`;
  return { name, cell: m[1] as CellType, layers: Number(m[2]), hidden: Number(m[3]), dropout, song, tied };
}

const candidates = values.candidates.split(',').map(parseCandidate);
const budget = Number(values['cpu-budget']);
if (!(budget > 0)) fail('--cpu-budget must be a positive number of CPU minutes');

/** Trains one candidate (or resumes it) in its own process; resolves with its exit code. */
function trainOne(c: Candidate): Promise<number> {
  const dir = join(values.out, c.name);
  const limits = ['--cpu-budget', String(budget), '--threads', '1'];
  const args = existsSync(join(dir, 'checkpoint.safetensors'))
    ? ['--resume', dir, ...limits]
    : [
        '--corpus', c.song ? values['song-corpus'] : values.corpus, '--forms', FORMS, '--condition', values.condition,
        '--cell', c.cell, '--layers', String(c.layers), '--hidden', String(c.hidden), '--embed', values.embed,
        ...(c.dropout === undefined ? [] : ['--dropout', String(c.dropout)]),
        ...(c.tied ? ['--tied'] : []),
        // enough epochs that the CPU budget, not the epoch count, ends the run
        '--epochs', '1000', '--seed', '1',
        '--valid-every', values['valid-every'], '--valid-poems', values['valid-poems'], '--out', dir, ...limits,
      ];
  mkdirSync(dir, { recursive: true });
  const log = createWriteStream(join(dir, 'train.log'), { flags: 'a' });
  const command = ['nice', '-n', '10', process.execPath, values.shiren, 'train', ...args];
  log.write(`$ ${command.slice(0, 3).join(' ')} node ${command.slice(4).join(' ')}\n`);
  console.log(`${c.name}: training (log ${join(dir, 'train.log')})`);
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return new Promise((resolve) => child.on('exit', (code) => {
    console.log(`${c.name}: exit ${code}`);
    resolve(code ?? 1);
  }));
}

async function trainAll(): Promise<void> {
  const jobs = Math.max(1, Number(values.jobs) || 1);
  const queue = [...candidates];
  const failed: string[] = [];
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let c = queue.shift(); c; c = queue.shift()) if ((await trainOne(c)) !== 0) failed.push(c.name);
  }));
  if (failed.length) fail(`training failed for ${failed.join(', ')} (see their train.log)`);
}

/** A metric row of metrics.jsonl (src/train/trainer.ts). */
interface Row { kind: 'train' | 'valid'; step: number; epoch: number; tokens?: number; loss: number; time: number; cpu?: number; validCpu?: number }

/** What report measures of one candidate. */
interface Measured {
  name: string;
  /** (CPU minutes of training, validation loss in nats) */
  valid: Curve;
  /** (optimizer step, validation loss in nats): every candidate sees the same batches in the same order */
  byStep: Curve;
  /** (optimizer step, tokens trained on) */
  tokensByStep: Curve;
  steps: number;
  epochs: number;
  tokens: number;
  /** CPU minutes of training, and of validation, at the last row */
  trainCpuMin: number;
  validCpuMin: number;
  wallMin: number;
  usPerToken: number;
  macsPerStep: number;
  msPerQijue: number | null;
  params: number;
}

/** Multiply-adds of one written step (one token, batch 1): the recurrent layers and the output layer. */
function macsPerStep(c: ModelConfig): number {
  return recurrentMacs(c) + outputMacs(c, c.vocabSize);
}

/** The loss at x, linear between the measurements around it; null outside them. */
function lossAt(curve: Curve, x: number): number | null {
  for (let i = 0; i < curve.length; i++) {
    const [x1, y1] = curve[i]!;
    if (x1 < x) continue;
    if (i === 0) return x1 === x ? y1 : null;
    const [x0, y0] = curve[i - 1]!;
    return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return null;
}

/** CPU ms of one 七绝 written alone (the domain's write loop, one candidate, one thread), after a warm-up. */
async function msPerQijue(file: string): Promise<number> {
  const model = await loadModel(file, { threads: 1, job: 'decode' });
  // warm-up: V8 tiers the compute code up (as bench/decode.ts); a model's poems differ in how
  // often the rules make it backtrack, so many poems are averaged
  for (let r = 0; r < 100; r++) writePoems(model, { form: 'qijue', seed: r, candidates: 1 });
  const N = 100;
  const c = process.cpuUsage();
  for (let r = 0; r < N; r++) writePoems(model, { form: 'qijue', seed: 1000 + r, candidates: 1 });
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000 / N;
}

async function measure(c: Candidate): Promise<Measured | null> {
  const dir = join(values.out, c.name);
  if (!existsSync(join(dir, 'metrics.jsonl'))) return null;
  const rows: Row[] = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).flatMap((l) => {
    try { return [JSON.parse(l)]; } catch { return []; } // a line cut by a kill
  });
  if (rows.some((r) => r.cpu === undefined)) fail(`${dir}/metrics.jsonl has rows without CPU seconds (a run of an older trainer)`);
  const trainMin = (r: Row) => (r.cpu! - r.validCpu!) / 60;
  const train = rows.filter((r) => r.kind === 'train');
  const last = rows.at(-1)!;
  const first = train[0];
  const lastTrain = train.at(-1);
  const usPerToken = first && lastTrain && lastTrain.tokens! > first.tokens! ? ((trainMin(lastTrain) - trainMin(first)) * 60e6) / (lastTrain.tokens! - first.tokens!) : NaN;
  const best = join(dir, 'best.safetensors');
  const model = existsSync(best) ? await loadModel(best, { threads: 1, job: 'decode' }) : null;
  return {
    name: c.name,
    valid: rows.filter((r) => r.kind === 'valid').map((r) => [trainMin(r), r.loss]),
    byStep: rows.filter((r) => r.kind === 'valid').map((r) => [r.step, r.loss]),
    tokensByStep: [[0, 0], ...train.map((r): [number, number] => [r.step, r.tokens!])],
    steps: last.step,
    epochs: last.epoch,
    tokens: lastTrain?.tokens ?? 0,
    trainCpuMin: trainMin(last),
    validCpuMin: last.validCpu! / 60,
    wallMin: last.time / 60,
    usPerToken,
    macsPerStep: model ? macsPerStep(model.config) : NaN,
    msPerQijue: model ? await msPerQijue(best) : null,
    params: model?.paramCount ?? NaN,
  };
}

/** A number as text, or — where it is not known (no model file yet, too few rows). */
const known = (n: number, show: (n: number) => string) => (Number.isFinite(n) ? show(n) : '—');

const COLORS = { rnn: '#7f7f7f', lstm: '#1f77b4', gru: '#d62728' } as const;
/** Shapes of one cell (a figure where every candidate is a gru): one colour each, the plain 2×256 in the cell's. */
const PALETTE = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const oneCell = new Set(candidates.map((c) => c.cell)).size === 1 && candidates.length > 1;
const colorOf = (name: string, i: number) => (oneCell ? PALETTE[i % PALETTE.length]! : COLORS[name.split('-')[0] as CellType] ?? '#2ca02c');

async function report(): Promise<void> {
  const measured = (await Promise.all(candidates.map(measure))).filter((m): m is Measured => m !== null);
  if (measured.length === 0) fail(`no candidate has trained in ${values.out} yet`);
  const marks: number[] = [];
  for (let t = 1; t < budget; t *= 2) marks.push(t);
  marks.push(budget);
  const ppl = (loss: number | null) => (loss === null ? '—' : Math.exp(loss).toFixed(1));
  // equal data: the same seed gives every cell the same batches in the same order, so at the step
  // the slowest candidate last validated at all have seen the same tokens
  const commonStep = Math.min(...measured.map((m) => m.byStep.at(-1)?.[0] ?? 0));
  const commonTokens = lossAt(measured[0]!.tokensByStep, commonStep);
  const table = [
    `| candidate | ${marks.map((t) => `${+t.toFixed(2)} min`).join(' | ')} | best (at CPU min) | at step ${commonStep}${commonTokens === null ? '' : ` (${(commonTokens / 1e6).toFixed(2)} M tokens)`} |`,
    `| --- | ${marks.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...measured.map((m) => {
      const best = m.valid.reduce((a, b) => (b[1] < a[1] ? b : a));
      return `| ${m.name} | ${marks.map((t) => ppl(lossAt(m.valid, t))).join(' | ')} | ${ppl(best[1])} (${best[0].toFixed(1)}) | ${ppl(lossAt(m.byStep, commonStep))} |`;
    }),
  ];
  const cost = [
    '| candidate | parameters | steps | epochs | CPU min training (+ validating) | wall min | CPU µs per token trained | multiply-adds per written step | CPU ms per 七绝 written |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...measured.map((m) => `| ${m.name} | ${known(m.params, (n) => n.toLocaleString('en'))} | ${m.steps} | ${m.epochs} | ${m.trainCpuMin.toFixed(1)} (+${m.validCpuMin.toFixed(1)}) | ${m.wallMin.toFixed(0)} | ${known(m.usPerToken, (n) => n.toFixed(0))} | ${known(m.macsPerStep, (n) => `${(n / 1e6).toFixed(2)} M`)} | ${m.msPerQijue?.toFixed(2) ?? '—'} |`),
  ];
  console.log(['validation perplexity at CPU minutes of training', '', ...table, '', 'cost', '', ...cost].join('\n'));
  const svg = seriesSvg(
    measured.map((m, i) => ({ label: m.name, color: colorOf(m.name, i), points: m.valid, dots: true, width: 2 })),
    { title: `validation perplexity against CPU minutes of training (one thread each; regulated forms; condition ${values.condition})`, xLabel: 'CPU minutes of training (validation excluded)', yTick: (y) => Math.exp(y).toFixed(0), xTicks: true },
  );
  mkdirSync(dirname(values.figure), { recursive: true });
  writeFileSync(values.figure, svg);
  writeFileSync(values.figure.replace(/\.svg$/, '') + '.json', JSON.stringify({ budget, marks, candidates: measured }, null, 1) + '\n');
  console.log(`\nwrote ${values.figure} and its numbers (.json)`);
}

if (positionals[0] === 'train') await trainAll();
else if (positionals[0] === 'report') await report();
else fail('usage: curves.ts train|report [options] (see the comment at the top of tools/curves.ts)');

