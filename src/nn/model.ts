/**
 * The character language model: Embedding(V,E) → L recurrent layers (rnn | lstm | gru, hidden H,
 * dropout on each layer's output while training) → Linear(H,V) → masked softmax cross-entropy.
 * A tied model (config.tied) has instead of Linear(H,V) a projection p = P h (`proj.weight`
 * [E,H], no bias) and logits = Emb p + b, Emb the input's own `embedding.weight` [V,E]: its
 * gradient gathers both uses (the output's, then the input rows'), as every gradient accumulates.
 * With a title bag (config.titleBag) p = P h + A m, m the mean embedding of the title read so far
 * (`title.weight` A [E,E]; src/nn/title-bag.ts): the embedding's gradient gathers that use too.
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
 *   beam search makes one per step), copied into kernel memory around each step. It multiplies
 *   by its own `DecodeWeights` (setDecodePrecision: the f32 parameters, the default, or their
 *   int8 copies, src/nn/int8.ts), through the row-invariant products of src/nn/matmul.ts, so a
 *   sequence's logits do not depend on the others in its batch, bit for bit. The output layer
 *   computes only the columns each row will read (`reads`: none for a forced token, the allowed
 *   characters' ranges when a poem reads no others), and those are the full step's, bit for bit
 *   (the products are column-invariant too). Training, scoring and `trace` multiply by the
 *   parameters themselves (the batch GEMM).
 * - Dropout masks are drawn before the forward pass and handed explicitly to forward and backward
 *   (null: no dropout), so the two cannot disagree about them.
 * - `trace` runs the training forward pass on one sequence and hands out what the cells computed
 *   (gates, cell states, hidden states: cells/*.ts `signals`) for inspect.
 *
 * Legend: B batch, T steps, N = T·B rows, E embed, H hidden, G gates, GH = G·H, V vocab,
 * L layers, S parallel sequences at generation.
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';
import { PAD, BOS, EOS, type Vocab } from '../data/vocab.ts';
import type { LanguageModel, ListSampler, RecurrentState, RowRead } from './lm.ts';
import { DECODE_PRECISIONS, gateCount, validateConfig, type DecodePrecision, type ModelConfig } from './config.ts';
import { initParams, paramCount, paramTable, paramView, type ParamEntry } from './params.ts';
import { cellFor, inputProjection, sequenceBackward, sequenceForward } from './recurrent.ts';
import type { AnyCell, CellBuffers, CellState, CellWeights, Signal } from './cells/cell.ts';
import { dropoutMask, linearBackward, linearForward } from './layers.ts';
import { Rng } from './rng.ts';
import { int8Activations, quantizeMatrix } from './int8.ts';
import { matmulNT, matmulNTColumns, type DecodeMatrix } from './matmul.ts';
import { bagAdd, titleBagBackward, titleBagForward, type TitleTokens } from './title-bag.ts';
import { SEP } from '../data/sequence.ts';

/** Recurrent state of S sequences: h (and c for lstm) of every layer, in plain JS memory. */
export class ModelState implements RecurrentState {
  constructor(
    readonly size: number,
    /** L × the cell's state fields (its `stateNames`: h, and c for lstm) × [S,H]. */
    readonly layers: FloatArray[][],
    /** config.titleBag: each sequence's title bag so far (title-bag.ts): the mean m [S,E], the count c [S], and whether the title is still open (no `<sep>` read) [S]. */
    readonly title?: { m: FloatArray; count: Float64Array; open: Uint8Array },
  ) {}
}

/** The dropout of one training pass: masks drawn before the forward pass, for all L layers. */
interface Dropout<F extends FloatArray> {
  masks: F[]; // L × [T,B,H] inverted-dropout masks (layers.ts dropoutMask)
  dropped: F[]; // L × [T,B,H] masked layer outputs, written by forward
}

/** What `trace` returns for one sequence of T inputs. */
export interface Trace {
  /** [T] ln p(target_t | inputs ≤ t), from the same kernel as `loss`. */
  logprobs: Float64Array;
  /** [T,V] the logits of every step (a copy). */
  logits: Float64Array;
  /** [T][L] the cell's signals (cells/*.ts `signals`) at each step of each layer, copied. */
  signals: { name: string; summary: Signal<FloatArray>['summary']; units: Float64Array }[][][];
}

/** Buffers of one training/scoring pass, for up to `rows` = B·T rows and `batch` = B. */
interface Workspace<F extends FloatArray> {
  rows: number;
  batch: number;
  ids: Int32Array; // [T,B] inputs, time-major
  targets: Int32Array; // [T,B]
  emb: F; // [T,B,E]
  acts: CellBuffers<F>[]; // L × the cell's buffers for T·B rows
  dropout: Dropout<F> | null; // null when config.dropout is 0
  proj: F; // [T,B,E] tied: the last layer's output projected, p = P h (empty untied)
  logits: F; // [T,B,V], overwritten by dlogits
  dProj: F; // [T,B,E] tied: the gradient of p (empty untied)
  titleM: F; // [T,B,E] title bag: m, the mean title embedding so far (empty without)
  titleCount: F; // [T,B] title bag: c, the title positions so far
  isTitle: Uint8Array; // [T,B] title bag: 1 at a title position
  dTitleM: F; // [T,B,E] title bag: the gradient of m
  titleScratch: F; // [E] title bag: backward's running sum
  dOut: F; // [T,B,H] gradient of a layer output
  dIn: F; // [T,B,H] gradient of a layer input (swapped with dOut going down)
  dEmb: F; // [T,B,E]
  dpre: F; // [T,B,GH] pre-activation gradients of the layer being differentiated
  scratch: unknown; // the cell's backward scratch for B rows (cells/*.ts allocScratch)
  zeros: F; // [B,H] the zero initial state (never written)
}

/**
 * What the generation step multiplies by, in one precision: each layer's weight_ih and weight_hh
 * and the output layer's matrices (fc.weight, or tied proj.weight and embedding.weight) as decode
 * matrices (src/nn/matmul.ts: f32 views of the parameters or int8 copies), the biases the
 * parameters. (A tied step looks its input up in the f32 embedding, whatever the precision.)
 */
interface DecodeWeights<F extends FloatArray> {
  precision: DecodePrecision;
  layers: CellWeights<F, DecodeMatrix<F>>[]; // L
  proj: DecodeMatrix<F> | null; // [E,H] tied: proj.weight, multiplied before `out`; null untied
  title: DecodeMatrix<F> | null; // [E,E] title bag: title.weight, its product added to p; null without
  out: DecodeMatrix<F>; // the output rows: [V,H] fc.weight, or tied [V,E] embedding.weight
}

/** Buffers of one generation step for up to S sequences. */
interface StepWorkspace<F extends FloatArray> {
  size: number;
  ids: Int32Array; // [S]
  emb: F; // [S,E]
  acts: CellBuffers<F>; // the cell's buffers for S rows; acts.h is the next layer's input
  prev: CellState<F>; // [S,H] fields: one layer's state, copied in from the ModelState
  proj: F; // [S,E] tied: p = P h of the rows the output layer computes (empty untied)
  titleM: F; // [S,E] title bag: the rows' m, copied in from the ModelState (empty without)
  logits: F; // [S,V]
  logits32: Float32Array; // [S,V] copy handed out when F is Float64Array
  /** [S,H] the last layer's rows of an output group that does not lie together, [S,E] their p (tied; empty untied) and [S,V] their logits (outputLayer; made when first needed: DecodeBatch lays a group's rows together) */
  gathered?: { x: F; proj: F; logits: F; titleM: F };
}

export class Model<F extends FloatArray = Float32Array> implements LanguageModel {
  readonly table: ParamEntry[];
  readonly params: F;
  readonly grads: F;
  /** The `train` summary of the file this model was loaded from, if any. */
  trainSummary?: Record<string, unknown>;

  private readonly cell: AnyCell<F>;
  private readonly weights: CellWeights<F>[];
  private readonly weightGrads: CellWeights<F>[];
  private trainWs: Workspace<F> | null = null;
  /** The weights of `step` (setDecodePrecision; f32 until then). */
  private decode: DecodeWeights<F>;
  private stepWs: StepWorkspace<F> | null = null;
  private listSampler?: ListSampler;
  /** config.titleBag: which ids are title positions and the `<sep>` that closes a title. */
  private readonly titleTokens: TitleTokens | null;

  private constructor(readonly kernels: Kernels<F>, readonly config: ModelConfig, readonly vocab: Vocab) {
    validateConfig(config);
    if (config.vocabSize !== vocab.size) {
      throw new Error(`model vocabSize ${config.vocabSize} does not match the vocabulary (${vocab.size} symbols)`);
    }
    this.table = paramTable(config);
    this.cell = cellFor<F>(config.cell);
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
    const sep = vocab.id(SEP);
    if (config.titleBag && sep === undefined) throw new Error('a title bag needs a title-conditioned vocabulary (condition title: <sep> and the form symbols)');
    this.titleTokens = config.titleBag ? { sep: sep!, titleable: Uint8Array.from(vocab.symbols, (_, id) => (vocab.isControl(id) ? 0 : 1)) } : null;
    this.decode = this.decodeWeights('f32');
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

  /**
   * Plain sampling over candidate lists in the kernels (LanguageModel.sampler: generate.ts), for
   * float32 kernels, whose memory holds the logits `step` returns; undefined otherwise.
   */
  get sampler(): ListSampler | undefined {
    const k = this.kernels;
    if (k.dtype !== 'f32') return undefined;
    if (!this.listSampler) {
      const V = this.config.vocabSize;
      const ids = k.allocInt(V), w = k.alloc(3 * V), target = k.allocInt(1), scratch = k.alloc(V), out = k.alloc(2);
      this.listSampler = {
        ids,
        scratch: scratch as Float32Array,
        sample: (row, n, invT, u) => k.sampleList(row as F, ids, n, invT, u, w),
        logSumExpAmong: (row, n) => k.logSumExpList(row as F, ids, n, w),
        guided: (t, u, n, gamma, invT, r) => {
          const index = k.guidedSample(t as F, u as F, ids, n, gamma, invT, r, w, out);
          return { index, lseT: out[0], lseU: out[1] };
        },
        // −log softmax(row)[id] is the cross-entropy kernel on one row (its gradient goes to w, unused)
        logProb: (row, id) => ((target[0] = id), -k.softmaxCrossEntropy(w, row as F, target, 1, V, -1, 1)),
      };
    }
    return this.listSampler;
  }

  /** The weights `step` multiplies by: 'f32' (the parameters, the default) or 'int8' (setDecodePrecision). */
  get decodePrecision(): DecodePrecision {
    return this.decode.precision;
  }

  /**
   * Chooses the weights of `step` (generation). 'int8' makes per-row int8 copies of every matrix
   * a step multiplies by (each layer's weight_ih and weight_hh, fc.weight, or tied proj.weight and
   * embedding.weight) from the parameters as they are now (call again after changing them); 'f32'
   * multiplies by the parameters. Training, scoring and `trace` always use the f32 parameters.
   */
  setDecodePrecision(precision: DecodePrecision): void {
    if (!DECODE_PRECISIONS.includes(precision)) throw new Error(`unknown precision '${precision}' (expected ${DECODE_PRECISIONS.join(' or ')})`);
    this.decode = this.decodeWeights(precision);
  }

  /** The step's weights in `precision` (int8: quantized now, into kernel memory). */
  private decodeWeights(precision: DecodePrecision): DecodeWeights<F> {
    const { embed: E, hidden: H, vocabSize: V } = this.config;
    const GH = gateCount(this.cell.type) * H;
    const k = this.kernels;
    const act = precision === 'int8' ? int8Activations(k) : null;
    const matrix = (W: F, rows: number, cols: number): DecodeMatrix<F> =>
      act ? quantizeMatrix(k, W, rows, cols, act) : { kind: 'f32', rows, cols, data: W };
    return {
      precision,
      layers: this.weights.map((w, l) => ({ ...w, wIh: matrix(w.wIh, GH, l === 0 ? E : H), wHh: matrix(w.wHh, GH, H) })),
      proj: this.config.tied ? matrix(this.tensor('proj.weight'), E, H) : null,
      title: this.config.titleBag ? matrix(this.tensor('title.weight'), E, E) : null,
      out: this.config.tied ? matrix(this.tensor('embedding.weight'), V, E) : matrix(this.tensor('fc.weight'), V, H),
    };
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
    const trainWs = this.prepare(inputs, targets, B, T);
    const dropout = trainWs.dropout && dropoutRng ? drawMasks(trainWs.dropout, B * T * this.config.hidden, this.config.dropout, dropoutRng) : null;
    this.forward(trainWs, B, T, dropout);
    const tokens = countTargets(trainWs.targets, B * T);
    this.grads.fill(0);
    const loss = this.kernels.softmaxCrossEntropy(trainWs.logits, trainWs.logits, trainWs.targets, B * T, this.config.vocabSize, PAD, tokens > 0 ? 1 / tokens : 0);
    this.backward(trainWs, B, T, dropout);
    return { loss, tokens };
  }

  /**
   * ∂(mean loss)/∂x [B,T,E] (batch-major, a fresh copy): the gradient that reached each input
   * vector (embedding output) in the last lossAndGrad with this B and T. For measuring how far
   * back gradients reach (tools/gradient-flow.ts).
   */
  inputGradient(B: number, T: number): F {
    if (!this.trainWs || this.trainWs.rows < B * T) throw new Error('inputGradient needs a lossAndGrad with this B and T first');
    const E = this.config.embed;
    const out = this.plainArray(B * T * E);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) out.set(this.trainWs.dEmb.subarray((t * B + b) * E, (t * B + b + 1) * E), (b * T + t) * E);
    }
    return out;
  }

  /** Forward only, no dropout: the summed −log p over kept targets and their count. */
  loss(inputs: Int32Array, targets: Int32Array, B: number, T: number): { loss: number; tokens: number } {
    const trainWs = this.prepare(inputs, targets, B, T);
    this.forward(trainWs, B, T, null);
    const tokens = countTargets(trainWs.targets, B * T);
    const loss = this.kernels.softmaxCrossEntropy(trainWs.logits, trainWs.logits, trainWs.targets, B * T, this.config.vocabSize, PAD, 1);
    return { loss, tokens };
  }

  /** Logits [B,T,V] (batch-major, a fresh copy) of a forward pass without dropout. */
  logits(inputs: Int32Array, B: number, T: number): F {
    const trainWs = this.prepare(inputs, new Int32Array(B * T), B, T);
    this.forward(trainWs, B, T, null);
    const V = this.config.vocabSize;
    const out = this.plainArray(B * T * V);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) out.set(trainWs.logits.subarray((t * B + b) * V, (t * B + b + 1) * V), (b * T + t) * V);
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

  /**
   * One sequence through the training forward pass (no dropout): per step the log-probability of
   * its target, the logits, and what each layer's cell computed (inputs, targets [T]).
   */
  trace(inputs: Int32Array, targets: Int32Array): Trace {
    const T = inputs.length;
    const { layers: L, vocabSize: V, hidden: H } = this.config;
    const trainWs = this.prepare(inputs, targets, 1, T);
    this.forward(trainWs, 1, T, null);
    const logits = Float64Array.from(trainWs.logits.subarray(0, T * V));
    const signals = Array.from({ length: T }, (_, t) =>
      Array.from({ length: L }, (_, l) => this.cell.signals(trainWs.acts[l], t, H).map((s) => ({
        name: s.name, summary: s.summary, units: Float64Array.from(s.units),
      }))));
    // Row by row through the loss kernel, so the log-probabilities sum to `loss` exactly as it
    // adds them (the kernel overwrites each row with its gradient: logits were copied above).
    const logprobs = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      logprobs[t] = -this.kernels.softmaxCrossEntropy(trainWs.logits.subarray(t * V, (t + 1) * V) as F,
        trainWs.logits.subarray(t * V, (t + 1) * V) as F, trainWs.targets.subarray(t, t + 1), 1, V, -1, 1);
    }
    return { logprobs, logits, signals };
  }

  initState(S: number): ModelState {
    const { layers, hidden: H, embed: E } = this.config;
    const title = this.titleTokens ? { m: this.plainArray(S * E), count: new Float64Array(S), open: new Uint8Array(S).fill(1) } : undefined;
    return new ModelState(S, Array.from({ length: layers }, () => this.cell.stateNames.map(() => this.plainArray(S * H))), title);
  }

  selectState(state: RecurrentState, rows: Int32Array): ModelState {
    const src = state as ModelState;
    // every row in its place (one poem, or a batch that neither joined nor left): the state itself
    if (rows.length === src.size && rows.every((r, i) => r === i)) return src;
    const out = this.initState(rows.length);
    const H = this.config.hidden;
    src.layers.forEach((fields, l) => fields.forEach((buf, f) =>
      rows.forEach((r, i) => { if (r >= 0) out.layers[l][f].set(buf.subarray(r * H, (r + 1) * H), i * H); })));
    if (src.title && out.title) {
      const E = this.config.embed;
      rows.forEach((r, i) => {
        if (r < 0) return; // a sequence joining: an empty, open bag (initState)
        out.title!.m.set(src.title!.m.subarray(r * E, (r + 1) * E), i * E);
        out.title!.count[i] = src.title!.count[r]!;
        out.title!.open[i] = src.title!.open[r]!;
      });
    }
    return out;
  }

  step(state: RecurrentState, tokens: Int32Array, reads?: readonly RowRead[]): Float32Array {
    const st = state as ModelState;
    const S = st.size;
    const { embed: E, hidden: H, vocabSize: V } = this.config;
    const cell = this.cell;
    const GH = gateCount(cell.type) * H;
    const stepWs = this.stepWorkspace(S);
    const k = this.kernels;
    const w = this.decode;
    checkIds(tokens, S, V);
    stepWs.ids.set(tokens);
    k.embeddingForward(stepWs.emb, this.tensor('embedding.weight'), stepWs.ids, S, E);
    if (this.titleTokens) this.titleBagStep(st, tokens, stepWs);
    let x = stepWs.emb;
    let I = E;
    for (let l = 0; l < this.config.layers; l++) {
      inputProjection(k, stepWs.acts.pre, x, w.layers[l], S, I, GH); // done reading x (= acts.h above layer 0)
      const prev = cell.stateFields(stepWs.prev);
      st.layers[l].forEach((buf, f) => prev[f].set(buf));
      cell.step(k, stepWs.acts, stepWs.prev, w.layers[l], S, H);
      cell.stateFields(cell.state(stepWs.acts)).forEach((buf, f) => st.layers[l][f].set(buf.subarray(0, S * H)));
      x = stepWs.acts.h;
      I = H;
    }
    this.outputLayer(stepWs, x, S, reads);
    if (stepWs.logits instanceof Float32Array) return stepWs.logits.subarray(0, S * V);
    stepWs.logits32.set(stepWs.logits.subarray(0, S * V));
    return stepWs.logits32.subarray(0, S * V);
  }

  /**
   * The output layer of a step (three quarters of its multiply-adds untied, over half tied) for
   * what `reads` asks of each row (every column of every row without it): rows that read the same
   * columns share one product, in place where they lie together, else gathered into the front of a
   * scratch and their logits copied back; a tied model projects a group's rows first (all E
   * columns of p; none for rows that read nothing). The decode products are row- and
   * column-invariant (matmul.ts), so a logit read is the full step's, bit for bit, whatever else
   * is computed or skipped.
   */
  private outputLayer(stepWs: StepWorkspace<F>, x: F, S: number, reads?: readonly RowRead[]): void {
    const { hidden: H, embed: E, vocabSize: V } = this.config;
    const k = this.kernels;
    const { proj, out, title } = this.decode;
    const K = proj ? E : H; // the depth of the product by `out`
    const bias = this.tensor('fc.bias');
    const logits = stepWs.logits;
    /**
     * What `out` multiplies for M rows A [M,H]: A itself, or tied p [M,E] = A · Pᵀ (+ m · titleᵀ
     * with a title bag, m [M,E] the rows' bags), written to `p`.
     */
    const outInput = (A: F, p: F, M: number, m: F): F => {
      if (!proj) return A;
      matmulNT(k, p, E, A, proj, M, E, H, 0);
      if (title) matmulNT(k, p, E, m, title, M, E, E, 1);
      return p;
    };
    if (!reads) {
      linearForward(k, logits, outInput(x, stepWs.proj, S, stepWs.titleM), out, bias, S, K, V);
      return;
    }
    if (reads.length !== S) throw new Error(`step: ${reads.length} row reads for ${S} rows`);
    const all = [0, V];
    const groups = new Map<string, { ranges: readonly number[]; rows: number[] }>();
    for (let i = 0; i < S; i++) {
      const ranges = reads[i] ?? all;
      if (!ranges.length) continue;
      const key = ranges === all ? '' : ranges.join();
      const g = groups.get(key);
      if (g) g.rows.push(i);
      else groups.set(key, { ranges: checkRanges(ranges, V), rows: [i] });
    }
    for (const { ranges, rows } of groups.values()) {
      const M = rows.length;
      const together = rows[M - 1] - rows[0] === M - 1;
      // a group of rows lying together is computed where it lies; others in the scratch's front rows
      const gathered = together ? undefined : (stepWs.gathered ??= { x: k.alloc(stepWs.size * H), proj: k.alloc(proj ? stepWs.size * E : 0), logits: k.alloc(stepWs.size * V), titleM: k.alloc(title ? stepWs.size * E : 0) });
      const C = gathered ? gathered.logits : (logits.subarray(rows[0] * V) as F);
      const A = gathered ? gathered.x : (x.subarray(rows[0] * H) as F);
      const m = gathered ? gathered.titleM : (stepWs.titleM.subarray(rows[0] * E) as F);
      if (gathered) rows.forEach((r, j) => A.set(x.subarray(r * H, (r + 1) * H), j * H));
      if (gathered && title) rows.forEach((r, j) => m.set(stepWs.titleM.subarray(r * E, (r + 1) * E), j * E));
      const In = outInput(A, gathered ? gathered.proj : (stepWs.proj.subarray(rows[0] * E) as F), M, m);
      matmulNTColumns(k, C, V, In, out, M, K, ranges);
      if (together && ranges === all) {
        k.addBias(C, bias, M, V);
        continue;
      }
      for (let j = 0; j < M; j++) {
        for (let r = 0; r < ranges.length; r += 2) {
          const lo = ranges[r], hi = ranges[r + 1];
          const out = logits.subarray(rows[j] * V + lo, rows[j] * V + hi) as F;
          if (!together) out.set(C.subarray(j * V + lo, j * V + hi));
          k.addBias(out, bias.subarray(lo, hi) as F, 1, hi - lo);
        }
      }
    }
  }

  /** Grows the workspace if needed and loads the batch into it, transposed to time-major. */
  private prepare(inputs: Int32Array, targets: Int32Array, B: number, T: number): Workspace<F> {
    const N = B * T;
    if (inputs.length < N || targets.length < N) throw new Error(`batch needs ${N} inputs and targets, got ${inputs.length} and ${targets.length}`);
    checkIds(inputs, N, this.config.vocabSize);
    checkIds(targets, N, this.config.vocabSize);
    const trainWs = this.trainWorkspace(N, B);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        trainWs.ids[t * B + b] = inputs[b * T + t];
        trainWs.targets[t * B + b] = targets[b * T + t];
      }
    }
    return trainWs;
  }

  /** Forward from trainWs.ids to trainWs.logits, applying `dropout`'s masks to every layer output. */
  private forward(trainWs: Workspace<F>, B: number, T: number, dropout: Dropout<F> | null): void {
    const { embed: E, hidden: H, vocabSize: V } = this.config;
    const k = this.kernels;
    const N = B * T;
    k.embeddingForward(trainWs.emb, this.tensor('embedding.weight'), trainWs.ids, N, E);
    let x = trainWs.emb;
    let I = E;
    for (let l = 0; l < this.config.layers; l++) {
      sequenceForward(this.cell, k, this.weights[l], trainWs.acts[l], x, trainWs.zeros, T, B, I, H);
      x = trainWs.acts[l].h;
      if (dropout) {
        k.mul(dropout.dropped[l], x, dropout.masks[l], N * H);
        x = dropout.dropped[l];
      }
      I = H;
    }
    if (this.config.tied) {
      linearForward(k, trainWs.proj, x, this.tensor('proj.weight'), null, N, H, E);
      if (this.titleTokens) {
        // p += A m: the title bag read at every position
        titleBagForward(trainWs.titleM, trainWs.titleCount, trainWs.isTitle, trainWs.emb, trainWs.ids, this.titleTokens, T, B, E);
        matmulNT(k, trainWs.proj, E, trainWs.titleM, this.tensor('title.weight'), N, E, E, 1);
      }
      linearForward(k, trainWs.logits, trainWs.proj, this.tensor('embedding.weight'), this.tensor('fc.bias'), N, E, V);
    } else linearForward(k, trainWs.logits, x, this.tensor('fc.weight'), this.tensor('fc.bias'), N, H, V);
  }

  /** Backward from trainWs.logits holding dlogits, with forward's `dropout`; accumulates into the (zeroed) grads. */
  private backward(trainWs: Workspace<F>, B: number, T: number, dropout: Dropout<F> | null): void {
    const { embed: E, hidden: H, vocabSize: V, layers: L } = this.config;
    const k = this.kernels;
    const N = B * T;
    const layerOutput = (l: number) => (dropout ? dropout.dropped[l] : trainWs.acts[l].h);
    if (this.config.tied) {
      // the output's share of embedding.weight's gradient first; embeddingBackward adds the input's below
      linearBackward(k, trainWs.dProj, this.tensor('embedding.weight', 'grads'), this.tensor('fc.bias', 'grads'),
        trainWs.logits, trainWs.proj, this.tensor('embedding.weight'), N, E, V);
      linearBackward(k, trainWs.dOut, this.tensor('proj.weight', 'grads'), null, trainWs.dProj, layerOutput(L - 1), this.tensor('proj.weight'), N, H, E);
      if (this.titleTokens) {
        // the title bag's share: dA += dpᵀ m, then dm = dp A into the title positions' embedding rows
        linearBackward(k, trainWs.dTitleM, this.tensor('title.weight', 'grads'), null, trainWs.dProj, trainWs.titleM, this.tensor('title.weight'), N, E, E);
        titleBagBackward(this.tensor('embedding.weight', 'grads'), trainWs.dTitleM, trainWs.titleCount, trainWs.isTitle, trainWs.ids, trainWs.titleScratch, T, B, E);
      }
    } else {
      linearBackward(k, trainWs.dOut, this.tensor('fc.weight', 'grads'), this.tensor('fc.bias', 'grads'),
        trainWs.logits, layerOutput(L - 1), this.tensor('fc.weight'), N, H, V);
    }
    let dOut = trainWs.dOut;
    let dIn = trainWs.dIn;
    for (let l = L - 1; l >= 0; l--) {
      if (dropout) k.mul(dOut, dOut, dropout.masks[l], N * H);
      const x = l === 0 ? trainWs.emb : layerOutput(l - 1);
      const dx = l === 0 ? trainWs.dEmb : dIn;
      sequenceBackward(this.cell, k, this.weights[l], this.weightGrads[l], trainWs.acts[l], x, dOut, dx, trainWs.dpre, trainWs.scratch, trainWs.zeros, T, B, l === 0 ? E : H, H);
      [dOut, dIn] = [dIn, dOut];
    }
    k.embeddingBackward(this.tensor('embedding.weight', 'grads'), trainWs.dEmb, trainWs.ids, N, E);
  }

  private trainWorkspace(N: number, B: number): Workspace<F> {
    if (this.trainWs && this.trainWs.rows >= N && this.trainWs.batch >= B) return this.trainWs;
    const rows = Math.max(N, this.trainWs?.rows ?? 0);
    const batch = Math.max(B, this.trainWs?.batch ?? 0);
    const { embed: E, hidden: H, vocabSize: V, layers: L, dropout, tied, titleBag } = this.config;
    const k = this.kernels;
    const perLayer = () => Array.from({ length: L }, () => k.alloc(rows * H));
    this.trainWs = {
      rows, batch,
      ids: k.allocInt(rows),
      targets: k.allocInt(rows),
      emb: k.alloc(rows * E),
      acts: Array.from({ length: L }, () => this.cell.alloc(k, rows, H)),
      dropout: dropout > 0 ? { masks: perLayer(), dropped: perLayer() } : null,
      proj: k.alloc(tied ? rows * E : 0),
      logits: k.alloc(rows * V),
      dProj: k.alloc(tied ? rows * E : 0),
      titleM: k.alloc(titleBag ? rows * E : 0),
      titleCount: k.alloc(titleBag ? rows : 0),
      isTitle: new Uint8Array(titleBag ? rows : 0),
      dTitleM: k.alloc(titleBag ? rows * E : 0),
      titleScratch: k.alloc(titleBag ? E : 0),
      dOut: k.alloc(rows * H),
      dIn: k.alloc(rows * H),
      dEmb: k.alloc(rows * E),
      dpre: k.alloc(rows * gateCount(this.cell.type) * H),
      scratch: this.cell.allocScratch(k, batch, H),
      zeros: k.alloc(batch * H),
    };
    return this.trainWs;
  }

  /** An ordinary (garbage-collected) array of the model's float type, for results and states. */
  private plainArray(n: number): F {
    return (this.kernels.dtype === 'f64' ? new Float64Array(n) : new Float32Array(n)) as F;
  }

  /**
   * A step's title bags (title-bag.ts): each row's token, embedded in stepWs.emb, joins its bag if
   * it is a title position (bagAdd, as titleBagForward adds it), `<sep>` closes the
   * bag; the rows' means are copied into stepWs.titleM for the output layer.
   */
  private titleBagStep(st: ModelState, tokens: Int32Array, stepWs: StepWorkspace<F>): void {
    const E = this.config.embed;
    const { m, count, open } = st.title!;
    const { sep, titleable } = this.titleTokens!;
    for (let i = 0; i < st.size; i++) {
      const id = tokens[i]!;
      if (id === sep) open[i] = 0;
      if (open[i] && titleable[id]) {
        bagAdd(m, i * E, m, i * E, stepWs.emb, i * E, count[i]!, E);
        count[i]!++;
      }
    }
    stepWs.titleM.set(m.subarray(0, st.size * E));
  }

  private stepWorkspace(S: number): StepWorkspace<F> {
    if (this.stepWs && this.stepWs.size >= S) return this.stepWs;
    const { embed: E, hidden: H, vocabSize: V } = this.config;
    const k = this.kernels;
    this.stepWs = {
      size: S,
      ids: k.allocInt(S),
      emb: k.alloc(S * E),
      acts: this.cell.alloc(k, S, H),
      prev: this.cell.state(this.cell.alloc(k, S, H)),
      proj: k.alloc(this.config.tied ? S * E : 0),
      titleM: k.alloc(this.config.titleBag ? S * E : 0),
      logits: k.alloc(S * V),
      logits32: k.dtype === 'f32' ? new Float32Array(0) : new Float32Array(S * V),
    };
    return this.stepWs;
  }
}

/** Draws every layer's mask, in layer order (the order the Rng is consumed in is part of resume). */
function drawMasks<F extends FloatArray>(dropout: Dropout<F>, n: number, p: number, rng: Rng): Dropout<F> {
  for (const mask of dropout.masks) dropoutMask(mask, n, p, rng);
  return dropout;
}

function countTargets(targets: Int32Array, N: number): number {
  let n = 0;
  for (let i = 0; i < N; i++) if (targets[i] !== PAD) n++;
  return n;
}

/** A row's ranges (RowRead) as the output layer needs them: ascending, disjoint, non-empty, inside [0, V). */
function checkRanges(ranges: readonly number[], V: number): readonly number[] {
  let end = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const lo = ranges[r], hi = ranges[r + 1];
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= end && hi > lo && hi <= V)) throw new Error(`step: bad column ranges ${ranges.join(',')} for ${V} columns`);
    end = hi;
  }
  return ranges;
}

/** Out-of-range ids would silently read outside the embedding table: refuse them. */
function checkIds(ids: Int32Array, n: number, V: number): void {
  for (let i = 0; i < n; i++) {
    if (!(ids[i] >= 0 && ids[i] < V)) throw new Error(`token id ${ids[i]} out of range [0, ${V})`);
  }
}
