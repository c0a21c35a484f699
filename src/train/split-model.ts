/**
 * Cutting a model in two at a block boundary, read from its block map: the frozen bottom (run
 * once per image by the fast engine, its output cached) and the trainable top (run by TF.js on
 * the cached activations, every step). The top is not a copy: it calls the model's own layers,
 * so training it trains the full model in place.
 */
import * as tf from '../runtime/tf.js';
import { readMetadata, type BlockInfo } from '../architecture/blocks.js';
import { runLayersFrom } from '../architecture/run-layers.js';

export interface TopSegment {
  /** Blocks of the top, first to last. */
  readonly blocks: BlockInfo[];
  /** The tensor the top starts from (the first top layer's input) in the full model. */
  readonly cut: tf.SymbolicTensor;
  /** Shape of one cached activation (no batch axis). */
  readonly inputShape: number[];
  /** Trainable weights of the top's layers (BN moving statistics are not trainable). */
  readonly variables: tf.Variable[];
  /**
   * Run the top on a batch of cut activations up to `outputLayer`'s output. Backbone layers run in
   * inference mode (BN with its moving statistics) always; `training` only switches the
   * classifier's dropout on. With `seed`, each dropout draws its mask from a seed taken from it
   * (TF.js's Dropout layer would use one fixed mask per layer), so a run is reproducible.
   */
  run(x: tf.Tensor, training: boolean, seed?: () => number): tf.Tensor;
}

function blockMap(model: tf.LayersModel): BlockInfo[] {
  const meta = readMetadata(model);
  if (!meta) throw new Error('the model has no mobilenetv3 block map');
  return meta.blocks;
}

/** Ids of the last `n` bneck blocks (the ones `--fine-tune n` trains). */
export function lastBnecks(model: tf.LayersModel, n: number): string[] {
  const bnecks = blockMap(model).filter((b) => b.kind === 'bneck');
  if (!Number.isInteger(n) || n < 1 || n > bnecks.length) {
    throw new RangeError(`--fine-tune takes a number of blocks from 1 to ${bnecks.length} (this model has ${bnecks.length} bneck blocks), got ${n}`);
  }
  return bnecks.slice(bnecks.length - n).map((b) => b.id);
}

/**
 * The top of `model` from block `firstBlock` on, ending at layer `outputLayer` (default: the
 * classifier's `logits`, so the softmax is left to the loss).
 */
export function topSegment(model: tf.LayersModel, firstBlock: string, outputLayer = 'logits'): TopSegment {
  const all = blockMap(model);
  const start = all.findIndex((b) => b.id === firstBlock);
  if (start < 0) throw new Error(`no block ${firstBlock} in the model`);
  const blocks = all.slice(start);
  const names = blocks.flatMap((b) => b.layers);
  const end = names.indexOf(outputLayer);
  if (end < 0) throw new Error(`no layer ${outputLayer} after block ${firstBlock}`);
  const layers = names.slice(0, end + 1).map((name) => model.getLayer(name));
  const classifierLayers = new Set(blocks.filter((b) => b.kind === 'classifier').flatMap((b) => b.layers));
  // Node 0 of each layer is its place in the full model (later calls add nodes, not change it).
  const cut = layers[0].inboundNodes[0].inputTensors[0];
  const variables = layers.flatMap((layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable));

  return {
    blocks,
    cut,
    inputShape: cut.shape.slice(1) as number[],
    variables,
    run(x, training, seed) {
      return runLayersFrom(cut, x, layers, (layer, inputs) => {
        const active = training && classifierLayers.has(layer.name);
        const rate = layer.getClassName() === 'Dropout' ? (layer.getConfig().rate as number) : 0;
        if (active && rate > 0 && seed) return tf.dropout(inputs as tf.Tensor, rate, undefined, seed());
        return layer.apply(inputs, { training: active }) as tf.Tensor;
      });
    },
  };
}

/** The frozen bottom: the full model's input up to the cut, as its own model for export. */
export function bottomModel(model: tf.LayersModel, segment: TopSegment): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: segment.cut, name: `${model.name}_bottom` });
}
