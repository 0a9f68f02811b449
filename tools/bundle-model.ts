/**
 * Makes the bundled model: reads a trained model (a run's best.safetensors) and writes it in F16
 * (half the size; generation and scoring load it back into float32) with its training summary and
 * the command that trained it. `--order-vocab` also puts its vocabulary in prosody order
 * (tools/order-vocab.ts: the same model, whose decoding steps compute fewer logits).
 *
 *   npx tsx tools/bundle-model.ts runs/bundled-lstm/best.safetensors models/shiren-lstm.safetensors "<train command>" [--order-vocab]
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { readModelFile, saveModel } from '../src/nn/checkpoint.ts';
import { orderVocab } from './order-vocab.ts';

const args = process.argv.slice(2);
const order = args.includes('--order-vocab');
const [from, to, command] = args.filter((a) => a !== '--order-vocab');
if (!from || !to) {
  console.error('usage: tsx tools/bundle-model.ts FROM.safetensors TO.safetensors ["train command"] [--order-vocab]');
  process.exit(2);
}
const read = readModelFile(from, createReferenceKernels('f32'));
const model = order ? orderVocab(read) : read;
mkdirSync(dirname(to), { recursive: true });
saveModel(to, model, { ...model.trainSummary, ...(command ? { command } : {}) }, { dtype: 'F16' });
console.log(`${to}: ${model.config.cell} ${model.config.layers}×${model.config.hidden}, V=${model.vocab.size}, F16${order ? ', vocabulary in prosody order' : ''}`);
