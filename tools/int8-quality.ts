/**
 * The int8 weights of generation against the f32 ones (docs/design.md §9, src/nn/int8.ts), on the
 * bundled model (or --model):
 *   - perplexity per character of the test split's regulated poems, computed step by step through
 *     Model.step (the path generation takes), untitled and with their true titles, under each
 *     precision; the f32 figure also checks the step path against the training forward pass;
 *   - the poems: --count poems per regulated form with the default rules (seeds 0…), written under
 *     each precision: how many come out identical, how many pass `check`, and their mean
 *     log-probability per token under the f32 model.
 * Usage: node --import tsx tools/int8-quality.ts [--model FILE] [--corpus data/corpus] [--count 50]
 */
import { parseArgs } from 'node:util';
import { FORMS } from '../src/data/clean.ts';
import { readTitledSplit } from '../src/data/corpus.ts';
import { BOS, EOS } from '../src/data/vocab.ts';
import { encodeExample, type TitledPoem } from '../src/data/sequence.ts';
import { loadModel } from '../src/domain/model.ts';
import { perplexity, scorePoems } from '../src/domain/score.ts';
import { writePoems } from '../src/domain/write.ts';
import type { DecodePrecision } from '../src/nn/config.ts';
import type { Model } from '../src/nn/model.ts';
import { checkPoem } from '../src/poetry/check.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    corpus: { type: 'string', default: 'data/corpus' },
    count: { type: 'string', default: '50' },
  },
});
const model = await loadModel(values.model, { engine: 'wasm', threads: 1 });
const V = model.config.vocabSize;

/** Perplexity per scored token (the poem and <eos>) of `poems` by Model.step, 64 poems at a time. */
function stepPerplexity(m: Model, poems: readonly TitledPoem[]): number {
  let nll = 0, count = 0;
  for (let b = 0; b < poems.length; b += 64) {
    // the targets: the example's tokens, then <eos>
    const examples = poems.slice(b, b + 64).map((p) => encodeExample(m.vocab, p)).map((e) => ({ tokens: Int32Array.from([...e.tokens, EOS]), skip: e.skip }));
    const S = examples.length;
    const T = Math.max(...examples.map((e) => e.tokens.length));
    const state = m.initState(S);
    const input = new Int32Array(S).fill(BOS);
    for (let t = 0; t < T; t++) {
      const logits = m.step(state, input);
      for (let i = 0; i < S; i++) {
        const e = examples[i];
        const target = e.tokens[t];
        input[i] = target ?? BOS;
        if (target === undefined || t < e.skip) continue;
        const row = logits.subarray(i * V, (i + 1) * V);
        let max = -Infinity;
        for (let v = 0; v < V; v++) max = Math.max(max, row[v]);
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(row[v] - max);
        nll += max + Math.log(sum) - row[target];
        count++;
      }
    }
  }
  return Math.exp(nll / count);
}

const test = readTitledSplit(values.corpus, 'test', FORMS);
const untitled = test.map((p) => ({ text: p.text, form: p.form, title: '' }));
console.log(`model ${model.config.cell} ${model.config.layers}×${model.config.hidden}, V ${V}; test split: ${test.length} regulated poems`);
console.log(`training forward pass, f32: untitled ${perplexity(model, untitled).perplexity.toFixed(2)}, true titles ${perplexity(model, test).perplexity.toFixed(2)}`);
const count = Number(values.count);
const written: Record<DecodePrecision, string[]> = { f32: [], int8: [] };
for (const precision of ['f32', 'int8'] as const) {
  model.setDecodePrecision(precision);
  console.log(`step, ${precision}: untitled ${stepPerplexity(model, untitled).toFixed(2)}, true titles ${stepPerplexity(model, test).toFixed(2)}`);
  for (const form of FORMS) written[precision].push(...writePoems(model, { form, seed: 0, count }).map((p) => `${p.title}|${p.text}`));
}
model.setDecodePrecision('f32');
for (const precision of ['f32', 'int8'] as const) {
  const poems = written[precision].map((s) => { const [title, text] = s.split('|'); return { title, text }; });
  const pass = poems.filter((p) => checkPoem(p.text).pass).length;
  const scores = scorePoems(model, poems);
  const lp = scores.reduce((s, x) => s + x.logprob, 0) / scores.reduce((s, x) => s + x.tokens, 0);
  console.log(`poems, ${precision}: ${poems.length} (${count} per form), pass check ${pass}, mean log-probability per token under f32 ${lp.toFixed(3)}`);
}
const same = written.f32.filter((s, i) => s === written.int8[i]).length;
const sameTitle = written.f32.filter((s, i) => s.split('|')[0] === written.int8[i].split('|')[0]).length;
console.log(`identical poems (title and text) f32 vs int8: ${same} of ${written.f32.length}; identical titles ${sameTitle}`);
process.exit(0);
