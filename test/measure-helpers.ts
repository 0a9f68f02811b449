// What a measured candidate (src/poetry/generate.ts PoemDecoder `measure` with its untitled twin)
// should report, computed by another path: full model steps one token at a time, and the plan's
// own rules replayed along the written body (Plan.start / slotAt / allowed / extend).
import type { LanguageModel } from '../src/nn/lm.ts';
import type { Plan } from '../src/poetry/plan.ts';

/**
 * Σ log P of the body's tokens after `prefix` (<bos> first): a token the poem chose, among the ids
 * the plan allowed at its position; a kept one (a forced slot marked `kept`), with `lookAhead`,
 * under the full distribution; other forced tokens not at all. Returns the sum and the count.
 */
export function replayMeasure(model: LanguageModel, plan: Plan, prefix: readonly number[], body: readonly number[], lookAhead = true): { sum: number; count: number } {
  const V = model.vocab.size;
  const h = plan.start();
  const ids = new Int32Array(V);
  const state = model.initState(1);
  let logits = new Float32Array(V);
  for (const t of prefix) logits = model.step(state, Int32Array.of(t)).slice();
  const lse = (n: number, at: (i: number) => number) => {
    let max = -Infinity, z = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, logits[at(i)]!);
    for (let i = 0; i < n; i++) z += Math.exp(logits[at(i)]! - max);
    return max + Math.log(z);
  };
  let sum = 0, count = 0;
  body.forEach((id, pos) => {
    const slot = plan.slotAt(pos);
    if (!(slot && 'forced' in slot)) {
      const n = plan.allowed(h, slot, ids);
      sum += logits[id]! - lse(n, (i) => ids[i]!);
      count++;
    } else if (slot.kept && lookAhead) {
      sum += logits[id]! - lse(V, (i) => i);
      count++;
    }
    plan.extend(h, id, 0);
    logits = model.step(state, Int32Array.of(id)).slice();
  });
  return { sum, count };
}
