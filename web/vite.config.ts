/**
 * The page behind `mobilenetv3 serve`, built into dist/web (shipped with the package). Everything
 * the page needs, WebAssembly binaries included, is emitted here: the page never fetches from a CDN.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // TF.js is ~1.8 MB minified and h5wasm ~4.7 MB (its WebAssembly inlined); both are split
    // already (h5wasm loads only with an .h5 file), so the default 500 kB warning says nothing.
    chunkSizeWarningLimit: 5000,
    reportCompressedSize: false,
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: {
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
});
