// The PyTorch fixtures written by tools/make-fixtures.py (test/fixtures/torch/<name>.json: lstm, rnn,
// lstm-tied, lstm-titlebag), shared by the reference-engine parity test and the fast-backend parity test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SPECIALS } from '../src/data/vocab.ts';

export interface TorchFixture {
  cell: 'lstm' | 'rnn';
  /** the output layer tied to the embedding (ModelConfig.tied); absent: untied */
  tied?: boolean;
  /** a title bag (ModelConfig.titleBag): ids 4 and 5 are <sep> and a form symbol; absent: none */
  titleBag?: boolean;
  V: number; E: number; H: number; layers: number; B: number; T: number;
  inputs: number[]; targets: number[];
  params: Record<string, { shape: number[]; data: number[] }>;
  logits: number[]; loss_sum: number; tokens: number;
  grads: Record<string, number[]>;
  adam: { lr: number; betas: [number, number]; eps: number; clip: number; steps: { inputs: number[]; targets: number[]; loss: number; grad_norm: number }[] };
}

export const TORCH_FIXTURES = path.join(import.meta.dirname, 'fixtures', 'torch');

/** The parity fixtures, by name. */
export const TORCH_PARITY = ['lstm', 'rnn', 'lstm-tied', 'lstm-titlebag'] as const;

/** The vocabulary of a fixture: the specials, then (with a title bag) <sep> and a form symbol, then placeholder characters. */
export function fixtureSymbols(fx: TorchFixture, controls: readonly string[]): string[] {
  const head = [...SPECIALS, ...(fx.titleBag ? controls : [])];
  return [...head, ...Array.from({ length: fx.V - head.length }, (_, i) => String.fromCharCode(0x4e00 + i))];
}

export const readTorchFixture = (name: string): TorchFixture =>
  JSON.parse(fs.readFileSync(path.join(TORCH_FIXTURES, `${name}.json`), 'utf8'));
