/**
 * tools/order-vocab.ts and src/poetry/vocab-order.ts: a model's vocabulary in prosody order (marks
 * and control symbols first, then 平 only by rhyme group, either, 仄 only) is the same model — every
 * symbol's rows, the same logits per symbol bit for bit, the same greedy and beam poems, the same
 * allowed characters at every position, the same scores — and its allowed sets are blocks. A tied
 * model (ModelConfig.tied) keeps its rows too: the embedding's, which are also its output weights.
 * What changes: a sampled draw walks the allowed ids in id order, so a seed may draw another
 * character from the same distribution (tested: the distributions are equal, logit for logit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectKernels } from '../src/engine/index.ts';
import { readModelFile, resolveModelFile, saveModel } from '../src/nn/checkpoint.ts';
import type { DecodePrecision } from '../src/nn/config.ts';
import { Rng } from '../src/nn/rng.ts';
import { DecodeBatch, PoemDecoder, generate, type GenerateOptions } from '../src/poetry/generate.ts';
import { DEFAULT_CONFIG } from '../src/nn/config.ts';
import { Model } from '../src/nn/model.ts';
import { makePlan } from '../src/poetry/plan-ci.ts';
import { vocabInfo } from '../src/poetry/plan.ts';
import { rhymeBook } from '../src/poetry/rhymebook.ts';
import { SPECIALS } from '../src/data/vocab.ts';
import { fileDtype, orderVocab, scatterVocab } from '../tools/order-vocab.ts';

const kernels = await selectKernels({ engine: 'wasm', threads: 1 });
// the bundled model ships in prosody order: start from a scattered order, as a frequency order was
const original = scatterVocab(readModelFile(resolveModelFile(), kernels));
const ordered = orderVocab(original);
const V = original.vocab.size;
const oldId = (newId: number) => original.vocab.id(ordered.vocab.symbols[newId]!)!;

/** Whether ids (ascending) are one block of consecutive ids. */
const block = (ids: Int32Array) => ids.length > 0 && ids[ids.length - 1]! - ids[0]! === ids.length - 1;

test('the order: the specials keep their ids, then the other symbols and the marks, then the Han characters; 平, 仄 and all Han are one block each, a rhyme group a few', () => {
  const symbols = ordered.vocab.symbols;
  assert.deepEqual(symbols.slice(0, 4), [...SPECIALS]);
  assert.deepEqual([...symbols].sort(), [...original.vocab.symbols].sort());
  const info = vocabInfo(ordered.vocab, true, true, 'pingshui');
  const firstHan = info.hanIds[0]!;
  assert.ok(symbols.slice(4, firstHan).every((s) => !info.han[ordered.vocab.id(s)!]), 'non-Han symbols first');
  assert.ok([...info.marks].every((id) => id < firstHan) && [...info.marks].every((id) => id >= firstHan - info.marks.size), 'the marks just before the Han characters');
  assert.ok(block(info.hanIds) && block(info.toneIds![0]) && block(info.toneIds![1]), 'Han, 平-able and 仄-able characters are blocks');
  assert.ok(info.toneIds![0][0] === firstHan && info.toneIds![1].at(-1) === V - 1, '平 first, 仄 last');
  // a rhyme group: its 平-only block and its either block, and the few characters whose first group is another
  for (const [g, name] of rhymeBook('pingshui').pingGroups.entries()) {
    const ids = info.toneIds![0].filter((id) => (info.rhyme![id]! & (1 << g)) !== 0);
    let runs = 1;
    for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1]! + 1) runs++;
    const firstGroup = ids.filter((id) => 31 - Math.clz32(info.rhyme![id]! & -info.rhyme![id]!) === g).length;
    assert.ok(runs <= 2 + (ids.length - firstGroup), `${name}: ${runs} runs for ${ids.length} characters (${ids.length - firstGroup} of them first in another group)`);
  }
  // the frequency order had them scattered
  assert.ok(!block(vocabInfo(original.vocab, true, true, 'pingshui').toneIds![0]));
});

test('every symbol keeps its rows; a step gives every symbol the same logit, bit for bit, f32 and int8', () => keepsRows(original, ordered));

test('a tied model: every symbol keeps its embedding row (its output weights too) and bias, proj.weight is kept whole; the same logits', () => {
  const tied = Model.create(kernels, { ...DEFAULT_CONFIG, cell: 'gru', layers: 2, embed: 24, hidden: 40, vocabSize: V, tied: true }, original.vocab, 5);
  const tiedOrdered = orderVocab(tied);
  assert.deepEqual(tiedOrdered.table.map((e) => e.name), tied.table.map((e) => e.name));
  assert.deepEqual(tiedOrdered.vocab.symbols, ordered.vocab.symbols);
  keepsRows(tied, tiedOrdered);
});

/** `ordered` is `original` with its symbols reordered: the rows of every symbol, the same logits per symbol. */
function keepsRows(original: Model, ordered: Model): void {
  const oldId = (newId: number) => original.vocab.id(ordered.vocab.symbols[newId]!)!;
  for (const name of original.config.tied ? ['embedding.weight', 'fc.bias'] : ['embedding.weight', 'fc.weight', 'fc.bias']) {
    const a = original.tensor(name), b = ordered.tensor(name);
    const w = a.length / V;
    for (let id = 0; id < V; id++) assert.deepEqual(b.subarray(id * w, (id + 1) * w), a.subarray(oldId(id) * w, (oldId(id) + 1) * w), `${name} row ${id}`);
  }
  for (const name of original.table.map((e) => e.name).filter((n) => n.startsWith('rnn.') || n === 'proj.weight')) assert.deepEqual(ordered.tensor(name), original.tensor(name));
  const text = ['<bos>', '<qijue>', ...'秋江送别', '<sep>', ...'白日依山尽，黄河入海流。'];
  for (const precision of ['f32', 'int8'] as DecodePrecision[]) {
    original.setDecodePrecision(precision);
    ordered.setDecodePrecision(precision);
    const a = original.initState(1), b = ordered.initState(1);
    for (const sym of text) {
      const la = original.step(a, Int32Array.of(original.vocab.id(sym)!)).slice();
      const lb = ordered.step(b, Int32Array.of(ordered.vocab.id(sym)!));
      for (let id = 0; id < V; id++) assert.ok(Object.is(lb[id], la[oldId(id)]), `${precision} after ${sym}: ${ordered.vocab.symbols[id]}`);
    }
  }
}

test('the same greedy and beam poems, and the same allowed characters at every position of a sampled one', () => {
  const opts: GenerateOptions[] = [
    { form: 'qijue', greedy: true, title: '秋江送别' },
    { form: 'wulv', beam: 3, title: '山居' },
    { form: 'qijue', greedy: true, rhymeGroup: '东' },
    { form: 'ci', cipai: '浣溪沙', greedy: true },
    { start: '春风', greedy: true, maxChars: 24 },
  ];
  for (const precision of ['f32', 'int8'] as DecodePrecision[]) {
    original.setDecodePrecision(precision);
    ordered.setDecodePrecision(precision);
    for (const o of opts) assert.deepEqual(generate(ordered, o, new Rng(1)), generate(original, o, new Rng(1)), `${precision} ${JSON.stringify(o)}`);
  }
  // a sampled poem of the original model: at each position both plans allow the same characters
  for (const o of [{ form: 'qilv', title: '登高' }, { form: 'qijue', acrostic: '春夏秋冬' }, { form: 'ci', cipai: '浣溪沙' }] as GenerateOptions[]) {
    const decoder = new PoemDecoder(original, o, new Rng(5), true);
    const batch = new DecodeBatch(original);
    batch.add(decoder, () => {});
    while (batch.size) batch.step();
    const written = decoder.measurement().tokens.map((id) => original.vocab.symbols[id]!); // the body as written, <eos> included
    const plans = [original, ordered].map((m) => ({ m, plan: makePlan(m.vocab, o) }));
    assert.ok(plans.every(({ plan }) => !plan.lead));
    const hyps = plans.map(({ plan }) => plan.start());
    const ids = new Int32Array(V);
    written.forEach((sym, pos) => {
      const sets = plans.map(({ m, plan }, i) => {
        const n = plan.allowed(hyps[i]!, plan.slotAt(pos), ids);
        return [...ids.subarray(0, n)].map((id) => m.vocab.symbols[id]).sort().join('');
      });
      assert.equal(sets[1], sets[0], `${JSON.stringify(o)} position ${pos}`);
      assert.ok(sets[0]!.includes(sym), `${sym} was allowed`);
      plans.forEach(({ m, plan }, i) => plan.extend(hyps[i]!, m.vocab.id(sym)!, 0));
    });
    assert.ok(hyps.every((h) => h.done) && written.length > 20);
  }
});

test('the same scores, to the rounding of the normaliser summed in another order (measured: 3e-5 in 150 nats)', () => {
  for (const text of ['白日依山尽，黄河入海流。欲穷千里目，更上一层楼。', '春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。']) {
    const a = original.logprob(original.vocab.encode(text)), b = ordered.logprob(ordered.vocab.encode(text));
    assert.ok(Math.abs(a - b) <= 1e-5 * (text.length + 1), `${text}: ${a} vs ${b}`);
  }
});

test('the tool\'s file: F16 kept exactly, read back as the same model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shiren-order-'));
  try {
    const file = join(dir, 'ordered.safetensors');
    assert.equal(fileDtype(resolveModelFile()), 'F16');
    saveModel(file, ordered, ordered.trainSummary, { dtype: fileDtype(resolveModelFile()) });
    const back = readModelFile(file, kernels);
    assert.deepEqual(back.vocab.symbols, ordered.vocab.symbols);
    assert.deepEqual(back.params, ordered.params);
    assert.equal(back.trainSummary?.vocabOrder, 'prosody (pingshui)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
