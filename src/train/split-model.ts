/**
 * Training's use of the one cut (src/architecture/cut.ts) at a block boundary: the frozen bottom
 * (run once per image by the fast engine, its output cached) and the trainable top (run by TF.js
 * on the cached activations, every step, with seeded dropout). The top is not a copy: it calls the model's own layers,
 * so training it trains the full model in place.
 */
import * as tf from '../runtime/tf.js';
import type { BlockInfo } from '../architecture/blocks.js';
import { cutAtBlock, frontModel, runLayersFrom } from '../architecture/cut.js';

// The cut itself lives in src/architecture/cut.ts; kept importable from here.
export { lastBnecks } from '../architecture/cut.js';

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

/**
 * The top of `model` from block `firstBlock` on, ending at layer `outputLayer` (default: the
 * classifier's `logits`, so the softmax is left to the loss).
 */
export function topSegment(model: tf.LayersModel, firstBlock: string, outputLayer = 'logits'): TopSegment {
  const { blocks, layers, cut } = cutAtBlock(model, firstBlock, outputLayer);
  const classifierLayers = new Set(blocks.filter((b) => b.kind === 'classifier').flatMap((b) => b.layers));
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
  return frontModel(model, segment.cut, `${model.name}_bottom`);
}
