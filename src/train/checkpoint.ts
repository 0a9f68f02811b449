/**
 * The training checkpoint: everything a resumed run needs, in ONE file written atomically, so a
 * kill at any moment leaves the previous complete checkpoint.
 *
 * It is a safetensors file holding
 *   `params` [P]            the flat parameter block (the model's own order, see src/nn/params.ts)
 *   `optimizer.<key>` [P]   the optimizer's moment buffers
 * and in `__metadata__`: `shiren` (the model metadata: config + vocabulary, as in model files),
 * `shiren_optimizer` (the optimizer's scalar fields) and `shiren_loop` (the loop position).
 */
import type { Kernels } from '../engine/kernels.ts';
import { readSafetensorsFile } from '../nn/checkpoint.ts';
import { modelFromMetadata, modelMetadata, ModelFileError, parameterCount } from '../nn/model-bytes.ts';
import type { Model } from '../nn/model.ts';
import type { OptimizerState } from '../nn/optim.ts';
import { encodeSafetensors, type TensorToWrite } from '../nn/safetensors.ts';
import { writeFileAtomic } from '../util/fs.ts';

export function writeTrainCheckpoint(file: string, model: Model<Float32Array>, optimizer: OptimizerState, loop: Record<string, unknown>): void {
  const tensors: TensorToWrite[] = [{ name: 'params', shape: [model.params.length], data: model.params }];
  const scalars: Record<string, number> = {};
  for (const [key, value] of Object.entries(optimizer)) {
    if (typeof value === 'number') scalars[key] = value;
    else tensors.push({ name: `optimizer.${key}`, shape: [value.length], data: value });
  }
  const metadata = {
    shiren: JSON.stringify(modelMetadata(model)),
    shiren_optimizer: JSON.stringify(scalars),
    shiren_loop: JSON.stringify(loop),
  };
  writeFileAtomic(file, encodeSafetensors(tensors, metadata, 'F32'));
}

export function readTrainCheckpoint(
  file: string,
  kernels: Kernels<Float32Array>,
): { model: Model<Float32Array>; optimizer: OptimizerState; loop: Record<string, unknown> } {
  const { tensors, metadata } = readSafetensorsFile(file);
  let scalars: Record<string, number>;
  let loop: Record<string, unknown>;
  try {
    scalars = JSON.parse(metadata.shiren_optimizer ?? 'null');
    loop = JSON.parse(metadata.shiren_loop ?? 'null');
  } catch {
    throw new ModelFileError(`${file}: corrupt training checkpoint metadata`);
  }
  const params = tensors.get('params');
  if (!scalars || !loop || !params) throw new ModelFileError(`${file}: not a shiren training checkpoint`);
  const model = modelFromMetadata<Float32Array>(metadata, kernels, file, (config, fail) => {
    if (parameterCount(config) !== params.data.length) fail(`parameter count does not match the model config (${params.data.length} values, the config needs ${parameterCount(config)})`);
  });
  model.params.set(params.data);
  const optimizer: OptimizerState = { ...scalars };
  for (const [name, t] of tensors) if (name.startsWith('optimizer.')) optimizer[name.slice('optimizer.'.length)] = t.data;
  return { model, optimizer, loop };
}
