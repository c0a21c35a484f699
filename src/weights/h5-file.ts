/**
 * Node file access for Keras .h5 weights: a thin wrapper over the in-memory reader/writer
 * (keras-h5.ts), with file-system errors turned into one-line messages and atomic writes.
 */
import { basename } from 'node:path';
import type * as tf from '../runtime/tf.js';
import { writeFileAtomic } from '../io/atomic.js';
import { applyKerasWeights, kerasWeightsFromModel, type LoadOptions, type LoadReport } from './apply.js';
import { readKerasH5, writeKerasH5, type KerasWeights } from './keras-h5.js';
import { readWeightsBytes } from './read-bytes.js';

export { readWeightsBytes } from './read-bytes.js';

export async function readKerasH5File(path: string): Promise<KerasWeights> {
  return readKerasH5(await readWeightsBytes(path), basename(path));
}

/** Load a Keras .h5 weights file into `model` (by order, or by name for transfer learning). */
export async function loadKerasH5Weights(model: tf.LayersModel, path: string, options: LoadOptions = {}): Promise<LoadReport> {
  const weights = await readKerasH5File(path);
  return applyKerasWeights(model, weights, { label: basename(path), ...options });
}

/** Save `model`'s weights as a Keras legacy .h5 file (temp file + rename). */
export async function saveKerasH5Weights(model: tf.LayersModel, path: string): Promise<void> {
  await writeFileAtomic(path, await writeKerasH5(kerasWeightsFromModel(model)));
}
