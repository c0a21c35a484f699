/**
 * Keras 3 `.weights.h5` (what `model.save_weights('x.weights.h5')` writes, and the
 * `model.weights.h5` inside a `.keras` archive) <-> a built model. Browser-safe (h5wasm in memory).
 *
 * The layout, from Keras 3's `keras/src/saving/saving_lib.py` (`_save_state`,
 * `_save_container_state`, `H5IOStore`): the model's own variables in `/vars`; each layer of
 * `model.layers` in `/layers/<name>/vars/<i>`, i = 0.. over `trainable + non-trainable` variables
 * (Conv2D kernel, bias; BN gamma, beta, moving mean, moving variance). `<name>` is NOT the layer's
 * name but its class name in snake case (`Conv2D` -> `conv2d`, `BatchNormalization` ->
 * `batch_normalization`), suffixed `_1`, `_2`, ... for later layers of the same class, in
 * `model.layers` order; a nested model is a layer whose own layers sit below its path. Layers
 * are found by that path, so only the order of layers of each class matters, which the keras
 * flavour shares with `keras.applications.MobileNetV3*`.
 */
import type * as tf from '../../runtime/tf.js';
import { tensor } from '../../runtime/tf.js';
import * as h5wasm from 'h5wasm';
import { WeightsError } from '../errors.js';
import { readH5, writeH5 } from '../h5-scratch.js';

/** Keras's `naming.to_snake_case`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The Keras 3 path (`layers/conv2d_3`) of each weighted layer of the model, in model order. */
export function keras3LayerPaths(model: tf.LayersModel): { layer: tf.layers.Layer; path: string }[] {
  const used = new Map<string, number>();
  const out: { layer: tf.layers.Layer; path: string }[] = [];
  for (const layer of model.layers) {
    const base = toSnakeCase(layer.getClassName());
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    const name = n === undefined ? base : `${base}_${n + 1}`;
    if (layer.weights.length > 0) out.push({ layer, path: `layers/${name}` });
  }
  return out;
}

/** One layer's variables as a Keras 3 file holds them. */
export interface Keras3Vars {
  path: string;
  vars: { shape: number[]; data: Float32Array }[];
}

function collect(group: h5wasm.Group, prefix: string, out: Keras3Vars[], label: string): void {
  for (const key of group.keys()) {
    const child = group.get(key);
    if (!(child instanceof h5wasm.Group)) continue;
    const path = prefix ? `${prefix}/${key}` : key;
    if (key === 'vars') {
      const names = child
        .keys()
        .filter((k) => /^\d+$/.test(k))
        .sort((a, b) => Number(a) - Number(b));
      const vars = names.map((k, i) => {
        if (Number(k) !== i) throw new WeightsError(`${label}: ${path} has variables ${names.join(', ')} (not 0..n)`);
        const d = child.get(k);
        if (!(d instanceof h5wasm.Dataset)) throw new WeightsError(`${label}: ${path}/${k} is not a dataset`);
        const shape = d.shape ?? [];
        const value = d.value;
        const data = value instanceof Float32Array ? value : Float32Array.from(value as ArrayLike<number>, Number);
        if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new WeightsError(`${label}: ${path}/${k} is truncated or corrupt`);
        return { shape, data };
      });
      if (vars.length > 0) out.push({ path: prefix, vars });
    } else {
      collect(child, path, out, label);
    }
  }
}

/** Every layer with variables in a Keras 3 weights file (paths without `/vars`). */
export async function readKeras3WeightsH5(bytes: Uint8Array, label = 'weights file'): Promise<Keras3Vars[]> {
  return readH5(bytes, label, (file) => {
    const keys = file.keys();
    if (!keys.includes('layers')) throw new WeightsError(`${label} is HDF5 but not a Keras 3 weights file (no layers group)`);
    const out: Keras3Vars[] = [];
    collect(file.get('layers') as h5wasm.Group, 'layers', out, label);
    return out;
  });
}

/** Load Keras 3 weights into a model: every weighted layer by its path, every shape checked before any is set. */
export function applyKeras3Weights(
  model: tf.LayersModel,
  file: readonly Keras3Vars[],
  label = 'weights file',
): { layers: number; values: number } {
  const byPath = new Map(file.map((v) => [v.path, v]));
  const pending: { layer: tf.layers.Layer; vars: Keras3Vars['vars'] }[] = [];
  let values = 0;
  for (const { layer, path } of keras3LayerPaths(model)) {
    const found = byPath.get(path);
    if (!found)
      throw new WeightsError(`${label} has no ${path}/vars for layer ${layer.name}: is it a MobileNetV3 of the same arch and options?`);
    const expected = layer.weights.map((w) => w.shape as number[]);
    const got = found.vars.map((v) => v.shape);
    if (JSON.stringify(expected) !== JSON.stringify(got)) {
      throw new WeightsError(
        `${label}: ${path} has shapes ${JSON.stringify(got)} but layer ${layer.name} needs ${JSON.stringify(expected)}: same arch, alpha, minimalistic and classes?`,
      );
    }
    pending.push({ layer, vars: found.vars });
    values += found.vars.reduce((n, v) => n + v.data.length, 0);
  }
  for (const { layer, vars } of pending) {
    const tensors = vars.map((v) => tensor(v.data, v.shape));
    layer.setWeights(tensors);
    tensors.forEach((t) => t.dispose());
  }
  return { layers: pending.length, values };
}

/** The model's weights in Keras 3's `.weights.h5` layout, as bytes. */
export async function writeKeras3WeightsH5(model: tf.LayersModel): Promise<Uint8Array> {
  return writeH5((file) => {
    file.create_group('vars'); // the model's own variables: none
    const layers = file.create_group('layers');
    for (const { layer, path: p } of keras3LayerPaths(model)) {
      const vars = layers.create_group(p.slice('layers/'.length)).create_group('vars');
      layer.getWeights().forEach((w, i) => {
        // Not disposed: getWeights() hands out the layer's own variables.
        vars.create_dataset({ name: String(i), data: w.dataSync() as Float32Array, shape: w.shape, dtype: '<f4' });
      });
    }
  });
}
