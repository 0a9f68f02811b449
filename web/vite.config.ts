/**
 * Vite build of the web page (`npm run build:web` → web/dist, served by `shiren serve`).
 *
 * - The worker bundles src/ as it is: the engine's Node-only branches import node:* modules, which
 *   `nodeStandIns` replaces by modules with the same export names whose functions throw (the
 *   browser never calls them; Vite's own stand-in fails already at import in the dev server). The
 *   engine's `new URL(`../../build/${name}`, import.meta.url)` becomes the three kernel .wasm files
 *   as assets; the same rewrite of the bundled-model lookup in src/nn/checkpoint.ts would also copy
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

/** node:* imports → stand-ins exporting the real module's names; calling one throws. */
function nodeStandIns(): Plugin {
  const PREFIX = '\0shiren-node:';
  return {
    name: 'shiren:node-stand-ins',
    enforce: 'pre',
    resolveId: (id) => (id.startsWith('node:') ? PREFIX + id : null),
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      const names = Object.keys(await import(name)).filter((key) => /^[A-Za-z_$][\w$]*$/.test(key) && key !== 'default');
      return [
        `const unavailable = (what) => () => { throw new Error(what + ' is not available in the browser'); };`,
        ...names.map((key) => `export const ${key} = unavailable(${JSON.stringify(`${name}.${key}`)});`),
        `export default {};`,
      ].join('\n');
    },
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
    chunkSizeWarningLimit: 1024,
  },
  // the dev server runs the worker's modules through the page's plugins, a build through the worker's
  plugins: [nodeStandIns()],
  // one worker file: the engine's dynamic node:* imports would otherwise each be a tiny chunk
  worker: { format: 'es', plugins: () => [nodeStandIns(), dropUnusedAssets()], rolldownOptions: { output: { codeSplitting: false } } },
  server: {
    headers: ISOLATION_HEADERS,
    proxy: { '/api': SHIREN_SERVE, '/model.safetensors': SHIREN_SERVE },
  },
  preview: {
    headers: ISOLATION_HEADERS,
    proxy: { '/api': SHIREN_SERVE, '/model.safetensors': SHIREN_SERVE },
  },
});
