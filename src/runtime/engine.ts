/**
 * Inference engines: one small interface, two implementations. `onnx` (ONNX Runtime through
 * onnxruntime-node, the fast default in Node) runs the model exported by src/export/onnx;
 * `tfjs` (TF.js, wasm backend) runs the tf.LayersModel in-process and is also the browser path.
 * Both take NHWC float32 batches as `readImageBatch` makes them and return the model's output
 * (probabilities with a top, features without), so results agree within float rounding.
 */
export type EngineName = 'onnx' | 'tfjs';
export const ENGINE_NAMES: readonly EngineName[] = ['onnx', 'tfjs'];

/** A dense float32 tensor in row-major order. */
export interface FloatTensor {
  data: Float32Array;
  shape: readonly number[];
}

export interface Engine {
  readonly name: EngineName;
  /** [height, width, channels] of one input image. */
  readonly inputShape: readonly [number, number, number];
  /** Shape of one output row, without the batch: [classes], [channels] or [h, w, channels]. */
  readonly outputShape: readonly number[];
  /** Run a batch [n, height, width, 3]; returns [n, ...outputShape]. */
  predict(batch: FloatTensor): Promise<FloatTensor>;
  /** Free native / backend memory; the engine cannot be used afterwards. */
  dispose(): Promise<void>;
}

export interface EngineOptions {
  /** Which engine; default `onnx` in Node. */
  engine?: EngineName;
  /** ONNX Runtime intra-op threads; default: ONNX Runtime's choice (one per physical core). */
  threads?: number;
}

/** Check a batch against an engine's input shape; the message says what was expected. */
export function checkBatch(batch: FloatTensor, inputShape: readonly number[]): number {
  const [n, ...rest] = batch.shape;
  if (batch.shape.length !== 4 || rest.some((d, i) => d !== inputShape[i])) {
    throw new RangeError(`batch must be [n, ${inputShape.join(', ')}], got [${batch.shape.join(', ')}]`);
  }
  if (batch.data.length !== n * rest.reduce((a, b) => a * b, 1)) {
    throw new RangeError(
      `batch data has ${batch.data.length} values, shape [${batch.shape.join(', ')}] needs ${n * rest.reduce((a, b) => a * b, 1)}`,
    );
  }
  return n;
}
