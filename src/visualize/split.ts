/**
 * Running a model in two parts: the front (input -> a chosen layer) as an ordinary model, and the
 * tail (that layer -> output) by applying the remaining layers to a tensor. Grad-CAM differentiates
 * only the tail, so the front can run on a backend without gradients (TF.js wasm) while the small
 * tail runs where gradients exist.
 */
import * as tf from '../runtime/tf.js';
import { runLayersFrom } from '../architecture/run-layers.js';

/** The chosen layer is not a cut of the network (a shortcut or branch crosses it). */
export class NotACutError extends Error {
  override name = 'NotACutError';
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

/** A layer by name; an unknown name fails with the closest names as suggestions. */
export function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer {
  const layer = model.layers.find((l) => l.name === name);
  if (layer) return layer;
  const scored = model.layers.map((l) => ({ name: l.name, d: editDistance(name.toLowerCase(), l.name.toLowerCase()) }));
  const close = scored.filter((s) => s.d <= Math.max(2, Math.floor(name.length / 4))).sort((a, b) => a.d - b.d).slice(0, 3).map((s) => s.name);
  const hint = close.length ? `; did you mean ${close.join(', ')}?` : '; `mobilenetv3 summary` lists the layer names';
  throw new Error(`no layer named "${name}" in ${model.name}${hint}`);
}

/** The model from its input to `layer`'s output. */
export function frontModel(model: tf.LayersModel, layer: tf.layers.Layer): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor, name: `${model.name}_to_${layer.name}` });
}

/**
 * The layers after `cut`, in an order that can be applied one by one, each fed only by `cut` or
 * by layers of the tail. `stopAt` (inclusive) ends the tail early (e.g. before a softmax).
 */
export function tailLayers(model: tf.LayersModel, cut: tf.layers.Layer, stopAt?: tf.layers.Layer): tf.layers.Layer[] {
  const start = model.layers.indexOf(cut);
  const end = stopAt ? model.layers.indexOf(stopAt) : model.layers.length - 1;
  const known = new Set([cut.name]);
  const tail: tf.layers.Layer[] = [];
  for (const layer of model.layers.slice(start + 1, end + 1)) {
    const inbound = layer.inboundNodes[0]?.inboundLayers.map((l) => l.name) ?? [];
    const outside = inbound.filter((n) => !known.has(n));
    if (outside.length) {
      throw new NotACutError(`${cut.name} does not cut ${model.name} in two: ${layer.name} also reads ${outside.join(', ')}; pick a block's output layer`);
    }
    known.add(layer.name);
    tail.push(layer);
  }
  return tail;
}

/**
 * Apply the tail layers to the cut's output value (inference mode). `substitutes` (by layer name)
 * run in place of a tail layer, fed and read as it is (e.g. `withoutSoftmax` copies).
 */
export function runTail(
  tail: tf.layers.Layer[], cut: tf.layers.Layer, value: tf.Tensor, substitutes: ReadonlyMap<string, tf.layers.Layer> = new Map(),
): tf.Tensor {
  return runLayersFrom(cut.inboundNodes[0].outputTensors[0], value, tail, (layer, inputs) => (substitutes.get(layer.name) ?? layer).apply(inputs) as tf.Tensor);
}

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
