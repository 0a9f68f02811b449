/**
 * Measuring the engine (docs/design.md §6), the domain functions behind `shiren bench` and
 * bench/profile.ts: training throughput of config R (2 layers, E=128, H=256, V=6000, B=32, T=48,
 * random tokens; a step = forward, backward, clip, Adam) and the latency of writing one
 * 7-character quatrain (33 incremental steps).
 */
import type { Kernels } from '../engine/kernels.ts';
import { SPECIALS, Vocab, BOS } from '../data/vocab.ts';
import { Model } from '../nn/model.ts';
import type { CellType, ModelConfig } from '../nn/config.ts';
import { clipGradNorm, createOptimizer } from '../nn/optim.ts';
import { Rng } from '../nn/rng.ts';

/** Config R of docs/design.md §6. */
export const CONFIG_R = { layers: 2, embed: 128, hidden: 256, vocab: 6000, batch: 32, steps: 48 } as const;
/** <bos> + 4 lines × (7 characters + punctuation). */
export const QUATRAIN_TOKENS = 33;
export const GEN_REPEATS = 30;
/** lstm first, so that the peak RSS read after it is that of one lstm run. */
export const BENCH_CELLS: readonly CellType[] = ['lstm', 'gru', 'rnn'];

function syntheticVocab(size: number): Vocab {
  return new Vocab([...SPECIALS, ...Array.from({ length: size - SPECIALS.length }, (_, i) => String.fromCodePoint(0x4e00 + i))]);
}

function modelConfig(cell: CellType): ModelConfig {
  return { cell, layers: CONFIG_R.layers, embed: CONFIG_R.embed, hidden: CONFIG_R.hidden, dropout: 0, vocabSize: CONFIG_R.vocab, gruVariant: 'seed', tied: false, titleBag: false };
}

/** Training tokens/s of config R for one cell: 2 warm-up steps, then `seconds` (at least 3 steps). */
export function trainTokensPerSecond(kernels: Kernels<Float32Array>, cell: CellType, seconds: number): { tokensPerS: number; steps: number } {
  const { batch: B, steps: T, vocab: V } = CONFIG_R;
  const model = Model.create(kernels, modelConfig(cell), syntheticVocab(V), 1);
  const optimizer = createOptimizer(kernels, 'adam', model.paramCount);
  const rng = new Rng(2);
  const inputs = kernels.allocInt(B * T), targets = kernels.allocInt(B * T);
  for (let i = 0; i < B * T; i++) {
    inputs[i] = SPECIALS.length + Math.floor(rng.next() * (V - SPECIALS.length));
    targets[i] = SPECIALS.length + Math.floor(rng.next() * (V - SPECIALS.length));
  }
  const step = () => {
    model.lossAndGrad(inputs, targets, B, T, null);
    clipGradNorm(kernels, model.grads, model.paramCount, 1);
    optimizer.step(model.params, model.grads);
  };
  step(); step();
  let steps = 0, elapsed = 0;
  const start = performance.now();
  while (elapsed < seconds * 1000 || steps < 3) {
    step();
    steps++;
    elapsed = performance.now() - start;
  }
  return { tokensPerS: (steps * B * T) / (elapsed / 1000), steps };
}

/** Median ms to write one quatrain token by token (greedy) with an lstm of config R. */
export function generationMs(kernels: Kernels<Float32Array>): number {
  const model = Model.create(kernels, modelConfig('lstm'), syntheticVocab(CONFIG_R.vocab), 1);
  const token = new Int32Array(1);
  const times: number[] = [];
  for (let r = 0; r < GEN_REPEATS + 3; r++) {
    const start = performance.now();
    const state = model.initState(1);
    token[0] = BOS;
    for (let i = 0; i < QUATRAIN_TOKENS; i++) {
      const logits = model.step(state, token);
      let best = 0;
      for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
      token[0] = best;
    }
    if (r >= 3) times.push(performance.now() - start); // the first runs warm up the JIT
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
