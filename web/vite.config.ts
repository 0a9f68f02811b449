/**
 * Vite build of the web page (`npm run build:web` → web/dist, served by `shiren serve`).
 *
 * - The worker bundles src/ through the browser entry (src/browser.ts) as it is: no module it
 *   reaches imports a Node module statically (the model is read from bytes by src/nn/model-bytes.ts,
 *   not src/nn/checkpoint.ts), so no stand-ins are needed. The engine's Node branch
 *   (src/engine/platform.ts) imports node:* dynamically and never runs in a browser: Vite
 *   leaves those imports as they are (`nodeBranchExternal`). The engine's
 *   `new URL(`../../build/${name}`, import.meta.url)` becomes the kernel .wasm files as assets;
 *   `dropUnusedAssets` removes any emitted asset no chunk refers to.
 * - The page needs cross-origin isolation (the wasm memory is a SharedArrayBuffer): the dev
 *   server and `vite preview` send the same COOP/COEP headers as `shiren serve`, and forward the
 *   API and the model file to a `shiren serve` on port 8080.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
const SHIREN_SERVE = 'http://127.0.0.1:8080';

/**
 * Leaves the engine's dynamic node:* imports (its Node branch, src/engine/platform.ts) as they
 * are, as a browser loading src/browser.ts's compiled modules directly would see them: they never
 * run in a browser. (Vite would otherwise swap in its own browser stand-in, with a notice each.)
 */
function nodeBranchExternal(): Plugin {
  return {
    name: 'shiren:node-branch-external',
    enforce: 'pre',
    resolveId: (id) => (id.startsWith('node:') ? { id, external: true } : null),
  };
}

/** Removes emitted assets of the worker bundle that none of its chunks refers to. */
function dropUnusedAssets(): Plugin {
  return {
    name: 'shiren:drop-unused-assets',
    apply: 'build',
    generateBundle(_options, bundle) {
      const code = Object.values(bundle).map((file) => (file.type === 'chunk' ? file.code : ''));
      for (const [name, file] of Object.entries(bundle)) {
        const base = name.split('/').pop()!;
        if (file.type === 'asset' && !code.some((text) => text.includes(base))) delete bundle[name];
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // the 词谱 (src/poetry/cipu-table.ts, 1.6 MB) is a chunk of its own, loaded only where the worker failed (web/src/ci-data.ts)
    chunkSizeWarningLimit: 2048,
  },
  // one worker file: the engine's dynamic node:* imports would otherwise each be a tiny chunk
  // the dev server runs the worker's modules through the page's plugins, a build through the worker's
  plugins: [nodeBranchExternal()],
  worker: { format: 'es', plugins: () => [nodeBranchExternal(), dropUnusedAssets()], rolldownOptions: { output: { codeSplitting: false } } },
  server: {
    headers: ISOLATION_HEADERS,
    proxy: { '/api': SHIREN_SERVE, '/model.safetensors': SHIREN_SERVE },
  },
  preview: {
    headers: ISOLATION_HEADERS,
    proxy: { '/api': SHIREN_SERVE, '/model.safetensors': SHIREN_SERVE },
  },
});
