/**
 * The scorer of a text beside the poems being written (a BatchMember of generate.ts's DecodeBatch):
 * choosing among candidates (src/domain/candidates.ts) scores each candidate's untitled text with
 * it in the same model steps as the writing. Shapes: a row [V] per step; tokens [n].
 */
import type { ListSampler, RowRead } from '../nn/lm.ts';
import { NO_READ, logitRanges, type BatchMember, type Feed } from './generate.ts';
import type { Hypothesis, Plan, Slot } from './plan.ts';
import { logSumExp, logSumExpAmong } from './sample.ts';

/**
 * A text scored in a DecodeBatch, one token per step beside the poems being written: it feeds the
 * token sequence `tokens` (<bos> first) and sums log P(tokens[k] | tokens[0:k]) over the scored
 * k ≥ `from` under the model's full distribution (log-softmax of its logits row), or, given the
 * `plan` the body was written by, among the ids the plan allowed at each chosen position (replayed
 * along the body: Plan.start, allowed, extend; a forced position scored, a kept character, under
 * the full distribution), the columns it then reads. Used to rank candidate poems
 * (src/domain/candidates.ts) in the same model steps as the writing, so scoring them costs rows of
 * a batch step, not passes of their own. Shapes: a row [V] per step; tokens [n].
 */
export class SequenceScorer implements BatchMember<{ logprob: number; tokens: number }> {
  readonly maxRows = 1;
  private k = 0; // tokens fed so far
  private logp = 0;
  private count = 0;
  private done = false;
  private readonly scored: Uint8Array; // [n] 1 where tokens[k] is scored
  private readonly last: number; // the last scored k: nothing after it is fed
  private readonly h?: Hypothesis; // the plan's hypothesis along the body (with `plan`)
  private readonly ids: Int32Array; // [V] allowed ids (the sampler's, when it has one)

  /**
   * `only`: score just these positions counted from `from` (the ones a candidate chose itself:
   * PoemDecoder.measurement), default all. `sampler`: the model's kernels (LanguageModel.sampler),
   * for a SIMD log-softmax; JavaScript without. `plan`: the plan that wrote tokens[from:] as its
   * body (no lead-in), to score among the ids it allowed.
   */
  constructor(private readonly V: number, private readonly tokens: readonly number[], private readonly from: number, only?: readonly number[], private readonly sampler?: ListSampler, private readonly plan?: Plan) {
    if (!(from >= 1 && from < tokens.length)) throw new Error(`SequenceScorer: from ${from} outside 1..${tokens.length - 1}`);
    this.scored = new Uint8Array(tokens.length);
    if (only) for (const p of only) this.scored[from + p] = 1;
    else this.scored.fill(1, from);
    this.last = this.scored.lastIndexOf(1);
    this.ids = plan ? sampler?.ids ?? new Int32Array(V) : new Int32Array(0);
    if (plan) this.h = plan.start();
  }

  get rows(): number {
    return this.done ? 0 : 1;
  }

  /** The slot of tokens[k] in the plan's body, and whether it is chosen (not forced). */
  private chosenAt(k: number): { slot: Slot; chosen: boolean } | undefined {
    if (!this.plan || k < this.from) return undefined;
    const slot = this.plan.slotAt(k - this.from);
    return { slot, chosen: !(slot && 'forced' in slot) };
  }

  /** The next advance reads the prediction of tokens[k]: only the scored ones need logits, a chosen one with a plan only the allowed ids'. */
  get reads(): RowRead {
    if (this.scored[this.k] !== 1) return NO_READ;
    const at = this.chosenAt(this.k);
    return at?.chosen ? logitRanges(this.ids, this.plan!.allowed(this.h!, at.slot, this.ids)) : null;
  }

  advance(logits: Float32Array | null, base: number): Feed | null {
    const k = this.k;
    if (this.done) return null;
    const token = this.tokens[k];
    const at = this.chosenAt(k);
    if (this.scored[k]) {
      const row = logits!.subarray(base * this.V, (base + 1) * this.V);
      if (at?.chosen) {
        const n = this.plan!.allowed(this.h!, at.slot, this.ids);
        this.logp += row[token] - (this.sampler ? this.sampler.logSumExpAmong(row, n) : logSumExpAmong(row, this.ids, n));
      } else {
        this.logp += this.sampler ? this.sampler.logProb(row, token) : row[token] - logSumExp(row);
      }
      this.count++;
    }
    if (at) this.plan!.extend(this.h!, token, 0);
    if (k >= this.last) {
      this.done = true;
      return null;
    }
    this.k++;
    return { src: [k === 0 ? -1 : 0], tokens: [token] };
  }

  result(): { logprob: number; tokens: number } {
    return { logprob: this.logp, tokens: this.count };
  }
}
