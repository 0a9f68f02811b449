/**
 * Optimizers over the model's single flat parameter block, with PyTorch's semantics (torch.optim
 * Adam, RMSprop, SGD; L2 weight decay added to the gradient), and global-norm gradient clipping
 * (torch.nn.utils.clip_grad_norm_).
 *
 * Contract
 * - `step(params, grads)` updates params in place from grads (n elements each), then counts the
 *   step. `lr` may be changed between steps (schedules).
 * - `state()` returns everything needed to resume bit-exactly: the step count and each moment
 *   buffer as a Float32Array copy (float64 backends are rounded, which only matters for the
 *   gradient checks, which never resume). `loadState` accepts what `state()` returned.
 * - Adam runs as the `adam` kernel (the hot one); RMSprop and SGD are plain loops over the
 *   kernel buffers, since they are rarely used and memory-bound anyway.
 *
 * Legend: n = number of parameters.
 */
import type { FloatArray, Kernels } from '../engine/kernels.ts';

export type OptimizerKind = 'adam' | 'rmsprop' | 'sgd';

export const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['adam', 'rmsprop', 'sgd'];

export interface OptimizerOptions {
  /** Learning rate. Default 2e-3 for adam (docs/design.md §7 baselines) and rmsprop (char-rnn's), 0.1 for sgd. */
  lr?: number;
  /** L2 penalty added to the gradient (PyTorch's weight_decay, not decoupled AdamW). Default 0. */
  weightDecay?: number;
  /** Adam β1. Default 0.9. */
  beta1?: number;
  /** Adam β2. Default 0.999. */
  beta2?: number;
  /** Added to the root of the second moment (adam, rmsprop). Default 1e-8. */
  eps?: number;
  /** RMSprop smoothing constant of the squared-gradient average. Default 0.99. */
  alpha?: number;
  /** Momentum for sgd (default 0.9) and rmsprop (default 0). */
  momentum?: number;
}

export type OptimizerState = Record<string, Float32Array | number>;

export interface Optimizer<F extends FloatArray> {
  readonly kind: OptimizerKind;
  /** Current learning rate (settable). */
  lr: number;
  /** Steps taken so far. */
  readonly t: number;
  step(params: F, grads: F): void;
  state(): OptimizerState;
  loadState(state: OptimizerState): void;
}

/** Thrown when a saved optimizer state does not fit this optimizer. */
export class OptimizerStateError extends Error {
  override name = 'OptimizerStateError';
}

const DEFAULT_LR: Record<OptimizerKind, number> = { adam: 2e-3, rmsprop: 2e-3, sgd: 0.1 };

export function createOptimizer<F extends FloatArray>(kernels: Kernels<F>, kind: OptimizerKind, n: number, options: OptimizerOptions = {}): Optimizer<F> {
  const lr = options.lr ?? DEFAULT_LR[kind];
  const wd = options.weightDecay ?? 0;
  const eps = options.eps ?? 1e-8;
  switch (kind) {
    case 'adam': {
      const [beta1, beta2] = [options.beta1 ?? 0.9, options.beta2 ?? 0.999];
      return new FlatOptimizer(kernels, kind, n, lr, ['m', 'v'], (p, g, [m, v], t, lrNow) =>
        kernels.adam(p, g, m, v, n, lrNow, beta1, beta2, eps, wd, t));
    }
    case 'rmsprop': {
      const alpha = options.alpha ?? 0.99;
      const momentum = options.momentum ?? 0;
      return new FlatOptimizer(kernels, kind, n, lr, momentum > 0 ? ['square_avg', 'momentum'] : ['square_avg'], (p, g, [sq, buf], _t, lrNow) => {
        for (let i = 0; i < n; i++) {
          const grad = g[i] + wd * p[i];
          sq[i] = alpha * sq[i] + (1 - alpha) * grad * grad;
          const update = grad / (Math.sqrt(sq[i]) + eps);
          if (buf) {
            buf[i] = momentum * buf[i] + update;
            p[i] -= lrNow * buf[i];
          } else {
            p[i] -= lrNow * update;
          }
        }
      });
    }
    case 'sgd': {
      // PyTorch starts the momentum buffer at the first gradient; with dampening 0 that equals
      // starting from zero, so no first-step special case is needed.
      const momentum = options.momentum ?? 0.9;
      return new FlatOptimizer(kernels, kind, n, lr, ['momentum'], (p, g, [buf], _t, lrNow) => {
        for (let i = 0; i < n; i++) {
          buf[i] = momentum * buf[i] + g[i] + wd * p[i];
          p[i] -= lrNow * buf[i];
        }
      });
    }
    default:
      throw new Error(`unknown optimizer "${kind}" (expected adam, rmsprop or sgd)`);
  }
}

type Update<F extends FloatArray> = (params: F, grads: F, buffers: F[], t: number, lr: number) => void;

class FlatOptimizer<F extends FloatArray> implements Optimizer<F> {
  t = 0;
  private readonly buffers: F[];

  constructor(
    kernels: Kernels<F>,
    readonly kind: OptimizerKind,
    private readonly n: number,
    public lr: number,
    private readonly names: string[],
    private readonly update: Update<F>,
  ) {
    this.buffers = names.map(() => kernels.alloc(n));
  }

  step(params: F, grads: F): void {
    this.t++;
    this.update(params, grads, this.buffers, this.t, this.lr);
  }

  state(): OptimizerState {
    const state: OptimizerState = { step: this.t };
    this.names.forEach((name, i) => (state[name] = Float32Array.from(this.buffers[i])));
    return state;
  }

  loadState(state: OptimizerState): void {
    const step = state.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new OptimizerStateError(`${this.kind} state has no valid step count`);
    this.names.forEach((name) => {
      const buf = state[name];
      if (!(buf instanceof Float32Array) || buf.length !== this.n) {
        throw new OptimizerStateError(`${this.kind} state "${name}" is missing or has the wrong size (expected ${this.n} values)`);
      }
    });
    this.names.forEach((name, i) => this.buffers[i].set(state[name] as Float32Array));
    this.t = step;
  }
}

/**
 * Scales grads in place so their global L2 norm is at most maxNorm (PyTorch: coefficient
 * maxNorm / (norm + 1e-6), applied only when below 1). Returns the norm before clipping.
 */
export function clipGradNorm<F extends FloatArray>(kernels: Kernels<F>, grads: F, n: number, maxNorm: number): number {
  const norm = Math.sqrt(kernels.sumSquares(grads, n));
  const coefficient = maxNorm / (norm + 1e-6);
  if (coefficient < 1) kernels.scale(grads, coefficient, n);
  return norm;
}
