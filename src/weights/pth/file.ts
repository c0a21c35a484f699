/** Node side of .pth files: read one from disk into a state dict, and into a model. */
import { basename } from 'node:path';
import type * as tf from '../../runtime/tf.js';
import type { ModelOptions } from '../../architecture/options.js';
import { readWeightsBytes } from '../read-bytes.js';
import type { TorchvisionLoadReport } from '../torchvision.js';
import { applyTorchvisionStateDict, buildTorchvisionModel } from './model.js';
import { readPth, type PthContents } from './read.js';

export { isPthPath } from '../source-kind.js';

export async function readPthFile(path: string): Promise<PthContents> {
  return readPth(await readWeightsBytes(path, 'PyTorch weights file'), path);
}

const provenance = (path: string) => ({ source: 'file', id: basename(path), description: 'torchvision state dict (.pth)' });

/** Build the model a .pth fits (arch and classes from the file) and load it. */
export async function buildModelFromPth(
  path: string,
  options: ModelOptions = {},
): Promise<{ model: tf.LayersModel; report: TorchvisionLoadReport }> {
  return buildTorchvisionModel((await readPthFile(path)).tensors, options, provenance(path));
}

/** Load a .pth into a model already built for it (padding 'symmetric', includePreprocessing false). */
export async function loadPthWeights(model: tf.LayersModel, path: string): Promise<TorchvisionLoadReport> {
  return applyTorchvisionStateDict(model, (await readPthFile(path)).tensors, provenance(path));
}
