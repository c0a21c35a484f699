/**
 * The engines that can run the model in the page:
 * - TF.js wasm (multi-threaded SIMD when the page is cross-origin isolated, which
 *   `mobilenetv3 serve` arranges), TF.js webgl (GPU; software GL in a headless browser) and the
 *   pure-JS cpu fallback run the tf.LayersModel directly;
 * - ONNX Runtime Web (wasm) runs the model exported to ONNX in the page by our exporter.
 * WebAssembly binaries come from this origin: Vite emits them next to the page, and TF.js /
 * ONNX Runtime are pointed at them (never at a CDN).
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export type EngineName = 'tfjs-wasm' | 'tfjs-webgl' | 'tfjs-cpu' | 'ort-wasm';

export const ENGINES: { name: EngineName; label: string }[] = [
  { name: 'tfjs-wasm', label: 'TF.js · WebAssembly' },
  { name: 'ort-wasm', label: 'ONNX Runtime · WebAssembly' },
  { name: 'tfjs-webgl', label: 'TF.js · WebGL' },
  { name: 'tfjs-cpu', label: 'TF.js · plain JS (slow)' },
];

/** The default, chosen from scripts/web-timing.ts (see the README, "In the browser"). */
export const DEFAULT_ENGINE: EngineName = 'tfjs-wasm';

/** Threads for the wasm engines: they need SharedArrayBuffer, i.e. a cross-origin isolated page. */
export const THREADS = crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;

const here = (url: string) => new URL(url, location.href).href;
setWasmPaths({
  'tfjs-backend-wasm.wasm': here(wasmPlain),
  'tfjs-backend-wasm-simd.wasm': here(wasmSimd),
  'tfjs-backend-wasm-threaded-simd.wasm': here(wasmThreaded),
});
setThreadsCount(THREADS);
tf.env().set('PROD', true);

export interface PageEngine {
  name: EngineName;
  /** What actually runs, e.g. "TF.js wasm SIMD, 2 threads". */
  label: string;
  /** Probabilities for a [1, H, W, 3] float32 batch of 0..255 RGB. */
  run(input: tf.Tensor4D): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** TF.js runs everything in the page except the ONNX Runtime session (preprocessing too). */
async function useTfBackend(backend: string): Promise<void> {
  if (tf.getBackend() === backend) return;
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js ${backend} is not available in this browser`);
  await tf.ready();
}

async function tfjsLabel(name: EngineName): Promise<string> {
  if (name === 'tfjs-wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    const n = threaded ? THREADS : 1;
    return `TF.js wasm${simd ? ' SIMD' : ''}, ${n} thread${n === 1 ? '' : 's'}`;
  }
  if (name === 'tfjs-webgl') {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const renderer = info && gl ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'WebGL 2';
    return `TF.js webgl (${renderer.replace(/\s*\(.*$/, '').slice(0, 40)})`;
  }
  return 'TF.js cpu (plain JS)';
}

function tfjsEngine(name: EngineName, model: tf.LayersModel, label: string): PageEngine {
  return {
    name,
    label,
    async run(input) {
      const output = tf.tidy(() => model.predict(input) as tf.Tensor);
      try {
        return (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
    },
    async dispose() {},
  };
}

async function ortEngine(model: tf.LayersModel): Promise<PageEngine> {
  await useTfBackend('wasm'); // preprocessing
  const [ort, { default: ortWasm }, { exportOnnx }] = await Promise.all([
    import('onnxruntime-web/wasm'),
    import('onnxruntime-web/ort-wasm-simd-threaded.wasm?url'),
    import('../../src/export/onnx/export.js'),
  ]);
  ort.env.wasm.wasmPaths = { wasm: here(ortWasm) };
  ort.env.wasm.numThreads = THREADS;
  const bytes = exportOnnx(model);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return {
    name: 'ort-wasm',
    label: `ONNX Runtime Web ${ort.env.versions.web ?? ''} wasm, ${THREADS} thread${THREADS === 1 ? '' : 's'}`.replace('  ', ' '),
    async run(input) {
      const feed = new ort.Tensor('float32', (await input.data()) as Float32Array, input.shape);
      const result = await session.run({ [inputName]: feed });
      const probabilities = result[outputName].data as Float32Array;
      feed.dispose();
      result[outputName].dispose();
      return probabilities;
    },
    async dispose() {
      await session.release();
    },
  };
}

/**
 * An engine running `model` (weights already loaded), warmed up with one blank image: the first
 * run compiles kernels / shaders, so the time shown per image is the steady one.
 */
export async function createPageEngine(name: EngineName, model: tf.LayersModel): Promise<PageEngine> {
  let engine: PageEngine;
  if (name === 'ort-wasm') {
    engine = await ortEngine(model);
  } else {
    await useTfBackend(name.slice('tfjs-'.length));
    engine = tfjsEngine(name, model, await tfjsLabel(name));
  }
  const shape = model.inputs[0].shape;
  const blank = tf.zeros([1, shape[1] ?? 224, shape[2] ?? 224, 3]) as tf.Tensor4D;
  try {
    await engine.run(blank);
  } finally {
    blank.dispose();
  }
  return engine;
}

/** Get TF.js going before any model exists (the explorer builds models with it). */
export async function prepareTf(name: EngineName): Promise<void> {
  await useTfBackend(name === 'ort-wasm' ? 'wasm' : name.slice('tfjs-'.length));
}
