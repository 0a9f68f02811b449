// The PyTorch fixtures written by tools/make-fixtures.py (test/fixtures/torch/<name>.json: lstm, rnn,
// lstm-tied), shared by the reference-engine parity test and the fast-backend parity test.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TorchFixture {
  cell: 'lstm' | 'rnn';
  /** the output layer tied to the embedding (ModelConfig.tied); absent: untied */
  tied?: boolean;
  V: number; E: number; H: number; layers: number; B: number; T: number;
  inputs: number[]; targets: number[];
  params: Record<string, { shape: number[]; data: number[] }>;
  logits: number[]; loss_sum: number; tokens: number;
  grads: Record<string, number[]>;
  adam: { lr: number; betas: [number, number]; eps: number; clip: number; steps: { inputs: number[]; targets: number[]; loss: number; grad_norm: number }[] };
}

export const TORCH_FIXTURES = path.join(import.meta.dirname, 'fixtures', 'torch');

/** The parity fixtures, by name. */
export const TORCH_PARITY = ['lstm', 'rnn', 'lstm-tied'] as const;

export const readTorchFixture = (name: string): TorchFixture =>
  JSON.parse(fs.readFileSync(path.join(TORCH_FIXTURES, `${name}.json`), 'utf8'));
