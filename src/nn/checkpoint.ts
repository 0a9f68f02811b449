/**
 * Model files (docs/design.md §4), the Node half (files, the bundled model; reading the bytes of
 * one is model-bytes.ts, imported from there): one .safetensors file with PyTorch state_dict names and
 * `__metadata__.shiren` = JSON
 *   {"format":1,"cell":"lstm","gru_variant":"seed","layers":2,"embed":128,"hidden":256,
 *    "dropout":0.1,"tied":false,"condition":"none","vocab":["<pad>","<unk>","<bos>","<eos>",…],"train":{…}}
 * (`dropout`, `tied` (absent: false), `condition` and `train` optional on load; `gru_variant`
 * required for gru only; `"tied":true`: `proj.weight` in place of `fc.weight`, src/nn/params.ts;
 * `"titleBag":true` (absent: false): `title.weight` too, src/nn/title-bag.ts;
 * `"condition":"title"`: the vocabulary holds the control symbols of src/data/sequence.ts).
 *
 * Contract
 * - saveModel writes atomically: a temp file beside the target, fsync, rename — a kill at any
 *   moment leaves either the old file or the new one, never a torn one.
 * - readModelFile raises ModelFileError with a one-line message that starts with the path, for a
 *   missing, truncated, corrupt or foreign file, a wrong shape, an unknown/missing tensor, a
 *   non-finite weight (naming the tensor), or a path that is no regular file or over 1 GiB
 *   (checked before reading: /dev/zero, a FIFO, a folder).
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FloatArray, Kernels } from '../engine/kernels.ts';
import type { Model } from './model.ts';
import { FileError, readRegularFile, writeFileAtomic } from '../util/fs.ts';
import { encodeSafetensors, type DecodedSafetensors } from './safetensors.ts';
import { decodeNamed, ModelFileError, modelFromDecoded, modelMetadata } from './model-bytes.ts';

/** The pretrained model shipped with the package, used when no model file is given. */
export const BUNDLED_MODEL = 'models/shiren-gru.safetensors';

/** The model file to load: `file` as given, else the bundled model at the package root. */
export function resolveModelFile(file?: string): string {
  if (file !== undefined) return file;
  const bundled = fileURLToPath(new URL(`../../${BUNDLED_MODEL}`, import.meta.url));
  if (!fs.existsSync(bundled)) {
    throw new ModelFileError(`no model file given and the bundled model ${BUNDLED_MODEL} is not installed (train one, then give its file)`);
  }
  return bundled;
}

export interface SaveModelOptions {
  /** Tensor dtype in the file: F32 (exact, default) or F16 (half the size, for the bundled model). */
  dtype?: 'F32' | 'F16';
}

export function saveModel(file: string, model: Model<FloatArray>, trainSummary?: Record<string, unknown>, options: SaveModelOptions = {}): void {
  const tensors = model.table.map((e) => ({ name: e.name, shape: e.shape, data: model.params.subarray(e.offset, e.offset + e.size) }));
  const metadata = { shiren: JSON.stringify(modelMetadata(model, trainSummary)) };
  writeFileAtomic(file, encodeSafetensors(tensors, metadata, options.dtype ?? 'F32'));
}

/** Model and checkpoint files larger than this are refused before reading (a 4×1024 LSTM is 0.2 GB). */
export const MAX_MODEL_BYTES = 2 ** 30;

/**
 * Reads and decodes a safetensors file, turning every failure into a one-line ModelFileError: it
 * must be a regular file (not a folder, device such as /dev/zero, FIFO or socket) of at most
 * MAX_MODEL_BYTES, checked before a byte is read.
 */
export function readSafetensorsFile(file: string): DecodedSafetensors {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(file, MAX_MODEL_BYTES, 'model file');
  } catch (error) {
    if (error instanceof FileError) throw new ModelFileError(error.message);
    throw error;
  }
  return decodeNamed(bytes, file);
}

/** The model in a model file, on `kernels` (the domain's `loadModel` opens one for a front end). */
export function readModelFile<F extends FloatArray>(file: string, kernels: Kernels<F>): Model<F> {
  return modelFromDecoded(readSafetensorsFile(file), kernels, file);
}

