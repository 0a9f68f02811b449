/**
 * Test doubles for generation: a table-driven bigram LanguageModel over a small vocabulary.
 * logits[prev, next] are fixed pseudo-random numbers, plus optional biases that make the model
 * misbehave (it WANTS <eos>, <unk>, marks, or one character everywhere), so the tests show that
 * constrained decoding holds against the model's wishes.
 */
import { Vocab, SPECIALS, EOS, UNK, PAD, BOS } from '../src/data/vocab.ts';
import type { LanguageModel, RecurrentState } from '../src/nn/lm.ts';

/** Characters of mixed tones and rhymes (平/仄, 入声, two readings) for the mock vocabulary. */
export const MOCK_CHARS =
  '白日依山尽黄河入海流欲穷千里目更上一层楼床前明月光疑是地霜举头望低思故乡春眠不觉晓处闻啼鸟夜来风雨声花落知多少' +
  '红豆生南国秋发几枝愿君采撷此物最相天涯若比邻远近高清江水东西北草木长云中归飞雁去时人家路行';

class BigramState implements RecurrentState {
  constructor(readonly last: Int32Array) {}
  get size(): number {
    return this.last.length;
  }
}

export interface MockOptions {
  /** Extra logit on <eos>, <unk>, <pad>, <bos> at every step. */
  specialBias?: number;
  /** Extra logit on ， and 。 at every step. */
  markBias?: number;
  /** Extra logit on this one character at every step (tempts repetition). */
  favourite?: string;
  /** Characters in the vocabulary (default MOCK_CHARS + marks). */
  chars?: string;
}

export class BigramLM implements LanguageModel {
  readonly vocab: Vocab;
  /** Number of step() calls: incremental decoding makes one per generated token. */
  steps = 0;
  private readonly table: Float32Array; // [V,V]
  private out = new Float32Array(0); // [S,V]

  constructor(opts: MockOptions = {}) {
    const chars = [...new Set(opts.chars ?? MOCK_CHARS + '，。')];
    this.vocab = new Vocab([...SPECIALS, ...chars]);
    const V = this.vocab.size;
    this.table = new Float32Array(V * V);
    let s = 12345;
    for (let i = 0; i < V * V; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      this.table[i] = (s / 2 ** 32) * 4 - 2;
    }
    for (let prev = 0; prev < V; prev++) {
      const row = this.table.subarray(prev * V, (prev + 1) * V);
      for (const id of [EOS, UNK, PAD, BOS]) row[id] += opts.specialBias ?? 0;
      for (const m of '，。') if (this.vocab.has(m)) row[this.vocab.id(m)!] += opts.markBias ?? 0;
      if (opts.favourite) row[this.vocab.id(opts.favourite)!] += 10;
    }
  }

  initState(S: number): BigramState {
    return new BigramState(new Int32Array(S));
  }

  step(state: RecurrentState, tokens: Int32Array): Float32Array {
    const st = state as BigramState;
    const V = this.vocab.size;
    this.steps++;
    if (this.out.length !== st.size * V) this.out = new Float32Array(st.size * V);
    for (let i = 0; i < st.size; i++) {
      st.last[i] = tokens[i];
      this.out.set(this.table.subarray(tokens[i] * V, (tokens[i] + 1) * V), i * V);
    }
    return this.out;
  }

  selectState(state: RecurrentState, rows: Int32Array): BigramState {
    const st = state as BigramState;
    return new BigramState(Int32Array.from(rows, (r) => (r < 0 ? 0 : st.last[r])));
  }
}
