/**
 * Weights in the page: the file `mobilenetv3 serve --weights` offers, or files the user picks —
 * a Keras .h5 (loaded into a model built here) or a TF.js model.json with its .bin shards.
 */
import * as tf from '@tensorflow/tfjs';
import { readMetadata } from '../../src/architecture/blocks.js';
import { buildModel } from '../../src/architecture/builder.js';
import { registerCustomLayers } from '../../src/architecture/layers.js';
import { resolveOptions, type ModelOptions } from '../../src/architecture/options.js';
import { defaultModelCard, readModelCard, type ModelCard } from '../../src/architecture/card.js';
import { applyKerasWeights } from '../../src/weights/apply.js';
import { classNames } from '../../src/classify/class-names.js';

export interface ServerConfig {
  model: ModelOptions & { inputShape: [number, number, number] };
  weights: { format: 'h5' | 'tfjs'; name: string; url: string; bytes: number } | null;
}

export interface LoadedModel {
  model: tf.LayersModel;
  name: string;
  description: string;
  inputSize: [number, number];
  /** The model card: how images become input (the CLI's contract and crop) and the class names. */
  card: ModelCard;
  labels: readonly string[];
}

/** What the page needs of a loaded model, from its card and nothing else (as the CLI does). */
function loaded(model: tf.LayersModel, name: string, source: string): LoadedModel {
  const size = inputSize(model);
  // A model.json saved by other software has no card: 0..255 pixels, the usual crop, no labels.
  const card = readModelCard(model) ?? defaultModelCard({ ...resolveOptions({}), inputShape: [size[0], size[1], 3] });
  const classes = (model.outputs[0].shape as number[]).at(-1) ?? 0;
  return { model, name, description: describe(model, source), inputSize: size, card, labels: classNames(card, classes) };
}

function describe(model: tf.LayersModel, source: string): string {
  const options = readMetadata(model)?.options;
  const what = options ? `${options.name} α${options.alpha}${options.minimalistic ? ' minimalistic' : ''}` : model.name;
  return `${what} · ${model.countParams().toLocaleString('en-US')} params · ${source}`;
}

function inputSize(model: tf.LayersModel): [number, number] {
  const shape = model.inputs[0].shape;
  return [shape[1] ?? 224, shape[2] ?? 224];
}

/**
 * A Keras .h5 holds weights only: build the model it fits and load them in order (every shape is
 * checked). Files written by this package name their model; for others (the official Keras files)
 * the weights reader's shape search finds it, so any published MobileNetV3 file just works.
 */
async function fromH5(bytes: Uint8Array, options: ModelOptions, name: string, source: string): Promise<LoadedModel> {
  // h5wasm (4 MB with its WebAssembly inlined) loads only when an .h5 file does.
  const [{ readKerasH5 }, { inferModelOptions }] = await Promise.all([
    import('../../src/weights/keras-h5.js'),
    import('../../src/weights/infer.js'),
  ]);
  const weights = await readKerasH5(bytes, name);
  const fits = inferModelOptions(weights);
  const { name: _name, ...wanted } = options; // the name follows the architecture found
  const model = buildModel({ ...wanted, ...fits, inputShape: options.inputShape ?? [224, 224, 3] });
  try {
    applyKerasWeights(model, weights, { label: name });
  } catch (error) {
    model.dispose();
    throw error;
  }
  checkClassifier(model, name);
  return loaded(model, name, source);
}

/** The page shows class probabilities: a feature extractor (no top) has none to show. */
function checkClassifier(model: tf.LayersModel, name: string): void {
  const shape = model.outputs[0].shape;
  // A pooled backbone also outputs [N, C]: the block map says whether a classifier follows it
  // (its own top, or the one `train` attached to a no-top backbone).
  const meta = readMetadata(model);
  const hasClassifier = !meta || meta.options.includeTop || meta.blocks.some((b) => b.kind === 'classifier');
  if (shape.length !== 2 || !hasClassifier) {
    model.dispose();
    throw new Error(`${name} is a model without its classifier (output ${JSON.stringify(shape)}): the page needs one with a top`);
  }
}

function fromTfjs(model: tf.LayersModel, name: string, source: string): LoadedModel {
  checkClassifier(model, name);
  return loaded(model, name, source);
}

export async function loadServerWeights(config: ServerConfig): Promise<LoadedModel> {
  const weights = config.weights!;
  if (weights.format === 'tfjs') {
    registerCustomLayers();
    return fromTfjs(await tf.loadLayersModel(new URL(weights.url, location.href).href), weights.name, 'from this server');
  }
  const response = await fetch(new URL(weights.url, location.href));
  if (!response.ok) throw new Error(`the server did not send ${weights.name} (HTTP ${response.status})`);
  return fromH5(new Uint8Array(await response.arrayBuffer()), config.model, weights.name, 'from this server');
}

/** `options`: the model a .h5 file is tried on first (a model.json carries its own). */
export async function loadUserWeights(files: File[], options: ModelOptions): Promise<LoadedModel> {
  const json = files.find((f) => /\.json$/i.test(f.name));
  if (json) {
    const shards = files.filter((f) => /\.bin$/i.test(f.name));
    if (!shards.length) throw new Error(`choose ${json.name} together with its .bin weight file(s)`);
    registerCustomLayers();
    return fromTfjs(await tf.loadLayersModel(tf.io.browserFiles([json, ...shards])), json.name, 'your file');
  }
  const h5 = files.find((f) => /\.(h5|hdf5)$/i.test(f.name));
  if (!h5) throw new Error('choose a Keras .h5 file, or a TF.js model.json with its .bin files');
  return fromH5(new Uint8Array(await h5.arrayBuffer()), options, h5.name, 'your file');
}
