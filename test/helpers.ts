/** Shared test helpers. */
import * as tf from '@tensorflow/tfjs';

/**
 * Give every weight of a model a deterministic, non-trivial value (BN statistics included), so
 * that a deep random network neither vanishes nor saturates and equality checks mean something.
 */
export function randomizeWeights(model: tf.LayersModel, seed = 1): void {
  let s = seed;
  for (const layer of model.layers) {
    const values = layer.getWeights().map((w, i) => {
      const name = layer.weights[i].originalName;
      s += 1;
      if (/gamma|moving_variance/.test(name)) return tf.randomUniform(w.shape, 0.5, 1.5, 'float32', s);
      if (/beta|moving_mean|bias/.test(name)) return tf.randomNormal(w.shape, 0, 0.1, 'float32', s);
      const fanIn = w.shape.length === 4 && /depthwise/.test(name) ? w.shape[0] * w.shape[1] : w.size / w.shape[w.shape.length - 1];
      return tf.randomNormal(w.shape, 0, Math.sqrt(1 / fanIn), 'float32', s);
    });
    if (values.length) layer.setWeights(values);
  }
}
