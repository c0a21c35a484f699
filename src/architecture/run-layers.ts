/**
 * Running part of a built model by hand: the model's own layers applied one by one from a cut
 * tensor on, each fed from its place in the full model (node 0). Grad-CAM uses it to differentiate
 * only the tail of the network, training to run (and train) only the top; both call the same
 * layer objects, so nothing of the network is copied.
 */
import type * as tf from '@tensorflow/tfjs';

/** How one layer is applied to its input values (default: `layer.apply`, inference mode). */
export type ApplyLayer = (layer: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[]) => tf.Tensor;

/**
 * Apply `layers` (in an order where each reads only `cut` or layers before it in the list) to
 * `value`, the value of the symbolic tensor `cut`; returns the last layer's output.
 */
export function runLayersFrom(
  cut: tf.SymbolicTensor, value: tf.Tensor, layers: readonly tf.layers.Layer[],
  apply: ApplyLayer = (layer, inputs) => layer.apply(inputs) as tf.Tensor,
): tf.Tensor {
  const values = new Map<number, tf.Tensor>([[cut.id, value]]);
  let out = value;
  for (const layer of layers) {
    const node = layer.inboundNodes[0];
    const inputs = node.inputTensors.map((t) => {
      const v = values.get(t.id);
      if (!v) throw new Error(`layer ${layer.name} reads a tensor from below the cut (${t.name})`);
      return v;
    });
    out = apply(layer, inputs.length === 1 ? inputs[0] : inputs);
    values.set(node.outputTensors[0].id, out);
  }
  return out;
}
