/**
 * Weights in the page: the file `mobilenetv3 serve --weights` offers, or files the user picks —
 * a Keras .h5 (loaded into a model built here) or a TF.js model.json with its .bin shards.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, readMetadata, registerCustomLayers, type ModelOptions } from '../../src/browser.js';
import type { ExplorerChoice } from './explorer.js';

export interface ServerConfig {
  model: ModelOptions & { inputShape: [number, number, number] };
  weights: { format: 'h5' | 'tfjs'; name: string; url: string; bytes: number } | null;
}

export interface LoadedModel {
  model: tf.LayersModel;
  name: string;
  description: string;
  inputSize: [number, number];
  labels?: readonly string[];
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

async function fromH5(bytes: Uint8Array, options: ModelOptions, name: string, source: string): Promise<LoadedModel> {
  void bytes; void options; void name; void source;
  throw new Error('loading .h5 in the page needs the weights reader (issue 4)');
}

function fromTfjs(model: tf.LayersModel, name: string, source: string): LoadedModel {
  return { model, name, description: describe(model, source), inputSize: inputSize(model) };
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

export async function loadUserWeights(files: File[], choice: ExplorerChoice): Promise<LoadedModel> {
  const json = files.find((f) => /\.json$/i.test(f.name));
  if (json) {
    const shards = files.filter((f) => /\.bin$/i.test(f.name));
    if (!shards.length) throw new Error(`choose ${json.name} together with its .bin weight file(s)`);
    registerCustomLayers();
    return fromTfjs(await tf.loadLayersModel(tf.io.browserFiles([json, ...shards])), json.name, 'your file');
  }
  const h5 = files.find((f) => /\.(h5|hdf5)$/i.test(f.name));
  if (!h5) throw new Error('choose a Keras .h5 file, or a TF.js model.json with its .bin files');
  return fromH5(new Uint8Array(await h5.arrayBuffer()), { ...choice, inputShape: [224, 224, 3] }, h5.name, 'your file');
}

export { buildModel };
