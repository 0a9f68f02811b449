/**
 * Opening a model, the first step of every domain function (docs/design.md §4, §8): `loadModel()`
 * opens the bundled pretrained model, `loadModel(path)` a model file, `loadModel(bytes)` the bytes
 * of one (the page fetches them), each on the engine asked for or the fastest one here.
 *
 * Contract: a missing, foreign or corrupt file is a one-line ModelFileError naming it.
 */
import { selectKernels, type EngineName } from '../engine/index.ts';
import { readModelFile, resolveModelFile } from '../nn/checkpoint.ts';
import { modelFromBytes } from '../nn/model-bytes.ts';
import { DEFAULT_DECODE_PRECISION, type DecodePrecision } from '../nn/config.ts';
import type { Model } from '../nn/model.ts';

export interface LoadOptions {
  /** auto (default) | blas | wasm | reference */
  engine?: EngineName;
  /** Threads for the wasm and blas engines (default: all cores). */
  threads?: number;
  /** What the model is opened for: 'decode' (writing only) lets `auto` skip OpenBLAS (src/engine/index.ts). */
  job?: 'any' | 'decode';
  /**
   * The weights of writing (Model.step): 'int8' (the default, as `shiren gen`, `serve` and the
   * page: per-row int8 copies, src/nn/int8.ts, a quarter of the bytes per step, the same test
   * perplexity to 0.02) or 'f32'. A seed writes the same poem here as there. Scoring, evaluation
   * perplexity and inspect always use the f32 parameters.
   */
  precision?: DecodePrecision;
}

/** A model and where it came from. */
export interface OpenedModel {
  model: Model;
  /** The file it was read from, or '<bytes>'. */
  source: string;
}

/** Opens a model: the bundled one (no source), a file, or the bytes of a file. */
export async function openModel(source?: string | Uint8Array, opts: LoadOptions = {}): Promise<OpenedModel> {
  const kernels = await selectKernels({ engine: opts.engine, threads: opts.threads, job: opts.job });
  const precision = opts.precision ?? DEFAULT_DECODE_PRECISION;
  let opened: OpenedModel;
  if (source instanceof Uint8Array) opened = { model: modelFromBytes(source, kernels, '<bytes>'), source: '<bytes>' };
  else {
    const file = resolveModelFile(source);
    opened = { model: readModelFile(file, kernels), source: file };
  }
  opened.model.setDecodePrecision(precision);
  return opened;
}

/** `openModel`, returning just the model. */
export async function loadModel(source?: string | Uint8Array, opts: LoadOptions = {}): Promise<Model> {
  return (await openModel(source, opts)).model;
}
