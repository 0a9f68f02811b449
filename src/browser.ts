/**
 * shiren in the browser (the `shiren/browser` entry, docs/design.md §8): the same domain functions
 * as the Node entry (src/index.ts) on the wasm engine alone, with the model given as bytes or a
 * URL to fetch. No Node module is imported here: no bundled-model lookup, no OpenBLAS, no files.
 *
 *   import { loadModel, generate, score } from 'shiren/browser';
 *   const model = await loadModel('/model.safetensors');          // or the file's bytes
 *   const poems = await generate(model, { start: '山', form: 'qijue', seed: 1 });
 *
 * Also here, all browser-safe: the prosody checker (`checkPoem`, the rhyme books), the 对联 checker
 * (`checkDuilian`, and `duilianSlots`: what each position of a 下联 must be), `inspectUnderTitle`
 * (a poem's per-character probabilities and gates) and its SVG heat map (`renderSvg`).
 *
 * The wasm kernels share one WebAssembly memory between threads, so the page must be
 * cross-origin isolated (COOP/COEP headers, as `shiren serve` sends) for SharedArrayBuffer; the
 * kernel files are found at `../../build/*.wasm` from this module (bundlers such as Vite copy
 * them as assets). Results are the same as in Node for the same seed.
 */
import { createWasmKernels } from './engine/wasm.ts';
import { modelFromBytes } from './nn/model-bytes.ts';
import type { Model } from './nn/model.ts';
import { DEFAULT_DECODE_PRECISION, type DecodePrecision } from './nn/config.ts';

export { generate, score } from './library.ts';
export { describeModel, type ModelInfo } from './domain/requests.ts';
export { WriteError, type Poem, type WriteOptions, type WriteRun } from './domain/write.ts';
export { writeDuilian, MAX_DUILIAN_CHARS, type DuilianWriteOptions, type DuilianAnswer, type DuilianResult, type DuilianReading } from './domain/duilian.ts';
export { LIMITS, API_LIMITS, MAX_SCORE_CHARS, type Limits } from './domain/limits.ts';
export type { PoemScore, ScoreInput } from './domain/score.ts';
export { UnknownCharacterError } from './data/vocab.ts';
export { PoetryError } from './poetry/forms.ts';
export { ModelFileError } from './nn/model-bytes.ts';
export type { Model } from './nn/model.ts';
export { conditionOf } from './data/sequence.ts';
export { classifyForm, FORMS, type Form, type RegulatedForm } from './data/clean.ts';
export { checkPoem, FAULT_KINDS, type CheckOptions, type CheckResult, type Fault, type FaultKind } from './poetry/check.ts';
export { checkText, checkCi, type TextCheckOptions, type CiCheckOptions, type CiCheckResult } from './poetry/ci-check.ts';
export { allTunes, findTune, CipaiError, type CiTune, type CiFormat, type CiSlot } from './poetry/cipu.ts';
export { checkDuilian, duilianSlots, slotAllows, DUILIAN_FAULT_KINDS, type DuilianCheck, type DuilianFault, type DuilianFaultKind, type DuilianOptions, type DuilianSlot, type DuilianSlots } from './poetry/duilian.ts';
export { RHYME_BOOKS, type RhymeBookName } from './poetry/book-names.ts';
export { rhymeBook } from './poetry/rhymebook.ts';
export { inspectUnderTitle } from './domain/inspect.ts';
export type { PoemInspection, CharInspection, LayerInspection, SignalInfo } from './explain/inspect.ts';
export { renderSvg } from './explain/render.ts';

export interface BrowserLoadOptions {
  /**
   * Threads of the wasm engine (default 1: a poem's per-step matrices are small, and helper
   * threads would only spin; more help batch scoring).
   */
  threads?: number;
  /** The weights of writing: 'int8' (default, as `shiren gen`: src/nn/int8.ts) or 'f32'; scoring and inspect use f32. */
  precision?: DecodePrecision;
}

/** Opens a model from the bytes of a model file, or from a URL it fetches. */
export async function loadModel(source: Uint8Array | ArrayBuffer | string | URL, opts: BrowserLoadOptions = {}): Promise<Model> {
  let bytes: Uint8Array;
  let name: string;
  if (typeof source === 'string' || source instanceof URL) {
    name = String(source);
    const res = await fetch(source);
    if (!res.ok) throw new Error(`cannot fetch the model ${name}: HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else {
    name = '<bytes>';
    bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  }
  const kernels = await createWasmKernels({ threads: opts.threads ?? 1 });
  const model = modelFromBytes(bytes, kernels, name);
  model.setDecodePrecision(opts.precision ?? DEFAULT_DECODE_PRECISION);
  return model;
}
