/**
 * torchvision's MobileNetV3 state dict -> our `keras`-flavour model.
 *
 * torchvision builds the same network as Keras (same widths, SE squeeze widths, BN epsilon 1e-3,
 * hard-sigmoid relu6(x+3)/6, Linear head 960->1280->1000); what differs is layout and padding:
 * - convs are OIHW (ours HWIO), depthwise convs (C, 1, k, k) (ours (k, k, C, 1)), the head's
 *   Linear layers (out, in) are our 1x1 convs conv_2 / logits;
 * - stride-2 convs pad (k-1)/2 on every side: build the model with `padding: 'symmetric'`;
 * - inputs are normalised with ImageNet mean/std instead of x/127.5 - 1: build it with
 *   `includePreprocessing: false` and normalise as torchvision does.
 *
 * The pairing is not a second list of the network: each layer's torchvision name is worked out
 * from the model's block map (torchvision `features.0` = our stem, `features.i+1` = bneck i, the
 * next = head, then `classifier`; inside a block, conv+BN pairs and SE pairs in build order), so a
 * state dict in any key order (safetensors sorts them) loads.
 */
import type * as tf from '../runtime/tf.js';
import { tensor } from '../runtime/tf.js';
import { readMetadata } from '../architecture/blocks.js';
import { WeightsError } from './errors.js';

/** A tensor in PyTorch's layout (row-major, float32). */
export interface TorchTensor {
  shape: number[];
  data: Float32Array;
}

/** One state-dict entry. */
export interface NamedTensor extends TorchTensor {
  name: string;
}

/** A state dict: entries in any order, as a list, a Map or a plain object keyed by name. */
export type TorchStateDict = readonly NamedTensor[] | ReadonlyMap<string, TorchTensor> | Readonly<Record<string, TorchTensor>>;

export interface TorchvisionLoadOptions {
  /**
   * Like PyTorch's `load_state_dict(strict)`: true (default) refuses state-dict entries the model
   * has no layer for; false ignores them (e.g. torchvision's classifier for a model without top).
   * Missing entries are refused either way.
   */
  strict?: boolean;
}

export interface TorchvisionLoadReport {
  /** Each of our layers with the torchvision module it took its weights from. */
  pairs: { layer: string; module: string }[];
  /** Number of values loaded. */
  values: number;
  /** State-dict entries no layer took (only without `strict`). */
  unused: string[];
}

interface TorchModule {
  prefix: string;
  tensors: Map<string, TorchTensor>;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Reorder a row-major array of shape `shape` by the axis permutation `perm` (numpy transpose). */
export function transpose(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => size(shape.slice(i + 1)));
  const out = new Float32Array(data.length);
  const index = new Array(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += index[d] * inStrides[perm[d]];
    out[o] = data[src];
    for (let d = perm.length - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** torchvision's module names for our weighted layers, per block (see `torchvisionModuleNames`). */
function moduleNames(model: tf.LayersModel): { layer: tf.layers.Layer; module: string }[] {
  const meta = readMetadata(model);
  if (!meta) throw new WeightsError('torchvision weights need a model built by mobilenetv3 (it has no block map)');
  if (meta.options.flavor !== 'keras')
    throw new WeightsError('torchvision weights fit the keras flavour only (the blog flavour has other layers)');
  const pairs: { layer: tf.layers.Layer; module: string }[] = [];
  let feature = 0;
  for (const block of meta.blocks) {
    const weighted = block.layers.map((name) => model.getLayer(name)).filter((l) => l.weights.length > 0);
    if (weighted.length === 0) continue;
    if (block.kind === 'classifier') {
      // nn.Sequential(Linear, Hardswish, Dropout, Linear): our conv_2 and logits.
      if (weighted.length !== 2)
        throw new WeightsError(`block ${block.id} has ${weighted.length} weighted layers, torchvision's classifier 2`);
      pairs.push({ layer: weighted[0], module: 'classifier.0' }, { layer: weighted[1], module: 'classifier.3' });
      continue;
    }
    // torchvision's submodules of a feature block: Conv2dNormActivation (conv .0, BN .1) and
    // SqueezeExcitation (fc1, fc2); ours are the same layers in the same order.
    const units: { layer: tf.layers.Layer; suffix: string }[][] = [];
    for (let i = 0; i < weighted.length; i += 2) {
      const [a, b] = [weighted[i], weighted[i + 1]];
      if (b?.getClassName() === 'BatchNormalization')
        units.push([
          { layer: a, suffix: '0' },
          { layer: b, suffix: '1' },
        ]);
      else if (a.getClassName() === 'Conv2D' && b?.getClassName() === 'Conv2D')
        units.push([
          { layer: a, suffix: 'fc1' },
          { layer: b, suffix: 'fc2' },
        ]);
      else throw new WeightsError(`layer ${a.name} (${a.getClassName()}) has no torchvision counterpart`);
    }
    const prefix = `features.${feature++}`;
    if (block.kind !== 'bneck' && units.length !== 1)
      throw new WeightsError(`block ${block.id} has ${units.length} conv units, torchvision's ${prefix} 1`);
    units.forEach((unit, j) => {
      const at = block.kind === 'bneck' ? `${prefix}.block.${j}` : prefix;
      for (const { layer, suffix } of unit) pairs.push({ layer, module: `${at}.${suffix}` });
    });
  }
  const mapped = new Set(pairs.map((p) => p.layer));
  const stray = model.layers.find((l) => l.weights.length > 0 && !mapped.has(l));
  if (stray) throw new WeightsError(`layer ${stray.name} is in no block of the model's block map`);
  return pairs;
}

/**
 * Which torchvision module (`features.4.block.2.fc1`, `classifier.3`, ...) each weighted layer of a
 * keras-flavour model takes its weights from: worked out from the model's block map
 * (`features.0` = stem, `features.i+1` = bneck i, then the head, then `classifier`).
 */
export function torchvisionModuleNames(model: tf.LayersModel): { layer: string; module: string }[] {
  return moduleNames(model).map(({ layer, module }) => ({ layer: layer.name, module }));
}

function need(module: TorchModule, key: string): TorchTensor {
  const t = module.tensors.get(key);
  if (!t) throw new WeightsError(`torchvision module ${module.prefix} has no "${key}"`);
  return t;
}

/** The module's tensors in our layer's weight order and layout. */
function convert(layer: tf.layers.Layer, module: TorchModule): TorchTensor[] {
  switch (layer.getClassName()) {
    case 'BatchNormalization':
      return ['weight', 'bias', 'running_mean', 'running_var'].map((k) => need(module, k));
    case 'DepthwiseConv2D': {
      const w = need(module, 'weight'); // (C, 1, kh, kw) -> (kh, kw, C, 1)
      return [{ shape: [w.shape[2], w.shape[3], w.shape[0], 1], data: transpose(w.data, w.shape, [2, 3, 0, 1]) }];
    }
    case 'Conv2D': {
      const w = need(module, 'weight');
      const kernel =
        w.shape.length === 2
          ? { shape: [1, 1, w.shape[1], w.shape[0]], data: transpose(w.data, w.shape, [1, 0]) } // Linear (out, in)
          : { shape: [w.shape[2], w.shape[3], w.shape[1], w.shape[0]], data: transpose(w.data, w.shape, [2, 3, 1, 0]) };
      const bias = module.tensors.get('bias');
      return bias ? [kernel, bias] : [kernel];
    }
    default:
      throw new WeightsError(`layer ${layer.name} (${layer.getClassName()}) has no torchvision counterpart`);
  }
}

function entries(stateDict: TorchStateDict): [string, TorchTensor][] {
  if (Array.isArray(stateDict)) return (stateDict as readonly NamedTensor[]).map((t) => [t.name, t]);
  if (stateDict instanceof Map) return [...stateDict.entries()];
  return Object.entries(stateDict as Readonly<Record<string, TorchTensor>>);
}

/**
 * Load a torchvision `mobilenet_v3_large/small` state dict into a keras-flavour model of the same
 * arch (build it with `padding: 'symmetric'` and `includePreprocessing: false`). Every tensor is
 * looked up by name and every shape checked before any weight is set; BN's `num_batches_tracked`
 * is ignored.
 */
export function loadTorchvisionStateDict(
  model: tf.LayersModel,
  stateDict: TorchStateDict,
  options: TorchvisionLoadOptions = {},
): TorchvisionLoadReport {
  const byName = new Map(entries(stateDict).filter(([name]) => !name.endsWith('num_batches_tracked')));
  const used = new Set<string>();
  const pending: { layer: tf.layers.Layer; values: TorchTensor[] }[] = [];
  const pairs: TorchvisionLoadReport['pairs'] = [];
  let values = 0;
  for (const { layer, module: prefix } of moduleNames(model)) {
    const module: TorchModule = { prefix, tensors: new Map() };
    for (const key of ['weight', 'bias', 'running_mean', 'running_var']) {
      const t = byName.get(`${prefix}.${key}`);
      if (t) module.tensors.set(key, t);
    }
    if (module.tensors.size === 0) {
      throw new WeightsError(
        `the state dict has no ${prefix}.* for layer ${layer.name}: is it torchvision's mobilenet_v3 of the same arch (large/small)?`,
      );
    }
    const converted = convert(layer, module);
    const expected = layer.weights.map((w) => w.shape as number[]);
    const got = converted.map((c) => c.shape);
    if (JSON.stringify(expected) !== JSON.stringify(got)) {
      throw new WeightsError(
        `torchvision ${prefix} has shapes ${JSON.stringify(got)} but layer ${layer.name} needs ${JSON.stringify(expected)}: same arch, alpha and classes?`,
      );
    }
    for (const key of module.tensors.keys()) used.add(`${prefix}.${key}`);
    pending.push({ layer, values: converted });
    pairs.push({ layer: layer.name, module: prefix });
    values += converted.reduce((n, c) => n + c.data.length, 0);
  }
  const unused = [...byName.keys()].filter((name) => !used.has(name));
  if (unused.length > 0 && options.strict !== false) {
    throw new WeightsError(
      `the state dict has ${unused.length} entries the model has no layer for (${unused.slice(0, 3).join(', ')}${unused.length > 3 ? ', ...' : ''}): same arch? pass { strict: false } to ignore them`,
    );
  }
  for (const { layer, values: v } of pending) {
    const tensors = v.map((c) => tensor(c.data, c.shape));
    layer.setWeights(tensors); // copies into the layer's variables
    tensors.forEach((t) => t.dispose());
  }
  return { pairs, values, unused };
}
