/**
 * The ONNX Runtime engine (onnxruntime-node): runs an ONNX model exported by src/export/onnx,
 * with all of ONNX Runtime's graph optimisations (constant folding, conv + activation fusion,
 * NCHWc layouts).
 */
import type { InferenceSession } from 'onnxruntime-node';
import { checkBatch, type Engine, type FloatTensor } from './engine.js';
import { importOrt } from './ort.js';

export interface OnnxEngineOptions {
  /** Intra-op threads; default ONNX Runtime's choice (one per physical core). */
  threads?: number;
}

export async function createOnnxEngine(model: Uint8Array | string, options: OnnxEngineOptions = {}): Promise<Engine> {
  const ort = await importOrt();
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new RangeError(`threads must be a whole number of at least 1, got ${options.threads}`);
  }
  const sessionOptions: InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
  };
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model, sessionOptions)
      : await ort.InferenceSession.create(model, sessionOptions);
  const dims = (meta: InferenceSession.ValueMetadata): number[] => {
    if (!meta.isTensor) throw new Error(`ONNX model value "${meta.name}" is not a tensor`);
    return meta.shape.slice(1).map((d) => (typeof d === 'number' ? d : -1));
  };
  const inputShape = dims(session.inputMetadata[0]) as [number, number, number];
  const outputShape = dims(session.outputMetadata[0]);
  if (inputShape.length !== 3 || inputShape.some((d) => d < 1)) {
    throw new Error(
      `ONNX model input must be [batch, height, width, 3] with fixed sizes, got [${session.inputMetadata[0].isTensor ? session.inputMetadata[0].shape.join(', ') : '?'}]`,
    );
  }
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return {
    name: 'onnx',
    inputShape,
    outputShape,
    async predict(batch: FloatTensor): Promise<FloatTensor> {
      const n = checkBatch(batch, inputShape);
      const input = new ort.Tensor('float32', batch.data, [n, ...inputShape]);
      const result = await session.run({ [inputName]: input });
      const output = result[outputName];
      try {
        return { data: output.data as Float32Array, shape: output.dims };
      } finally {
        input.dispose();
      }
    },
    async dispose() {
      await session.release();
    },
  };
}
