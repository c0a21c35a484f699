/**
 * The one place that cuts a built model in two (as timm's `forward_features` / `forward_head`):
 * the front (input -> a cut) as an ordinary model, and the back as the model's own layers applied
 * one by one from the cut's value, each fed from its place in the full model (node 0). Nothing is
 * copied, so training the back trains the model. Grad-CAM cuts at a layer (its tail runs where
 * gradients exist); training cuts at a block of the block map (its top trains on cached
 * activations of the bottom).
 */
import * as tf from '../runtime/tf.js';
import { invalidValue } from '../errors.js';
import { readMetadata, type BlockInfo } from './blocks.js';

/** How one layer is applied to its input values (default: `layer.apply`, inference mode). */
export type ApplyLayer = (layer: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[]) => tf.Tensor;

/** The chosen layer is not a cut of the network (a shortcut or branch crosses it). */
export class NotACutError extends Error {
  override name = 'NotACutError';
}

/**
 * Apply `layers` (in an order where each reads only `cut` or layers before it in the list) to
 * `value`, the value of the symbolic tensor `cut`; returns the last layer's output.
 */
export function runLayersFrom(
  cut: tf.SymbolicTensor,
  value: tf.Tensor,
  layers: readonly tf.layers.Layer[],
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
  const close = scored
    .filter((s) => s.d <= Math.max(2, Math.floor(name.length / 4)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((s) => s.name);
  const hint = close.length ? `; did you mean ${close.join(', ')}?` : '; `mobilenetv3 summary` lists the layer names';
  throw new Error(`no layer named "${name}" in ${model.name}${hint}`);
}

/** The front: the model from its input to `at` (a layer's output, or a tensor of the model). */
export function frontModel(model: tf.LayersModel, at: tf.layers.Layer | tf.SymbolicTensor, name?: string): tf.LayersModel {
  const output = at instanceof tf.SymbolicTensor ? at : (at.output as tf.SymbolicTensor);
  const label = at instanceof tf.SymbolicTensor ? 'cut' : at.name;
  return tf.model({ inputs: model.inputs, outputs: output, name: name ?? `${model.name}_to_${label}` });
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
      throw new NotACutError(
        `${cut.name} does not cut ${model.name} in two: ${layer.name} also reads ${outside.join(', ')}; pick a block's output layer`,
      );
    }
    known.add(layer.name);
    tail.push(layer);
  }
  return tail;
}

/**
 * Apply the tail layers to the cut layer's output value (inference mode). `substitutes` (by layer
 * name) run in place of a tail layer, fed and read as it is (e.g. a copy without the softmax).
 */
export function runTail(
  tail: tf.layers.Layer[],
  cut: tf.layers.Layer,
  value: tf.Tensor,
  substitutes: ReadonlyMap<string, tf.layers.Layer> = new Map(),
): tf.Tensor {
  return runLayersFrom(
    cut.inboundNodes[0].outputTensors[0],
    value,
    tail,
    (layer, inputs) => (substitutes.get(layer.name) ?? layer).apply(inputs) as tf.Tensor,
  );
}

function blockMap(model: tf.LayersModel): BlockInfo[] {
  const meta = readMetadata(model);
  if (!meta) throw new Error('the model has no mobilenetv3 block map');
  return meta.blocks;
}

/** Ids of the last `n` bneck blocks. */
export function lastBnecks(model: tf.LayersModel, n: number): string[] {
  const bnecks = blockMap(model).filter((b) => b.kind === 'bneck');
  if (!Number.isInteger(n) || n < 1 || n > bnecks.length) {
    // The library's option name; the CLI says --fine-tune (src/cli/errors.ts).
    throw invalidValue('fineTune', `a number of blocks from 1 to ${bnecks.length} (this model has ${bnecks.length} bneck blocks)`, n);
  }
  return bnecks.slice(bnecks.length - n).map((b) => b.id);
}

/** A cut at a block boundary of the block map: what lies above it, and where it starts. */
export interface BlockCut {
  /** Blocks above the cut, first to last. */
  readonly blocks: BlockInfo[];
  /** Their layers in build order, up to the chosen output layer. */
  readonly layers: tf.layers.Layer[];
  /** The tensor the first of them reads in the full model. */
  readonly cut: tf.SymbolicTensor;
}

/** Cut `model` below block `firstBlock`; the back ends at layer `outputLayer` (default `logits`: the scores before the softmax). */
export function cutAtBlock(model: tf.LayersModel, firstBlock: string, outputLayer = 'logits'): BlockCut {
  const all = blockMap(model);
  const start = all.findIndex((b) => b.id === firstBlock);
  if (start < 0) throw new Error(`no block ${firstBlock} in the model`);
  const blocks = all.slice(start);
  const names = blocks.flatMap((b) => b.layers);
  const end = names.indexOf(outputLayer);
  if (end < 0) throw new Error(`no layer ${outputLayer} after block ${firstBlock}`);
  const layers = names.slice(0, end + 1).map((name) => model.getLayer(name));
  // Node 0 of each layer is its place in the full model (later calls add nodes, not change it).
  return { blocks, layers, cut: layers[0].inboundNodes[0].inputTensors[0] };
}
