/**
 * The character language model: Embedding(V,E) → L recurrent layers (rnn | lstm | gru, hidden H,
 * dropout on each layer's output while training) → Linear(H,V) → masked softmax cross-entropy.
 *
 * Contract
 * - `params` and `grads` are single flat buffers described by `table` (PyTorch names, params.ts).
 * - `lossAndGrad` takes inputs/targets [B,T] row-major (batch-major, as the data loader writes
 *   them); target 0 (<pad>) is ignored. It zeroes `grads`, runs forward and backward, and returns
 *   the SUM of −log p over kept targets and their count; the gradient in `grads` is that of the
 *   MEAN (sum / tokens), which is what optimizers and clipping expect.
 * - Internally every sequence buffer is TIME-MAJOR [T,B,·] (recurrent.ts explains why); the
 *   token ids are transposed once on entry.
 * - Training buffers are allocated for the largest B·T seen and reused; generation buffers for
 *   the largest S seen. The kernels' buffers are never freed (WASM memory only grows), so callers
 *   should keep B and T stable.
 * - `step` is incremental decoding (LanguageModel): one token per sequence per call, carrying
 *   h (and c) of every layer in a ModelState. States are ordinary JS arrays (garbage-collected:
 *   beam search makes one per step), copied into kernel memory around each step.
 *
 * Legend: B batch, T steps, N = T·B rows, E embed, H hidden, G gates, GH = G·H, V vocab,
 * L layers, S parallel sequences at generation.
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';
import { PAD, BOS, EOS, type Vocab } from '../data/vocab.ts';
import type { LanguageModel, RecurrentState } from './lm.ts';
import { gateCount, validateConfig, type ModelConfig } from './config.ts';
import { initParams, paramCount, paramTable, paramView, type ParamEntry } from './params.ts';
import {
  allocActivations, cellStep, inputProjection, recurrentBackward, recurrentForward,
  type BackwardScratch, type LayerActivations, type LayerWeights,
} from './recurrent.ts';
import { dropoutMask, linearBackward, linearForward } from './layers.ts';
import { Rng } from './rng.ts';

/** Recurrent state of S sequences: h (and c for lstm) of every layer, in plain JS memory. */
export class ModelState implements RecurrentState {
  constructor(
    readonly size: number,
    readonly h: FloatArray[], // L × [S,H]
    readonly c: FloatArray[] | null, // L × [S,H], lstm only
  ) {}
}

/** Buffers of one training/scoring pass, for up to `rows` = B·T rows and `batch` = B. */
interface Workspace<F extends FloatArray> {
  rows: number;
  batch: number;
  ids: Int32Array; // [T,B] inputs, time-major
  targets: Int32Array; // [T,B]
  emb: F; // [T,B,E]
  acts: LayerActivations<F>[]; // L
  masks: F[]; // L × [T,B,H] dropout masks (empty when dropout is 0)
  dropped: F[]; // L × [T,B,H] masked layer outputs (empty when dropout is 0)
  logits: F; // [T,B,V], overwritten by dlogits
  dOut: F; // [T,B,H] gradient of a layer output
  dIn: F; // [T,B,H] gradient of a layer input (swapped with dOut going down)
  dEmb: F; // [T,B,E]
  scratch: BackwardScratch<F>;
}

/** Buffers of one generation step for up to S sequences. */
interface StepWorkspace<F extends FloatArray> {
  size: number;
  ids: Int32Array; // [S]
  emb: F; // [S,E]
  pre: F; // [S,GH]
  hPrev: F; // [S,H] one layer's state, copied in
  cPrev: F; // [S,H]
  h: F; // [S,H] its new state, copied out (and the next layer's input)
  c: F; // [S,H]
  gates: F; // [S,3H] (gru)
  rh: F; // [S,H] (gru)
  logits: F; // [S,V]
  logits32: Float32Array; // [S,V] copy handed out when F is Float64Array
}

export class Model<F extends FloatArray = Float32Array> implements LanguageModel {
  readonly table: ParamEntry[];
  readonly params: F;
  readonly grads: F;
  /** The `train` summary of the file this model was loaded from, if any. */
  trainSummary?: Record<string, unknown>;

  private readonly weights: LayerWeights<F>[];
  private readonly weightGrads: LayerWeights<F>[];
  private ws: Workspace<F> | null = null;
  private sw: StepWorkspace<F> | null = null;
  /** Whether the last forward pass applied dropout (backward must apply the same masks). */
  private dropping = false;

  private constructor(readonly kernels: Kernels<F>, readonly config: ModelConfig, readonly vocab: Vocab) {
    validateConfig(config);
    if (config.vocabSize !== vocab.size) {
      throw new Error(`model vocabSize ${config.vocabSize} does not match the vocabulary (${vocab.size} symbols)`);
    }
    this.table = paramTable(config);
    this.params = kernels.alloc(paramCount(this.table));
    this.grads = kernels.alloc(paramCount(this.table));
    const views = (flat: F) =>
      Array.from({ length: config.layers }, (_, k) => ({
        wIh: paramView(flat, this.table, `rnn.weight_ih_l${k}`),
        wHh: paramView(flat, this.table, `rnn.weight_hh_l${k}`),
        bIh: paramView(flat, this.table, `rnn.bias_ih_l${k}`),
        bHh: paramView(flat, this.table, `rnn.bias_hh_l${k}`),
      }));
    this.weights = views(this.params);
    this.weightGrads = views(this.grads);
  }

  /**
   * A model with PyTorch's default initialisation drawn from `seed`, or all-zero parameters when
   * seed is null (for loading, which overwrites them).
   */
  static create<F extends FloatArray>(kernels: Kernels<F>, config: ModelConfig, vocab: Vocab, seed: number | null): Model<F> {
    const model = new Model(kernels, config, vocab);
    if (seed !== null) initParams(model.params, model.table, config, new Rng(seed));
    return model;
  }

  get paramCount(): number {
    return this.params.length;
  }

  /** The view of one named tensor of the parameters (or of the gradients with `grads`). */
  tensor(name: string, of: 'params' | 'grads' = 'params'): F {
    return paramView(of === 'params' ? this.params : this.grads, this.table, name);
  }

  /**
   * Forward and backward on one batch; see the file contract. `dropoutRng` draws the dropout
   * masks; null (or config.dropout 0) trains without dropout.
   */
  lossAndGrad(inputs: Int32Array, targets: Int32Array, B: number, T: number, dropoutRng: Rng | null): { loss: number; tokens: number } {
    const ws = this.prepare(inputs, targets, B, T);
    this.forward(ws, B, T, this.config.dropout > 0 ? dropoutRng : null);
    const tokens = countTargets(ws.targets, B * T);
    this.grads.fill(0);
    const loss = this.kernels.softmaxCrossEntropy(ws.logits, ws.logits, ws.targets, B * T, this.config.vocabSize, PAD, tokens > 0 ? 1 / tokens : 0);
    this.backward(ws, B, T);
    return { loss, tokens };
  }

  /** Forward only, no dropout: the summed −log p over kept targets and their count. */
  loss(inputs: Int32Array, targets: Int32Array, B: number, T: number): { loss: number; tokens: number } {
    const ws = this.prepare(inputs, targets, B, T);
    this.forward(ws, B, T, null);
    const tokens = countTargets(ws.targets, B * T);
    const loss = this.kernels.softmaxCrossEntropy(ws.logits, ws.logits, ws.targets, B * T, this.config.vocabSize, PAD, 1);
    return { loss, tokens };
  }

  /** Logits [B,T,V] (batch-major, a fresh copy) of a forward pass without dropout. */
  logits(inputs: Int32Array, B: number, T: number): F {
    const ws = this.prepare(inputs, new Int32Array(B * T), B, T);
    this.forward(ws, B, T, null);
    const V = this.config.vocabSize;
    const out = this.plainArray(B * T * V);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) out.set(ws.logits.subarray((t * B + b) * V, (t * B + b + 1) * V), (b * T + t) * V);
    }
    return out;
  }

  /**
   * Natural-log probability of all targets of `<bos> ids <eos>` (docs/design.md §5 score): the ids of a
   * text, without the special symbols.
   */
  logprob(ids: readonly number[]): number {
    const T = ids.length + 1;
    const inputs = Int32Array.from([BOS, ...ids]);
    const targets = Int32Array.from([...ids, EOS]);
    return -this.loss(inputs, targets, 1, T).loss;
  }

  initState(S: number): ModelState {
    const { layers, hidden: H, cell } = this.config;
    const make = () => Array.from({ length: layers }, () => this.plainArray(S * H));
    return new ModelState(S, make(), cell === 'lstm' ? make() : null);
  }

  selectState(state: RecurrentState, rows: Int32Array): ModelState {
    const src = state as ModelState;
    const out = this.initState(rows.length);
    const H = this.config.hidden;
    const copy = (from: FloatArray[], to: FloatArray[]) =>
      from.forEach((buf, k) => rows.forEach((r, i) => to[k].set(buf.subarray(r * H, (r + 1) * H), i * H)));
    copy(src.h, out.h);
    if (src.c && out.c) copy(src.c, out.c);
    return out;
  }

  step(state: RecurrentState, tokens: Int32Array): Float32Array {
    const st = state as ModelState;
    const S = st.size;
    const { embed: E, hidden: H, cell, vocabSize: V } = this.config;
    const GH = gateCount(cell) * H;
    const sw = this.stepWorkspace(S);
    const k = this.kernels;
    checkIds(tokens, S, V);
    sw.ids.set(tokens);
    k.embeddingForward(sw.emb, this.tensor('embedding.weight'), sw.ids, S, E);
    let x = sw.emb;
    let I = E;
    for (let l = 0; l < this.config.layers; l++) {
      inputProjection(k, sw.pre, x, this.weights[l], S, I, GH); // done reading x (= sw.h above layer 0)
      sw.hPrev.set(st.h[l]);
      if (st.c) sw.cPrev.set(st.c[l]);
      cellStep(k, cell, this.weights[l], {
        pre: sw.pre, hPrev: sw.hPrev, h: sw.h, cPrev: sw.cPrev, c: sw.c, gates: sw.gates, rh: sw.rh,
      }, S, H);
      st.h[l].set(sw.h.subarray(0, S * H));
      if (st.c) st.c[l].set(sw.c.subarray(0, S * H));
      x = sw.h;
      I = H;
    }
    linearForward(k, sw.logits, x, this.tensor('fc.weight'), this.tensor('fc.bias'), S, H, V);
    if (sw.logits instanceof Float32Array) return sw.logits.subarray(0, S * V);
    sw.logits32.set(sw.logits.subarray(0, S * V));
    return sw.logits32.subarray(0, S * V);
  }

  /** Grows the workspace if needed and loads the batch into it, transposed to time-major. */
  private prepare(inputs: Int32Array, targets: Int32Array, B: number, T: number): Workspace<F> {
    const N = B * T;
    if (inputs.length < N || targets.length < N) throw new Error(`batch needs ${N} inputs and targets, got ${inputs.length} and ${targets.length}`);
    checkIds(inputs, N, this.config.vocabSize);
    checkIds(targets, N, this.config.vocabSize);
    const ws = this.workspace(N, B);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        ws.ids[t * B + b] = inputs[b * T + t];
        ws.targets[t * B + b] = targets[b * T + t];
      }
    }
    return ws;
  }

  private forward(ws: Workspace<F>, B: number, T: number, dropoutRng: Rng | null): void {
    const { embed: E, hidden: H, cell, vocabSize: V, dropout } = this.config;
    const k = this.kernels;
    const N = B * T;
    this.dropping = dropoutRng !== null;
    k.embeddingForward(ws.emb, this.tensor('embedding.weight'), ws.ids, N, E);
    let x = ws.emb;
    let I = E;
    for (let l = 0; l < this.config.layers; l++) {
      recurrentForward(k, cell, this.weights[l], ws.acts[l], x, ws.scratch.zeros, T, B, I, H);
      x = ws.acts[l].h;
      if (dropoutRng) {
        dropoutMask(ws.masks[l], N * H, dropout, dropoutRng);
        k.mul(ws.dropped[l], x, ws.masks[l], N * H);
        x = ws.dropped[l];
      }
      I = H;
    }
    linearForward(k, ws.logits, x, this.tensor('fc.weight'), this.tensor('fc.bias'), N, H, V);
  }

  /** Backward from ws.logits holding dlogits; accumulates into the (zeroed) grads. */
  private backward(ws: Workspace<F>, B: number, T: number): void {
    const { embed: E, hidden: H, cell, vocabSize: V, layers: L } = this.config;
    const k = this.kernels;
    const N = B * T;
    const layerOutput = (l: number) => (this.dropping ? ws.dropped[l] : ws.acts[l].h);
    linearBackward(k, ws.dOut, this.tensor('fc.weight', 'grads'), this.tensor('fc.bias', 'grads'),
      ws.logits, layerOutput(L - 1), this.tensor('fc.weight'), N, H, V);
    let dOut = ws.dOut;
    let dIn = ws.dIn;
    for (let l = L - 1; l >= 0; l--) {
      if (this.dropping) k.mul(dOut, dOut, ws.masks[l], N * H);
      const x = l === 0 ? ws.emb : layerOutput(l - 1);
      const dx = l === 0 ? ws.dEmb : dIn;
      recurrentBackward(k, cell, this.weights[l], this.weightGrads[l], ws.acts[l], x, dOut, dx, ws.scratch, T, B, l === 0 ? E : H, H);
      [dOut, dIn] = [dIn, dOut];
    }
    k.embeddingBackward(this.tensor('embedding.weight', 'grads'), ws.dEmb, ws.ids, N, E);
  }

  private workspace(N: number, B: number): Workspace<F> {
    if (this.ws && this.ws.rows >= N && this.ws.batch >= B) return this.ws;
    const rows = Math.max(N, this.ws?.rows ?? 0);
    const batch = Math.max(B, this.ws?.batch ?? 0);
    const { embed: E, hidden: H, cell, vocabSize: V, layers: L, dropout } = this.config;
    const k = this.kernels;
    const perLayer = (make: () => F) => (dropout > 0 ? Array.from({ length: L }, make) : []);
    this.ws = {
      rows, batch,
      ids: k.allocInt(rows),
      targets: k.allocInt(rows),
      emb: k.alloc(rows * E),
      acts: Array.from({ length: L }, () => allocActivations(k, cell, rows, H)),
      masks: perLayer(() => k.alloc(rows * H)),
      dropped: perLayer(() => k.alloc(rows * H)),
      logits: k.alloc(rows * V),
      dOut: k.alloc(rows * H),
      dIn: k.alloc(rows * H),
      dEmb: k.alloc(rows * E),
      scratch: {
        dpre: k.alloc(rows * gateCount(cell) * H),
        carry: k.alloc(batch * H),
        drh: k.alloc(batch * H),
        zeros: k.alloc(batch * H),
      },
    };
    return this.ws;
  }

  /** An ordinary (garbage-collected) array of the model's float type, for results and states. */
  private plainArray(n: number): F {
    return (this.kernels.dtype === 'f64' ? new Float64Array(n) : new Float32Array(n)) as F;
  }

  private stepWorkspace(S: number): StepWorkspace<F> {
    if (this.sw && this.sw.size >= S) return this.sw;
    const { embed: E, hidden: H, cell, vocabSize: V } = this.config;
    const k = this.kernels;
    this.sw = {
      size: S,
      ids: k.allocInt(S),
      emb: k.alloc(S * E),
      pre: k.alloc(S * gateCount(cell) * H),
      hPrev: k.alloc(S * H),
      cPrev: k.alloc(S * H),
      h: k.alloc(S * H),
      c: k.alloc(S * H),
      gates: k.alloc(S * 3 * H),
      rh: k.alloc(S * H),
      logits: k.alloc(S * V),
      logits32: k.dtype === 'f32' ? new Float32Array(0) : new Float32Array(S * V),
    };
    return this.sw;
  }
}

function countTargets(targets: Int32Array, N: number): number {
  let n = 0;
  for (let i = 0; i < N; i++) if (targets[i] !== PAD) n++;
  return n;
}

/** Out-of-range ids would silently read outside the embedding table: refuse them. */
function checkIds(ids: Int32Array, n: number, V: number): void {
  for (let i = 0; i < n; i++) {
    if (!(ids[i] >= 0 && ids[i] < V)) throw new Error(`token id ${ids[i]} out of range [0, ${V})`);
  }
}
