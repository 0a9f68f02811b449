/**
 * Makes the bundled model: reads a trained model (a run's best.safetensors) and writes it in F16
 * (half the size; generation and scoring load it back into float32) with its training summary and
 * the command that trained it.
 *
 *   npx tsx tools/bundle-model.ts runs/bundled-lstm/best.safetensors models/shiren-lstm.safetensors "<train command>"
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { readModelFile, saveModel } from '../src/nn/checkpoint.ts';

const [from, to, command] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: tsx tools/bundle-model.ts FROM.safetensors TO.safetensors ["train command"]');
  process.exit(2);
}
const model = readModelFile(from, createReferenceKernels('f32'));
mkdirSync(dirname(to), { recursive: true });
saveModel(to, model, { ...model.trainSummary, ...(command ? { command } : {}) }, { dtype: 'F16' });
console.log(`${to}: ${model.config.cell} ${model.config.layers}×${model.config.hidden}, V=${model.vocab.size}, F16`);
