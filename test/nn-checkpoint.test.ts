/**
 * Model files: shiren → file → shiren is bit-identical (F32) for every cell, untied and tied
 * (`proj.weight` for `fc.weight`; a file without `tied` is untied); F16 conversion is
 * exact on every half value and rounds to nearest even; BF16 and F64 tensors load; every kind of
 * bad file gives a one-line ModelFileError naming the file and the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createReferenceKernels } from '../src/engine/reference.ts';
import { Model } from '../src/nn/model.ts';
import { readModelFile, saveModel } from '../src/nn/checkpoint.ts';
import { modelMetadata, ModelFileError, parameterCount } from '../src/nn/model-bytes.ts';
import { decodeSafetensors, encodeSafetensors, f16ToF32, f32ToF16 } from '../src/nn/safetensors.ts';
import { SPECIALS, Vocab } from '../src/data/vocab.ts';
import type { CellType } from '../src/nn/config.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shiren-ckpt-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const vocab = new Vocab([...SPECIALS, '，', '。', '山', '水']);
const k32 = createReferenceKernels('f32');
const makeModel = (cell: CellType, seed = 1, tied = false) =>
  Model.create(k32, { cell, layers: 2, embed: 3, hidden: 4, dropout: 0.1, vocabSize: vocab.size, gruVariant: 'seed', tied, titleBag: false }, vocab, seed);

for (const [cell, tied] of [['rnn', false], ['lstm', false], ['gru', false], ['gru', true], ['lstm', true]] as const) {
  test(`${cell}${tied ? ' tied' : ''}: save then load is bit-identical, with config, vocabulary and train summary`, () => {
    const model = makeModel(cell, 1, tied);
    const file = path.join(dir, `${cell}${tied ? '-tied' : ''}.safetensors`);
    saveModel(file, model, { epochs: 3, valid_ppl: 123.4 });
    const loaded = readModelFile(file, k32);
    assert.deepEqual(new Uint32Array(loaded.params.buffer), new Uint32Array(model.params.buffer));
    assert.deepEqual(loaded.config, model.config);
    assert.deepEqual(loaded.vocab.symbols, vocab.symbols);
    assert.deepEqual(loaded.trainSummary, { epochs: 3, valid_ppl: 123.4 });
    // saveModel writes `.<name>.<pid>.tmp` and renames it: none may be left behind
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.') || f.endsWith('.tmp')), []);
  });
}

test('the file is standard safetensors: PyTorch names and shapes, metadata schema, aligned header', () => {
  const model = makeModel('lstm');
  const file = path.join(dir, 'std.safetensors');
  saveModel(file, model);
  const bytes = fs.readFileSync(file);
  assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(tensors.get('rnn.weight_hh_l1')?.shape, [16, 4]);
  assert.equal(tensors.get('fc.bias')?.dtype, 'F32');
  const meta = JSON.parse(metadata.shiren);
  assert.deepEqual(meta, { format: 1, cell: 'lstm', gru_variant: 'seed', layers: 2, embed: 3, hidden: 4, dropout: 0.1, tied: false, condition: 'none', vocab: [...vocab.symbols] });
  assert.deepEqual(meta, modelMetadata(model));
});

test('a tied model\'s file: proj.weight [E, H] and no fc.weight, "tied": true; a file without "tied" is untied', () => {
  const model = makeModel('gru', 1, true);
  const file = path.join(dir, 'tied.safetensors');
  saveModel(file, model);
  const { tensors, metadata } = decodeSafetensors(fs.readFileSync(file));
  assert.deepEqual([...tensors.keys()].filter((n) => !n.startsWith('rnn.')), ['embedding.weight', 'proj.weight', 'fc.bias']);
  assert.deepEqual(tensors.get('proj.weight')?.shape, [3, 4]);
  assert.equal(JSON.parse(metadata.shiren).tied, true);
  assert.equal(model.paramCount, makeModel('gru').paramCount - vocab.size * 4 + 3 * 4);
  for (const m of [model, makeModel('gru'), makeModel('lstm', 1, true)]) assert.equal(parameterCount(m.config), m.paramCount, 'parameterCount, by arithmetic');
  // a file written before the field: no "tied", fc.weight — untied
  const untied = makeModel('lstm');
  const { tied: _, ...old } = modelMetadata(untied);
  const oldFile = path.join(dir, 'old.safetensors');
  fs.writeFileSync(oldFile, encodeSafetensors(untied.table.map((e) => ({ name: e.name, shape: e.shape, data: untied.params.subarray(e.offset, e.offset + e.size) })), { shiren: JSON.stringify(old) }));
  assert.equal(readModelFile(oldFile, k32).config.tied, false);
});

test('saving replaces an existing file atomically', () => {
  const file = path.join(dir, 'replace.safetensors');
  saveModel(file, makeModel('rnn', 1));
  saveModel(file, makeModel('rnn', 2));
  assert.deepEqual([...readModelFile(file, k32).params], [...makeModel('rnn', 2).params]);
});

test('F16: every half value survives half → float → half; rounding is to nearest even', () => {
  for (let h = 0; h < 0x10000; h++) {
    const x = f16ToF32(h);
    if (Number.isNaN(x)) continue;
    assert.equal(f32ToF16(x), h, `half 0x${h.toString(16)}`);
  }
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // tie → even (down)
  assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
  assert.equal(f32ToF16(65520), 0x7c00); // rounds past the largest half: Infinity
  assert.equal(f32ToF16(2 ** -25), 0); // tie between 0 and the smallest subnormal → 0
  assert.equal(f32ToF16(1.5 * 2 ** -25), 1);
  assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
});

test('a model saved as F16 loads with half-rounded weights', () => {
  const model = makeModel('gru');
  const file = path.join(dir, 'half.safetensors');
  saveModel(file, model, undefined, { dtype: 'F16' });
  const { tensors } = decodeSafetensors(fs.readFileSync(file));
  assert.equal(tensors.get('fc.weight')?.dtype, 'F16');
  const loaded = readModelFile(file, k32);
  assert.deepEqual([...loaded.params], [...model.params].map((x) => f16ToF32(f32ToF16(x))));
});

test('BF16 and F64 tensors decode to float32', () => {
  const header = JSON.stringify({ a: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'F64', shape: [1], data_offsets: [4, 12] } });
  const bytes = Buffer.alloc(8 + header.length + 12);
  bytes.writeBigUInt64LE(BigInt(header.length), 0);
  bytes.write(header, 8);
  const data = 8 + header.length;
  bytes.writeUInt16LE(0x3fc0, data); // bf16 1.5
  bytes.writeUInt16LE(0xc000, data + 2); // bf16 −2
  bytes.writeDoubleLE(0.25, data + 4);
  const { tensors } = decodeSafetensors(bytes);
  assert.deepEqual([...tensors.get('a')!.data], [1.5, -2]);
  assert.deepEqual([...tensors.get('b')!.data], [0.25]);
});

/** Writes a file from tensors/metadata and returns the ModelFileError message of loading it. */
function loadError(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  try {
    readModelFile(file, k32);
  } catch (error) {
    assert.ok(error instanceof ModelFileError, `${name}: ${String(error)}`);
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.ok(error.message.startsWith(file + ': '), 'names the file');
    return error.message.slice(file.length + 2);
  }
  assert.fail(`${name}: loaded without error`);
}

function modelFile(change: { tied?: boolean; meta?: Record<string, unknown>; rename?: [string, string]; reshape?: string; drop?: string; metadata?: Record<string, string> }): Uint8Array {
  const model = makeModel('lstm', 1, change.tied);
  let tensors = model.table.map((e) => ({ name: e.name, shape: e.shape, data: model.params.subarray(e.offset, e.offset + e.size) }));
  if (change.rename) tensors = tensors.map((t) => (t.name === change.rename![0] ? { ...t, name: change.rename![1] } : t));
  if (change.reshape) tensors = tensors.map((t) => (t.name === change.reshape ? { ...t, shape: [t.data.length, 1] } : t));
  if (change.drop) tensors = tensors.filter((t) => t.name !== change.drop);
  const metadata = change.metadata ?? { shiren: JSON.stringify({ ...modelMetadata(model), ...change.meta }) };
  return encodeSafetensors(tensors, metadata);
}

test('bad files are refused with clear one-line messages', () => {
  const good = modelFile({});
  assert.throws(() => readModelFile(path.join(dir, 'nope.safetensors'), k32), (e: Error) => e instanceof ModelFileError && e.message.endsWith('nope.safetensors: no such file'));
  fs.writeFileSync(path.join(dir, 'good'), good);
  assert.doesNotThrow(() => readModelFile(path.join(dir, 'good'), k32)); // the edits below are what break it
  assert.throws(() => readModelFile(dir, k32), (e: Error) => e instanceof ModelFileError && e.message === `${dir}: is a directory, not a model file`);

  assert.match(loadError('truncated-data', good.subarray(0, good.length - 10)), /^truncated file \(tensor fc\.bias needs data up to byte \d+, the file has \d+\)$/);
  assert.match(loadError('truncated-header', good.subarray(0, 40)), /^truncated file \(header needs \d+ bytes/);
  assert.match(loadError('tiny', good.subarray(0, 5)), /^truncated file/);
  const corrupt = Uint8Array.from(good);
  corrupt[9] = 0x7b; // "{{" is not JSON
  corrupt[8] = 0x7b;
  assert.equal(loadError('corrupt', corrupt), 'not a safetensors file (header is not valid JSON)');
  assert.equal(loadError('text', new TextEncoder().encode('山不在高，有仙则名。水不在深，有龙则灵。')), 'not a safetensors file (implausible header length)');
  assert.equal(loadError('foreign', modelFile({ metadata: { format: 'pt' } })), 'not a shiren model (no __metadata__.shiren)');
  assert.equal(loadError('bad-json-meta', modelFile({ metadata: { shiren: '{oops' } })), 'corrupt __metadata__.shiren (not valid JSON)');
  assert.equal(loadError('format-2', modelFile({ meta: { format: 2 } })), 'unsupported shiren model format 2 (this version reads 1)');
  assert.equal(loadError('cell', modelFile({ meta: { cell: 'transformer' } })), 'unknown cell type "transformer" (expected "rnn", "lstm" or "gru")');
  assert.match(loadError('gru-pt', encodeGru('pytorch')), /^GRU variant "pytorch" is not supported/);
  assert.equal(loadError('no-vocab', modelFile({ meta: { vocab: undefined } })), 'metadata has no vocabulary (vocab must be a list of strings)');
  assert.match(loadError('bad-vocab', modelFile({ meta: { vocab: ['a', 'b'] } })), /^bad vocabulary: vocabulary must start with <pad> <unk> <bos> <eos>$/);
  assert.equal(loadError('hidden', modelFile({ meta: { hidden: 0 } })), 'model hidden must be a positive integer, got 0');
  assert.equal(loadError('shape', modelFile({ reshape: 'fc.bias' })), 'tensor fc.bias has shape [8, 1], expected [8]');
  assert.equal(loadError('unknown', modelFile({ rename: ['fc.bias', 'decoder.bias'] })), 'unknown tensor decoder.bias for a 2-layer lstm model');
  assert.equal(loadError('missing', modelFile({ drop: 'rnn.bias_hh_l1' })), 'missing tensor rnn.bias_hh_l1');
  assert.match(loadError('layers', modelFile({ meta: { layers: 1 } })), /^unknown tensor rnn\.weight_ih_l1 for a 1-layer lstm model$/);
  assert.equal(loadError('tied-string', modelFile({ meta: { tied: 'yes' } })), 'metadata "tied" must be true or false, got "yes"');
  // an untied file's tensors under "tied": true, and a tied file's under "tied": false
  assert.equal(loadError('tied-untied', modelFile({ meta: { tied: true } })), 'unknown tensor fc.weight for a 2-layer tied lstm model');
  assert.equal(loadError('untied-tied', modelFile({ tied: true, meta: { tied: false } })), 'unknown tensor proj.weight for a 2-layer lstm model');
  assert.equal(loadError('tied-no-proj', modelFile({ tied: true, drop: 'proj.weight' })), 'missing tensor proj.weight');
});

function encodeGru(variant: string): Uint8Array {
  const model = makeModel('gru');
  const tensors = model.table.map((e) => ({ name: e.name, shape: e.shape, data: model.params.subarray(e.offset, e.offset + e.size) }));
  return encodeSafetensors(tensors, { shiren: JSON.stringify({ ...modelMetadata(model), gru_variant: variant }) });
}
