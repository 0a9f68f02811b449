#!/usr/bin/env node
/**
 * Compiles assembly/ (shiren's f32 kernels; index.ts re-exports those of the other files) with
 * AssemblyScript's `asc` into build/:
 *   build/kernels-scalar.wasm   no SIMD (old browsers)
 *   build/kernels-simd.wasm     WebAssembly SIMD (128-bit)
 *   build/kernels-relaxed.wasm  SIMD + relaxed-SIMD FMA (Node needs --experimental-wasm-relaxed-simd)
 * Every build imports one shared memory (env.memory) so that all worker threads run the same
 * module over the same buffers. Run by `npm run build:wasm`; safe as a `prepare` step: when the
 * assemblyscript devDependency is absent (an install from the registry), it says so and exits 0,
 * and src/engine falls back to the reference kernels.
 * Usage: node tools/build-wasm.js [--if-stale] [--wat]
 *   --if-stale: skip when build/ is newer than every file of assembly/ and this script;
 *   --wat: also write build/*.wat
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build');

/** Memory limits in 64 KiB pages; the JS side creates the memory (initial ≥ 1, maximum ≤ this). */
const MAXIMUM_PAGES = 65536;

export const VARIANTS = {
  scalar: ['--disable', 'simd'],
  simd: ['--enable', 'simd'],
  relaxed: ['--enable', 'simd', '--enable', 'relaxed-simd'],
};

/** The latest mtime of a folder, its files and its subfolders' (the folder's own: a file removed). */
function newestMtime(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when every variant exists and is newer than every file of assembly/ and than this script (its flags). */
export function buildIsFresh() {
  const srcTime = Math.max(newestMtime(join(root, 'assembly')), statSync(fileURLToPath(import.meta.url)).mtimeMs);
  return Object.keys(VARIANTS).every((v) => {
    const file = join(outDir, `kernels-${v}.wasm`);
    return existsSync(file) && statSync(file).mtimeMs >= srcTime;
  });
}

/** Builds every variant; `wat` also writes the text form beside each module (for reading the code). */
export async function buildWasm({ quiet = false, wat = false } = {}) {
  let asc;
  try {
    asc = await import('assemblyscript/asc');
  } catch {
    if (!quiet) console.log('build-wasm: assemblyscript is not installed; skipping (the reference kernels will be used)');
    return false;
  }
  mkdirSync(outDir, { recursive: true });
  for (const [variant, features] of Object.entries(VARIANTS)) {
    const outFile = `build/kernels-${variant}.wasm`; // paths relative to --baseDir
    const args = [
      '--baseDir', root, 'assembly/index.ts', '-o', outFile, ...(wat ? ['-t', outFile.replace(/\.wasm$/, '.wat')] : []),
      '-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort=',
      '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', String(MAXIMUM_PAGES),
      '--enable', 'threads', ...features,
    ];
    // write each output to a temporary name and rename it: a test run building concurrently
    // never sees a half-written module
    const writeFile = (name, contents, baseDir) => {
      const path = join(baseDir, name);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, contents);
      renameSync(tmp, path);
    };
    const { error, stderr } = await asc.main(args, { writeFile });
    if (error) {
      console.error(stderr.toString());
      throw new Error(`build-wasm: ${variant} build failed: ${error.message}`);
    }
    if (!quiet) console.log(`build-wasm: ${outFile} (${statSync(join(root, outFile)).size} bytes)`);
  }
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--if-stale') && existsSync(outDir) && buildIsFresh()) process.exit(0);
  await buildWasm({ wat: process.argv.includes('--wat') });
}
