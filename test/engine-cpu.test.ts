/**
 * The OpenBLAS core-type rule of src/engine/cpu.ts (corename + CPU flags → OPENBLAS_CORETYPE):
 * only a generic SSE-era core is replaced, by the best family the flags fully support, and the
 * /proc/cpuinfo parser it reads the flags with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestCoreType, coreTypeFor, parseCpuInfo } from '../src/engine/cpu.ts';

const SSE = 'fpu sse sse2 ssse3 sse4_1 sse4_2';
const AVX2 = `${SSE} avx f16c fma avx2 bmi1 bmi2`;
const AVX512 = `${AVX2} avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni`;
const cpu = (vendor: string, flags: string) => ({ vendor, flags: new Set(flags.split(' ')) });
const intel = (flags: string) => cpu('GenuineIntel', flags);
const amd = (flags: string) => cpu('AuthenticAMD', flags);

test('a generic core on an AVX-512 CPU becomes SkylakeX (the issue: 0.3.21 calls recent Xeons Prescott)', () => {
  assert.equal(coreTypeFor('Prescott', intel(AVX512)), 'SkylakeX');
  assert.equal(coreTypeFor('Prescott', amd(AVX512)), 'SkylakeX');
  assert.equal(coreTypeFor('NEHALEM', intel(AVX512)), 'SkylakeX', 'case-insensitive');
  assert.equal(coreTypeFor('Core2', intel(AVX512)), 'SkylakeX');
});

test('a generic core on an AVX2 CPU becomes Haswell (Intel) or Zen (AMD); AVX alone, Sandybridge', () => {
  assert.equal(coreTypeFor('Prescott', intel(AVX2)), 'Haswell');
  assert.equal(coreTypeFor('Barcelona', amd(AVX2)), 'Zen');
  assert.equal(coreTypeFor('Prescott', intel(`${SSE} avx`)), 'Sandybridge');
  // AVX-512 without every one of F, CD, BW, DQ, VL (Xeon Phi has F and CD only) is not SkylakeX
  assert.equal(coreTypeFor('Prescott', intel(`${AVX2} avx512f avx512cd avx512er avx512pf`)), 'Haswell');
});

test("the library's own named cores are kept, and so is a generic core on an SSE-only CPU", () => {
  for (const core of ['Cooperlake', 'SkylakeX', 'SapphireRapids', 'Haswell', 'Zen', 'Sandybridge']) {
    assert.equal(coreTypeFor(core, intel(AVX512)), null, core);
  }
  assert.equal(coreTypeFor('Prescott', intel(SSE)), null);
  assert.equal(coreTypeFor('Prescott', intel('')), null);
  assert.equal(bestCoreType(intel(SSE)), null);
});

test('parseCpuInfo reads the vendor, model name and flags of the first processor', () => {
  const text = [
    'processor\t: 0', 'vendor_id\t: GenuineIntel', 'cpu family\t: 6', 'model\t\t: 143',
    'model name\t: Intel(R) Xeon(R) Platinum 8480+', `flags\t\t: ${AVX512}`, '',
    'processor\t: 1', 'vendor_id\t: GenuineIntel', 'model name\t: Intel(R) Xeon(R) Platinum 8480+', 'flags\t\t: fpu', '',
  ].join('\n');
  const info = parseCpuInfo(text);
  assert.equal(info.vendor, 'GenuineIntel');
  assert.equal(info.model, 'Intel(R) Xeon(R) Platinum 8480+');
  assert.ok(info.flags.has('avx512bw') && info.flags.has('fpu'));
  assert.equal(coreTypeFor('Prescott', info), 'SkylakeX');
  assert.deepEqual(parseCpuInfo(''), { vendor: '', model: '', flags: new Set() });
});
