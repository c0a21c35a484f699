/** The TF.js engine: runs the tf.LayersModel in-process (wasm backend in Node and in browsers). */
import * as tf from './tf.js';
import { checkBatch, type Engine, type FloatTensor } from './engine.js';
import { useTfBackend, type TfBackend } from './tfjs.js';

export interface TfjsEngineOptions {
  /** Default wasm; pass null to keep whatever backend is active (e.g. webgl in a browser). */
  backend?: TfBackend | null;
}

export async function createTfjsEngine(model: tf.LayersModel, options: TfjsEngineOptions = {}): Promise<Engine> {
  if (options.backend !== null) await useTfBackend(options.backend ?? 'wasm');
  const inputShape = model.inputs[0].shape.slice(1) as [number, number, number];
  const outputShape = model.outputs[0].shape.slice(1) as number[];
  return {
    name: 'tfjs',
    inputShape,
    outputShape,
    async predict(batch: FloatTensor): Promise<FloatTensor> {
      const n = checkBatch(batch, inputShape);
      const output = tf.tidy(() => model.predict(tf.tensor(batch.data, [n, ...inputShape])) as tf.Tensor);
      try {
        return { data: (await output.data()) as Float32Array, shape: output.shape };
      } finally {
        output.dispose();
      }
    },
    async dispose() {
      model.dispose();
    },
  };
}
