/** Pick an engine for a tf.LayersModel: ONNX Runtime (exported in memory) or TF.js. */
import type * as tf from './tf.js';
import type { Engine, EngineOptions } from './engine.js';

export async function createEngine(model: tf.LayersModel, options: EngineOptions = {}): Promise<Engine> {
  const engine = options.engine ?? 'onnx';
  if (engine === 'tfjs') {
    const { createTfjsEngine } = await import('./tfjs-engine.js');
    return createTfjsEngine(model);
  }
  if (engine !== 'onnx') throw new RangeError(`unknown engine "${String(engine)}": use onnx or tfjs`);
  const [{ exportOnnx }, { createOnnxEngine }] = await Promise.all([import('../export/onnx/export.js'), import('./onnx-engine.js')]);
  return createOnnxEngine(exportOnnx(model), { threads: options.threads });
}
