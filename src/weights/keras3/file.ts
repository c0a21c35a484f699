/** Node side of `.keras` archives: read one from disk into a model, write one atomically. */
import type * as tf from '../../runtime/tf.js';
import type { ModelOptions } from '../../architecture/options.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readWeightsBytes } from '../read-bytes.js';
import {
  buildModelFromKerasArchive,
  readKerasArchive,
  writeKerasArchive,
  type KerasArchive,
  type KerasArchiveModel,
  type SaveKerasOptions,
} from './archive.js';

export { isKerasArchivePath } from '../source-kind.js';

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
