/**
 * An independent judge of 对联 (issue 20): how well a 下联 answers a 上联 by the character pairs
 * that stand at the same position in the train couplets — 山 against 水, 红 against 绿 — knowing
 * nothing of the network, so that its preferences can rank the network's 下联 against the real ones
 * and against random lines (the measured figures). It lives in src/ rather than tools/ so
 * that an evaluation can use it like any other figure; it reads no files (the caller gives the
 * pairs, e.g. the corpus's train duilian).
 *
 * Score: the mean over positions i of a smoothed pointwise mutual information of (上联 char a at i,
 * 下联 char b at i), the counts pooled over positions:
 *   pmi(a, b) = log P(b | a) − log P(b),  P(b | a) = (c(a, b) + β·P(b)) / (c(a) + β),
 *   P(b) = (c(b) + 1) / (N + V)
 * where c(a, b) counts a above b, c(a) the aligned positions of a in 上联, c(b) of b in 下联, N all
 * aligned positions, V the 下联 characters seen. Unseen a gives 0 (no evidence), a frequent a over
 * an unseen b a negative score. β = 5 (P(b | a) leans on P(b) until a has been seen a few times).
 */
import type { DuilianPair } from '../data/duilian.ts';

export interface JudgeOptions {
  /** Dirichlet weight of the unigram in P(b | a) (default 5). */
  beta?: number;
}

export class DuilianJudge {
  private readonly pair = new Map<string, number>();
  private readonly above = new Map<string, number>();
  private readonly below = new Map<string, number>();
  private positions = 0;
  private readonly beta: number;

  private constructor(opts: JudgeOptions) {
    this.beta = opts.beta ?? 5;
  }

  /** A judge counted from couplets (pairs of unequal length are skipped). */
  static fromPairs(pairs: Iterable<DuilianPair>, opts: JudgeOptions = {}): DuilianJudge {
    const judge = new DuilianJudge(opts);
    const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    for (const { upper, lower } of pairs) {
      const U = [...upper];
      const L = [...lower];
      if (U.length !== L.length) continue;
      U.forEach((a, i) => {
        bump(judge.pair, `${a}\u0000${L[i]}`);
        bump(judge.above, a);
        bump(judge.below, L[i]!);
      });
      judge.positions += U.length;
    }
    return judge;
  }

  /** Smoothed PMI of a above b (see the file comment). */
  pmi(a: string, b: string): number {
    const pb = ((this.below.get(b) ?? 0) + 1) / (this.positions + this.below.size);
    const pba = ((this.pair.get(`${a}\u0000${b}`) ?? 0) + this.beta * pb) / ((this.above.get(a) ?? 0) + this.beta);
    return Math.log(pba) - Math.log(pb);
  }

  /** The mean PMI over positions of a 下联 under its 上联; -Infinity when the lengths differ. */
  score(upper: string, lower: string): number {
    const U = [...upper];
    const L = [...lower];
    if (U.length !== L.length || U.length === 0) return -Infinity;
    return U.reduce((sum, a, i) => sum + this.pmi(a, L[i]!), 0) / U.length;
  }
}
