/**
 * What Grad-CAM needs besides the cut itself (src/architecture/cut.ts, re-exported here): the
 * classifier without its softmax, and a backend switch. It differentiates only the tail, so the
 * front can run on a backend without gradients (TF.js wasm) while the small tail runs where
 * gradients exist.
 */
import * as tf from '../runtime/tf.js';

export { findLayer, frontModel, NotACutError, runTail, tailLayers } from '../architecture/cut.js';

/**
 * A copy of a layer whose activation is softmax, with the same weights and a linear activation:
 * its output is the scores before the softmax. Built from the layer's own config (TF.js's
 * serialization), so any layer class with an `activation` works (Conv2D, Dense, Activation).
 */
export function withoutSoftmax(layer: tf.layers.Layer): tf.layers.Layer {
  const cls = layer.constructor as tf.serialization.SerializableConstructor<tf.layers.Layer>;
  const copy = cls.fromConfig(cls, { ...layer.getConfig(), activation: 'linear', name: `${layer.name}_logits` });
  copy.build(layer.inboundNodes[0].inputShapes);
  copy.setWeights(layer.getWeights());
  return copy;
}

/** Run `fn` with another TF.js backend selected, then switch back (tensors move between backends on use). */
export async function withTfBackend<T>(backend: string, fn: () => Promise<T> | T): Promise<T> {
  const previous = tf.getBackend();
  if (previous === backend) return fn();
  // runtime/tf.ts registers no backend; the cpu one loads here, on the one path that asks for it.
  if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend "${backend}" is not available`);
  try {
    return await fn();
  } finally {
    await tf.setBackend(previous);
  }
}
