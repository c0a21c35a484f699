/**
 * The transfer-learning model: the pretrained backbone without its ImageNet top, average-pooled
 * (Keras `include_top=False, pooling='avg'`), then a new classifier as in the Keras
 * transfer-learning guide: Dropout, Dense `logits` and a softmax `predictions` layer. One
 * functional model, so every writer (TF.js, .h5, ONNX) and `classify` see an ordinary model; its
 * block map gains a `classifier` block, and its metadata records the class names.
 */
import * as tf from '../runtime/tf.js';
import { readMetadata, type BlockInfo, type ModelMetadata } from '../architecture/blocks.js';
import { defaultModelCard, readModelCard, trainedModelCard } from '../architecture/card.js';

const KEY = 'mobilenetv3';
const LABELS_KEY = 'labels';

export interface ClassifierOptions {
  classes: string[];
  dropout: number;
  seed?: number;
}

/** Wrap `backbone` (built without top, pooling 'avg') into a classifier for `classes`. */
export function attachClassifier(backbone: tf.LayersModel, options: ClassifierOptions): tf.LayersModel {
  const meta = readMetadata(backbone);
  if (!meta) throw new Error('the backbone has no mobilenetv3 block map (build it with buildModel)');
  if (meta.options.includeTop || meta.options.pooling !== 'avg')
    throw new Error('the backbone must be built with includeTop: false and pooling: "avg"');
  let x = backbone.outputs[0];
  const layers: string[] = [];
  const add = (layer: tf.layers.Layer) => {
    layers.push(layer.name);
    x = layer.apply(x) as tf.SymbolicTensor;
  };
  // No seed for dropout: a seeded TF.js Dropout draws the same mask at every call.
  if (options.dropout > 0) add(tf.layers.dropout({ rate: options.dropout, name: 'dropout' }));
  add(
    tf.layers.dense({
      units: options.classes.length,
      name: 'logits',
      kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed }),
    }),
  );
  add(tf.layers.activation({ activation: 'softmax', name: 'predictions' }));
  const model = tf.model({ inputs: backbone.inputs, outputs: x, name: `${meta.options.name}_transfer` });
  const classifier: BlockInfo = { id: 'classifier', kind: 'classifier', layers, out: options.classes.length };
  const metadata: ModelMetadata = {
    options: { ...meta.options, classes: options.classes.length, dropoutRate: options.dropout },
    blocks: [...meta.blocks, classifier],
  };
  // The card: the backbone's input contract, the new class names (every writer and reader takes
  // them from here); the separate labels key stays for readers of 0.1 models.
  const backboneCard = readModelCard(backbone) ?? defaultModelCard(meta.options);
  const card = trainedModelCard(backboneCard, options.classes);
  model.setUserDefinedMetadata({ [KEY]: { ...metadata, card } as unknown as object, [LABELS_KEY]: options.classes });
  return model;
}

/** The class names stored in a trained model's card (or, for a 0.1 model, its labels key); undefined for ImageNet models. */
export function readLabels(model: tf.LayersModel): string[] | undefined {
  const card = readModelCard(model);
  if (card?.labels && card.weights?.source === 'trained') return [...card.labels];
  const all = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  const labels = all?.[LABELS_KEY];
  return Array.isArray(labels) ? (labels as string[]) : undefined;
}
