/**
 * The safetensors container (docs/design.md §4; https://huggingface.co/docs/safetensors):
 *
 *   [u64 little-endian n][n bytes of JSON header][raw tensor data]
 *   header = { "__metadata__"?: {string: string}, name: {dtype, shape, data_offsets: [begin, end]} }
 *   data_offsets are byte offsets relative to the start of the data section.
 *
 * Contract
 * - Decoding accepts F32, F16, BF16 and F64 tensors and always returns float32 data; encoding
 *   writes F32 (bit-exact) or F16 (round to nearest even, for a smaller bundled model).
 * - The header is padded with spaces to a multiple of 8 bytes, as the reference writer does, so
 *   F32/F64 data is aligned for readers that map the file.
 * - Malformed input raises SafetensorsError with a one-line reason; TruncatedError (a subclass)
 *   when the bytes end before what the header promises. As the reference library, the tensors
 *   must cover the data section exactly: overlapping ranges, a gap or bytes after the last tensor
 *   are refused (a file with 1 GB appended is not a model).
 * - Assumes a little-endian host for the raw data (every platform Node supports).
 */

export type DtypeName = 'F32' | 'F16' | 'BF16' | 'F64';

const DTYPE_BYTES: Record<DtypeName, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export interface Tensor {
  shape: number[];
  /** Values converted to float32, row-major. */
  data: Float32Array;
  /** The dtype stored in the file. */
  dtype: DtypeName;
}

export interface DecodedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: ArrayLike<number>;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export class TruncatedError extends SafetensorsError {
  override name = 'TruncatedError';
}

/** Headers larger than this are refused as corrupt (the reference library's limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string>, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  const width = DTYPE_BYTES[dtype];
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new SafetensorsError(`tensor ${t.name}: shape [${t.shape}] needs ${size} values, got ${t.data.length}`);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size * width] };
    offset += size * width;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    const bytes = dtype === 'F32'
      ? new Uint8Array(Float32Array.from(t.data).buffer)
      : new Uint8Array(Uint16Array.from(t.data, f32ToF16).buffer);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (bytes.length < 8) throw new TruncatedError(`file is ${bytes.length} bytes, too short for a safetensors header`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError('not a safetensors file (implausible header length)');
  const n = Number(headerLength);
  if (8 + n > bytes.length) throw new TruncatedError(`header needs ${n} bytes, file has ${bytes.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new SafetensorsError('not a safetensors file (header is not valid JSON)');
  }
  if (!isRecord(header)) throw new SafetensorsError('not a safetensors file (header is not a JSON object)');

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  const ranges: Array<[number, number, string]> = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(entry) || !Object.values(entry).every((v) => typeof v === 'string')) {
        throw new SafetensorsError('__metadata__ must map names to strings');
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    if (!isRecord(entry)) throw new SafetensorsError(`tensor ${name}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
      throw new SafetensorsError(`tensor ${name}: unsupported dtype ${JSON.stringify(dtype)} (expected F32, F16, BF16 or F64)`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`tensor ${name}: invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw new SafetensorsError(`tensor ${name}: invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const width = DTYPE_BYTES[dtype as DtypeName];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== size * width) throw new SafetensorsError(`tensor ${name}: data_offsets span ${end - begin} bytes, shape [${shape}] ${dtype} needs ${size * width}`);
    if (end > dataLength) throw new TruncatedError(`tensor ${name} needs data up to byte ${end}, the file has ${dataLength}`);
    ranges.push([begin, end, name]);
    // Copy into a fresh (aligned) buffer: the data section need not be aligned in foreign files.
    // (Not bytes.slice: on a Node Buffer that is a view into a shared pool.)
    const raw = new Uint8Array(end - begin);
    raw.set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape: shape as number[], dtype: dtype as DtypeName, data: toFloat32(raw.buffer, dtype as DtypeName) });
  }
  checkCoverage(ranges, dataLength);
  return { tensors, metadata };
}

/** The tensors' byte ranges must tile [0, dataLength): no overlap, no gap, nothing after. */
function checkCoverage(ranges: Array<[number, number, string]>, dataLength: number): void {
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  let last = '';
  for (const [begin, end, name] of ranges) {
    if (begin < at) throw new SafetensorsError(`tensor ${name} overlaps tensor ${last} (bytes ${begin}..${at} of the data)`);
    if (begin > at) throw new SafetensorsError(`${begin - at} bytes of the data before tensor ${name} belong to no tensor`);
    at = end;
    last = name;
  }
  if (at < dataLength) throw new SafetensorsError(`${dataLength - at} bytes after the last tensor belong to no tensor (trailing data)`);
}

function toFloat32(raw: ArrayBuffer, dtype: DtypeName): Float32Array {
  switch (dtype) {
    case 'F32':
      return new Float32Array(raw);
    case 'F64':
      return Float32Array.from(new Float64Array(raw));
    case 'F16': {
      // a plain loop over a table: Float32Array.from with a map function took 0.75 s for the
      // bundled model's 3.5 M halves, most of `shiren gen`'s start
      const halves = new Uint16Array(raw);
      const table = f16Table();
      const out = new Float32Array(halves.length);
      for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]!]!;
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const out = new Uint32Array(raw.byteLength / 2);
      new Uint16Array(raw).forEach((h, i) => (out[i] = h << 16));
      return new Float32Array(out.buffer);
    }
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

let halfTable: Float32Array | undefined;
/** All 65,536 halves as float32 (256 KiB, built on first use in about a millisecond). */
function f16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = f16ToF32(h);
  }
  return halfTable;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** IEEE half (as its 16 bits) → number. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** number → IEEE half bits, via float32, rounding to nearest even; overflow gives ±Infinity. */
export function f32ToF16(x: number): number {
  scratchF32[0] = x;
  const bits = scratchU32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m·2^−24 with m = (1.mantissa)·2^(exponent−126).
    if (e < -10) return sign;
    const shift = 14 - e;
    const full = mantissa | 0x800000;
    return sign | roundShift(full, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  return sign | ((e << 10) + roundShift(mantissa, 13));
}

/** value >>> shift, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1)) ? kept + 1 : kept;
}
