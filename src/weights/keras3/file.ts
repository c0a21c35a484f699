/** Node side of `.keras` archives: read one from disk into a model, write one atomically. */
import type * as tf from '@tensorflow/tfjs';
import type { ModelOptions } from '../../architecture/options.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readWeightsBytes } from '../h5-file.js';
import { buildModelFromKerasArchive, readKerasArchive, writeKerasArchive, type KerasArchive, type KerasArchiveModel, type SaveKerasOptions } from './archive.js';

export function isKerasArchivePath(source: string): boolean {
  return /\.keras$/i.test(source);
}

export async function readKerasArchiveFile(path: string): Promise<KerasArchive> {
  return readKerasArchive(await readWeightsBytes(path, 'Keras archive'), path);
}

/** Build the MobileNetV3 a `.keras` file holds and load its weights. */
export async function buildModelFromKerasFile(path: string, overrides: ModelOptions = {}): Promise<KerasArchiveModel> {
  return buildModelFromKerasArchive(await readKerasArchiveFile(path), overrides, path);
}

/** Write `model` as a Keras 3 `.keras` archive (labels, when given, go into its metadata.json). */
export async function saveKerasArchive(model: tf.LayersModel, path: string, options: SaveKerasOptions = {}): Promise<void> {
  await writeFileAtomic(path, await writeKerasArchive(model, options));
}
