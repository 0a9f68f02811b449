/**
 * Bias and embedding (Kernels.addBias, biasBackward, embeddingForward, embeddingBackward).
 *
 * Contract: addBias and biasBackward are split kernels; the embedding kernels run on the calling
 * thread, and embeddingBackward adds rows in order of n (deterministic with repeated ids).
 */
import { addRow, sliceBegin, sliceEnd } from './math';

// ---------------------------------------------------------------------------------------------
// Bias and embedding. addBias splits rows, biasBackward splits columns (each column's sum keeps
// the row order of the naive loop).
// ---------------------------------------------------------------------------------------------

export function addBias(out: usize, bias: usize, R: i32, C: i32, part: i32, nparts: i32): f64 {
  const r1 = sliceEnd(R, part, nparts, 1);
  for (let r = sliceBegin(R, part, nparts, 1); r < r1; r++) addRow(out + <usize>r * C * 4, bias, C);
  return 0;
}

/** Columns are split (JS gives each part ≥ 512 columns, so rows stay long contiguous runs). */
export function biasBackward(dbias: usize, dout: usize, R: i32, C: i32, part: i32, nparts: i32): f64 {
  const c0 = sliceBegin(C, part, nparts, 16), c1 = sliceEnd(C, part, nparts, 16);
  if (c0 >= c1) return 0;
  for (let r = 0; r < R; r++) addRow(dbias + <usize>c0 * 4, dout + (<usize>r * C + c0) * 4, c1 - c0);
  return 0;
}

export function embeddingForward(out: usize, table: usize, ids: usize, N: i32, E: i32): void {
  for (let n = 0; n < N; n++) {
    const id = load<i32>(ids + <usize>n * 4);
    memory.copy(out + <usize>n * E * 4, table + <usize>id * E * 4, <usize>E * 4);
  }
}

export function embeddingBackward(dtable: usize, dout: usize, ids: usize, N: i32, E: i32): void {
  for (let n = 0; n < N; n++) {
    const id = load<i32>(ids + <usize>n * 4);
    addRow(dtable + <usize>id * E * 4, dout + <usize>n * E * 4, E);
  }
}
