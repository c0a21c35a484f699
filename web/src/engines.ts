/**
 * The engines that can run the model in the page. TF.js wasm (multi-threaded SIMD when the page is
 * cross-origin isolated, which `mobilenetv3 serve` arranges), TF.js webgl (GPU; software GL in a
 * headless browser) and the pure-JS cpu fallback. WebAssembly binaries come from this origin:
 * Vite emits them next to the page and setWasmPaths points TF.js at them.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export type EngineName = 'tfjs-wasm' | 'tfjs-webgl' | 'tfjs-cpu';

export const ENGINES: { name: EngineName; label: string }[] = [
  { name: 'tfjs-wasm', label: 'TF.js · WebAssembly' },
  { name: 'tfjs-webgl', label: 'TF.js · WebGL' },
  { name: 'tfjs-cpu', label: 'TF.js · plain JS (slow)' },
];

/**
 * The default, from scripts/web-timing.ts: wasm beats webgl on a machine without a GPU (where
 * Chromium falls back to software GL) and is within reach of it on laptops for a model this small.
 */
export const DEFAULT_ENGINE: EngineName = 'tfjs-wasm';

setWasmPaths({
  'tfjs-backend-wasm.wasm': new URL(wasmPlain, location.href).href,
  'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, location.href).href,
  'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, location.href).href,
});
tf.env().set('PROD', true);
if (crossOriginIsolated) setThreadsCount(Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)));

/** Switch TF.js to an engine; returns a human description of what actually runs. */
export async function useEngine(name: EngineName): Promise<string> {
  const backend = name.slice('tfjs-'.length);
  if (!(await tf.setBackend(backend))) throw new Error(`${backend} is not available in this browser`);
  await tf.ready();
  return describe(name);
}

async function describe(name: EngineName): Promise<string> {
  if (name === 'tfjs-wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    const count = threads && crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
    return `TF.js wasm${simd ? ' SIMD' : ''}, ${count} thread${count === 1 ? '' : 's'}`;
  }
  if (name === 'tfjs-webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = info && gl ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'WebGL';
    return `TF.js webgl (${renderer.replace(/\s*\(.*$/, '').slice(0, 40)})`;
  }
  return 'TF.js cpu (plain JS)';
}

/** One forward pass of a [1, H, W, 3] batch: probabilities, read back to the page. */
export async function predict(model: tf.LayersModel, input: tf.Tensor4D): Promise<Float32Array> {
  const output = tf.tidy(() => model.predict(input) as tf.Tensor);
  try {
    return (await output.data()) as Float32Array;
  } finally {
    output.dispose();
  }
}
