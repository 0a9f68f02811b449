/**
 * Vite build of the web page (`npm run build:web` → web/dist, served by `shiren serve`).
 *
 * - The worker bundles src/ as it is: the engine's Node-only branches import node:* modules, which
 *   Vite replaces by empty stand-ins that the browser never calls. Its
 *   `new URL(`../../build/${name}`, import.meta.url)` becomes the three kernel .wasm files as
 *   assets; the same rewrite of the bundled-model lookup in src/nn/checkpoint.ts would also copy
 *   every file of the package root, which `dropUnusedAssets` removes again.
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
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      // expected by design (see above): the node:* stand-ins and the engine's Node-only dynamic imports
      onLog(level, log, handler) {
        if (/externalized for browser compatibility/.test(log.message) || log.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
        handler(level, log);
      },
    },
  },
  worker: { format: 'es', plugins: () => [dropUnusedAssets()] },
  server: {
    headers: ISOLATION_HEADERS,
    proxy: { '/api': SHIREN_SERVE, '/model.safetensors': SHIREN_SERVE },
  },
  preview: {
    headers: ISOLATION_HEADERS,
    proxy: { '/api': SHIREN_SERVE, '/model.safetensors': SHIREN_SERVE },
  },
});
