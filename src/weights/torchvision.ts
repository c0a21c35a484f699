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
 * The pairing is not a second list of the network: torchvision's modules that hold weights come
 * in the same order as our layers that do, and the model's block map checks each pair
 * (torchvision `features.0` = our stem, `features.i+1` = bneck i, the next = head, `classifier`).
 */
import type * as tf from '@tensorflow/tfjs';
import { tensor } from '@tensorflow/tfjs';
import { readMetadata } from '../architecture/blocks.js';
import { WeightsError } from './errors.js';

/** One state-dict entry, values in PyTorch's layout (row-major). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TorchvisionLoadReport {
  /** Each of our layers with the torchvision module it took its weights from. */
  pairs: { layer: string; module: string }[];
  values: number;
}

interface TorchModule { prefix: string; tensors: Map<string, NamedTensor> }

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

/** state-dict entries grouped by module (`features.4.block.2.fc1`), in state-dict order. */
function groupModules(tensors: readonly NamedTensor[]): TorchModule[] {
  const modules = new Map<string, TorchModule>();
  for (const t of tensors) {
    if (t.name.endsWith('num_batches_tracked')) continue;
    const cut = t.name.lastIndexOf('.');
    const prefix = t.name.slice(0, cut);
    const module = modules.get(prefix) ?? { prefix, tensors: new Map() };
    module.tensors.set(t.name.slice(cut + 1), t);
    modules.set(prefix, module);
  }
  return [...modules.values()];
}

/** The torchvision block a layer of ours belongs to, from the model's block map. */
function torchBlockOf(model: tf.LayersModel): (layer: string) => string {
  const meta = readMetadata(model);
  if (!meta) throw new WeightsError('torchvision weights need a model built by mobilenetv3 (it has no block map)');
  if (meta.options.flavor !== 'keras') throw new WeightsError('torchvision weights fit the keras flavour only (the blog flavour has other layers)');
  const bnecks = meta.blocks.filter((b) => b.kind === 'bneck');
  const blockOf = new Map<string, string>();
  for (const block of meta.blocks) {
    const key = block.kind === 'stem' ? 'features.0'
      : block.kind === 'bneck' ? `features.${bnecks.indexOf(block) + 1}`
        : block.kind === 'head' ? `features.${bnecks.length + 1}`
          : 'classifier';
    for (const name of block.layers) blockOf.set(name, key);
  }
  return (layer) => blockOf.get(layer) ?? 'none';
}

function need(module: TorchModule, key: string): NamedTensor {
  const t = module.tensors.get(key);
  if (!t) throw new WeightsError(`torchvision module ${module.prefix} has no "${key}"`);
  return t;
}

/** The module's tensors in our layer's weight order and layout. */
function convert(layer: tf.layers.Layer, module: TorchModule): { shape: number[]; data: Float32Array }[] {
  switch (layer.getClassName()) {
    case 'BatchNormalization':
      return ['weight', 'bias', 'running_mean', 'running_var'].map((k) => need(module, k));
    case 'DepthwiseConv2D': {
      const w = need(module, 'weight'); // (C, 1, kh, kw) -> (kh, kw, C, 1)
      return [{ shape: [w.shape[2], w.shape[3], w.shape[0], 1], data: transpose(w.data, w.shape, [2, 3, 0, 1]) }];
    }
    case 'Conv2D': {
      const w = need(module, 'weight');
      const kernel = w.shape.length === 2
        ? { shape: [1, 1, w.shape[1], w.shape[0]], data: transpose(w.data, w.shape, [1, 0]) } // Linear (out, in)
        : { shape: [w.shape[2], w.shape[3], w.shape[1], w.shape[0]], data: transpose(w.data, w.shape, [2, 3, 1, 0]) };
      const bias = module.tensors.get('bias');
      return bias ? [kernel, bias] : [kernel];
    }
    default:
      throw new WeightsError(`layer ${layer.name} (${layer.getClassName()}) has no torchvision counterpart`);
  }
}

/**
 * Load a torchvision `mobilenet_v3_large/small` state dict into a keras-flavour model of the same
 * arch. Everything is checked (module count, block, weight count and every shape) before any
 * weight is set.
 */
export function loadTorchvisionStateDict(model: tf.LayersModel, stateDict: readonly NamedTensor[]): TorchvisionLoadReport {
  const modules = groupModules(stateDict);
  const layers = model.layers.filter((l) => l.weights.length > 0);
  const blockOf = torchBlockOf(model);
  if (modules.length !== layers.length) {
    throw new WeightsError(`the state dict has ${modules.length} modules with weights, the model ${layers.length} layers: is it the same arch (large/small, alpha, minimalistic, classes)?`);
  }
  const pending: { layer: tf.layers.Layer; values: { shape: number[]; data: Float32Array }[] }[] = [];
  const pairs: TorchvisionLoadReport['pairs'] = [];
  let values = 0;
  layers.forEach((layer, i) => {
    const module = modules[i];
    const block = module.prefix.startsWith('classifier') ? 'classifier' : module.prefix.split('.').slice(0, 2).join('.');
    if (block !== blockOf(layer.name)) {
      throw new WeightsError(`torchvision ${module.prefix} lands in ${blockOf(layer.name)} at our layer ${layer.name}: the models differ`);
    }
    const converted = convert(layer, module);
    const expected = layer.weights.map((w) => w.shape as number[]);
    const got = converted.map((c) => c.shape);
    if (JSON.stringify(expected) !== JSON.stringify(got)) {
      throw new WeightsError(`torchvision ${module.prefix} has shapes ${JSON.stringify(got)} but layer ${layer.name} needs ${JSON.stringify(expected)}`);
    }
    pending.push({ layer, values: converted });
    pairs.push({ layer: layer.name, module: module.prefix });
    values += converted.reduce((n, c) => n + c.data.length, 0);
  });
  for (const { layer, values: v } of pending) {
    const tensors = v.map((c) => tensor(c.data, c.shape));
    layer.setWeights(tensors); // copies into the layer's variables
    tensors.forEach((t) => t.dispose());
  }
  return { pairs, values };
}
