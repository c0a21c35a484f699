/**
 * Node file access for Keras .h5 weights: a thin wrapper over the in-memory reader/writer
 * (keras-h5.ts), with file-system errors turned into one-line messages and atomic writes.
 */
import { basename } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../io/atomic.js';
import { FileReadError, MAX_BYTES, readRegularFile } from '../io/read-file.js';
import { applyKerasWeights, kerasWeightsFromModel, type LoadOptions, type LoadReport } from './apply.js';
import { WeightsError } from './errors.js';
import { readKerasH5, writeKerasH5, type KerasWeights } from './keras-h5.js';

/** Read a file (regular files only, size capped), with "not found" and friends as one-line WeightsErrors. */
export async function readWeightsBytes(path: string, what = 'weights file'): Promise<Uint8Array> {
  try {
    return await readRegularFile(path, { maxBytes: MAX_BYTES.weights, what });
  } catch (error) {
    const code = error instanceof FileReadError ? error.code : (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WeightsError(`${what} not found: ${path}`);
    if (code === 'EISDIR') throw new WeightsError(`${what} is a directory, not a file: ${path}`);
    if (code === 'EACCES') throw new WeightsError(`no permission to read ${what}: ${path}`);
    throw new WeightsError(error instanceof FileReadError ? error.message : `cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

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
