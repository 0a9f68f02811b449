/**
 * `shiren bench`: training throughput of config R (docs/design.md §6: 2 layers, E=128, H=256, V=6000,
 * B=32, T=48, random tokens; a step = forward, backward, clip, Adam) for lstm, gru and rnn, and
 * the latency of writing one 7-character quatrain (33 incremental steps on one thread), with the
 * engine named. `--compare` also runs bench/pytorch_ref.py (PyTorch CPU, best thread setting) and
 * prints the ratios. `--json` prints docs/design.md §5's object instead of lines.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { engineHint, selectKernels, type EngineName } from '../engine/index.ts';
import type { CellType } from '../nn/config.ts';
import { BENCH_CELLS, CONFIG_R, GEN_REPEATS, generationMs, trainTokensPerSecond } from '../domain/bench.ts';

export interface BenchOptions {
  /** Print one JSON object (docs/design.md §5) instead of lines. */
  json?: boolean;
  /** Engine (auto, blas, wasm, reference); default auto. */
  engine?: string;
  /** Threads for training (default: all cores); generation is measured on one thread. */
  threads?: number;
  /** Also run bench/pytorch_ref.py and report shiren/PyTorch ratios. */
  compare?: boolean;
  /** Seconds of timed training steps per cell (default 3). */
  seconds?: number;
}

export class BenchError extends Error {
  override name = 'BenchError';
}

interface PytorchResult {
  train_tokens_per_s: Record<CellType, number>;
  gen_ms_per_qijue: number | null;
  peak_rss_mb: Record<CellType, number>;
  best_setting: Record<CellType, unknown>;
  machine: unknown;
}

/** The first of $PYTHON, python3 on the PATH, Debian's /usr/bin/python3 that can import torch. */
function findTorchPython(): string {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  const found = candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  if (!found) throw new BenchError(`no Python with torch found (tried ${candidates.join(', ')}; set PYTHON, or install python3-torch)`);
  return found;
}

function runPytorch(seconds: number): PytorchResult {
  const script = fileURLToPath(new URL('../../bench/pytorch_ref.py', import.meta.url));
  const proc = spawnSync(findTorchPython(), [script, '--seconds', String(seconds)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.error || proc.status !== 0) {
    const why = proc.error ? proc.error.message : proc.stderr.trim().split('\n').pop();
    throw new BenchError(`the PyTorch baseline failed: ${why} (it needs python3 with torch)`);
  }
  return JSON.parse(proc.stdout) as PytorchResult;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export async function runBench(opts: BenchOptions = {}): Promise<void> {
  const seconds = opts.seconds ?? 3;
  const engine = (opts.engine ?? 'auto') as EngineName;
  const kernels = await selectKernels({ engine, threads: opts.threads });
  const log = opts.json ? () => {} : (line: string) => console.log(line);
  // other work on the machine skews every figure, threaded ones most: say so
  const loadBefore = os.loadavg()[0];
  if (loadBefore > 0.5) log(`note: load average ${loadBefore.toFixed(1)} before the run (${os.availableParallelism()} cores): the figures are lower than on an idle machine`);
  const hint = engineHint(kernels);
  log(`engine: ${kernels.name}${hint ? ` (${hint})` : ''}`);
  log(`config R: L=${CONFIG_R.layers} E=${CONFIG_R.embed} H=${CONFIG_R.hidden} V=${CONFIG_R.vocab} B=${CONFIG_R.batch} T=${CONFIG_R.steps}, step = forward + backward + clip + Adam`);

  const train = {} as Record<CellType, number>;
  let peakRssMb = 0;
  for (const cell of BENCH_CELLS) {
    const { tokensPerS, steps } = trainTokensPerSecond(kernels, cell, seconds);
    train[cell] = round(tokensPerS, 1);
    log(`train ${cell.padEnd(4)} ${Math.round(tokensPerS).toLocaleString('en-US').padStart(7)} tokens/s  (${steps} steps, ${((CONFIG_R.batch * CONFIG_R.steps) / tokensPerS * 1000).toFixed(1)} ms/step)`);
    // lstm runs first: the process peak so far is that of one config-R lstm training run
    if (cell === 'lstm') peakRssMb = round(process.resourceUsage().maxRSS / 1024, 1);
  }
  const genKernels = kernels.threads === 1 ? kernels : await selectKernels({ engine, threads: 1 });
  const genMs = round(generationMs(genKernels), 3);
  log(`gen: ${genMs} ms per 7-character quatrain (median of ${GEN_REPEATS}, ${genKernels.name})`);
  log(`peak RSS of the lstm training run: ${peakRssMb} MB`);

  const cpus = os.cpus();
  const result: Record<string, unknown> = {
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, os: `${os.type()} ${os.release()}`, load_avg_before: round(loadBefore, 2) },
    config: { ...CONFIG_R, step: 'forward+backward+clip+adam' },
    engine: kernels.name,
    train_tokens_per_s: train,
    threads: kernels.threads,
    gen_ms_per_qijue: genMs,
    peak_rss_mb: peakRssMb,
  };
  if (opts.compare) {
    log(`running bench/pytorch_ref.py (${seconds} s per setting)…`);
    const torch = runPytorch(seconds);
    const ratios = Object.fromEntries(BENCH_CELLS.map((c) => [c, round(train[c] / torch.train_tokens_per_s[c], 2)]));
    result.pytorch = torch;
    result.ratio_vs_pytorch = ratios;
    for (const cell of BENCH_CELLS) {
      log(`${cell.padEnd(4)} shiren ${Math.round(train[cell])} vs PyTorch ${Math.round(torch.train_tokens_per_s[cell])} tokens/s: ${ratios[cell]}×`);
    }
    if (torch.gen_ms_per_qijue) log(`gen  shiren ${genMs} ms vs PyTorch ${torch.gen_ms_per_qijue} ms per quatrain: ${round(torch.gen_ms_per_qijue / genMs, 2)}× faster`);
    log(`peak RSS, lstm: shiren ${peakRssMb} MB vs PyTorch ${torch.peak_rss_mb.lstm} MB`);
  }
  if (opts.json) console.log(JSON.stringify(result, null, 1));
}
