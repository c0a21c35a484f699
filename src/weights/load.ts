/**
 * One entry point for weights in Node: `'imagenet'` (the published Keras file for the model's
 * options, downloaded and cached), a Keras `.h5` file, a TF.js `model.json`, or a PyTorch `.pth`
 * state dict of torchvision's MobileNetV3.
 */
import type * as tf from '../runtime/tf.js';
import { readMetadata } from '../architecture/blocks.js';
import { buildModel, type BuildOptions } from '../architecture/builder.js';
import type { ModelOptions } from '../architecture/options.js';
import { applyKerasWeights, kerasWeightsFromModel, type LoadOptions, type LoadReport } from './apply.js';
import { fetchCached, imagenetWeightsPath, type DownloadOptions } from './download.js';
import { WeightsError } from './errors.js';
import { describeAsFlags, inferModelOptions } from './infer.js';
import type { KerasWeights } from './keras-h5.js';
import { isKeras3WeightsPath, isPthPath, isTfjsModelPath } from './source-kind.js';
import { findTorchvisionWeights, isTorchvisionWeightsName, type TorchvisionWeights, type TorchvisionWeightsName } from './torchvision-weights.js';
import { readModelCard, updateModelCard } from '../architecture/card.js';
import type { ArchName } from '../architecture/tables.js';

// The readers of each format (h5wasm, the .pth unpickler, TF.js's io) load when a source needs
// them, so building a model without weights (summary, table, plot) loads none of them.
const h5File = () => import('./h5-file.js');
const pthFile = () => import('./pth/file.js');
const tfjsFiles = () => import('./tfjs-files.js');

/** `'imagenet'`, a path to a Keras `.h5` weights file, or a path to a TF.js `model.json`. */
export type WeightsSource = string;

export type WeightsOptions = LoadOptions & DownloadOptions;

export { isKeras3WeightsPath, isTfjsModelPath } from './source-kind.js';
export { imagenetWeightsPath } from './download.js';

/** The weights of a source as named arrays (a TF.js model's weights are read off the loaded model). */
export async function readWeightsSource(source: WeightsSource, modelOptions: ModelOptions = {}, options: DownloadOptions = {}): Promise<KerasWeights> {
  if (isPthPath(source) || isTorchvisionWeightsName(source) || isKeras3WeightsPath(source)) {
    // These name layers otherwise (torchvision modules, Keras 3 class paths): the model is built for them.
    throw new WeightsError(`${source} loads when the model is built (--weights, buildModelWithWeights), not into a model built before`);
  }
  if (isTfjsModelPath(source)) {
    const model = await (await tfjsFiles()).loadTfjsModel(source);
    try {
      return kerasWeightsFromModel(model);
    } finally {
      model.dispose();
    }
  }
  const { readKerasH5File } = await h5File();
  if (source === 'imagenet') return readKerasH5File(await imagenetWeightsPath(modelOptions, options));
  return readKerasH5File(source);
}

/** Load weights into a built model (in place). */
export async function loadWeights(model: tf.LayersModel, source: WeightsSource, options: WeightsOptions = {}): Promise<LoadReport> {
  const modelOptions: ModelOptions = readMetadata(model)?.options ?? {};
  // By name, a new head takes nothing from the file, so the published 1000-class file serves a
  // model of any number of classes (its logits are skipped as a shape mismatch).
  const { classes: _classes, ...anyClasses } = modelOptions;
  const weights = await readWeightsSource(source, options.byName ? anyClasses : modelOptions, options);
  try {
    return applyKerasWeights(model, weights, { label: source === 'imagenet' ? 'the ImageNet weights' : source, ...options });
  } catch (error) {
    // Say which model the file does fit, when that can be worked out.
    if (error instanceof WeightsError && !options.byName) {
      const fits = inferModelOptions(weights);
      if (fits) throw new WeightsError(`${error.message.replace(/ \(check [^)]*\)$/, '')}; the file fits ${describeAsFlags(fits, modelOptions)}`);
    }
    throw error;
  }
}

/** Path of the cached torchvision file for this name and arch (downloading it if needed). */
export async function torchvisionWeightsPath(name: TorchvisionWeightsName, arch: ArchName | undefined, download: DownloadOptions = {}): Promise<{ path: string; record: TorchvisionWeights }> {
  const record = findTorchvisionWeights(name, arch);
  if (typeof record === 'string') throw new WeightsError(record);
  return { path: await fetchCached(record, download), record };
}

/** torchvision's published weights: downloaded, built like any .pth, and the card says how torchvision evaluates them. */
async function buildTorchvisionPretrained(name: TorchvisionWeightsName, options: ModelOptions, download: DownloadOptions): Promise<tf.LayersModel> {
  const { path, record } = await torchvisionWeightsPath(name, options.arch, download);
  const { model } = await (await pthFile()).buildModelFromPth(path, options);
  const card = readModelCard(model);
  if (card) {
    updateModelCard(model, {
      input: { ...card.input, crop: record.crop / record.resize },
      weights: {
        source: name, id: `${record.arch} ${record.id}`, url: record.url,
        description: `torchvision mobilenet_v3_${record.arch} ${record.id} (top-1 ${record.top1}% at resize ${record.resize} / crop ${record.crop}); SHA-256 starts ${record.sha256Prefix} (the full hash is not published)`,
      },
    });
  }
  return model;
}

export interface ModelWithWeights {
  model: tf.LayersModel;
  /** How the weights went in; undefined for no weights or a whole TF.js model. */
  report?: LoadReport;
}

/**
 * Build a model and load its weights. A TF.js `model.json` carries its own architecture, so it is
 * loaded whole (the model options are not used); other sources go into `buildModel(options)`.
 * Weights loaded by order (or from a .pth / .weights.h5) overwrite every weight, so the model is
 * built without Keras's initialisers; a load by name may leave layers as built (a new head), so
 * those keep them. Without weights, `load.initialize` says whether they are needed (default yes:
 * the model may be trained or exported; a summary passes false).
 */
export async function buildModelWithWeights(options: ModelOptions & { weights?: WeightsSource | null }, load: WeightsOptions & BuildOptions = {}): Promise<ModelWithWeights> {
  const { weights, ...modelOptions } = options;
  if (weights && isTfjsModelPath(weights)) return { model: await (await tfjsFiles()).loadTfjsModel(weights) };
  // A PyTorch state dict says which model it is (arch, classes) and needs torchvision's padding and
  // normalisation: the model is built for it, and its card records the normalisation.
  if (weights && isPthPath(weights)) return { model: (await (await pthFile()).buildModelFromPth(weights, modelOptions)).model };
  if (weights && isTorchvisionWeightsName(weights)) return { model: await buildTorchvisionPretrained(weights, modelOptions, load) };
  // Keras 3's own layout: layers found by their saving_lib paths (checked shape by shape).
  if (weights && isKeras3WeightsPath(weights)) {
    const [{ readWeightsBytes }, { applyKeras3Weights, readKeras3WeightsH5 }] = await Promise.all([import('./read-bytes.js'), import('./keras3/weights-h5.js')]);
    const model = buildModel(modelOptions, { initialize: false });
    try {
      applyKeras3Weights(model, await readKeras3WeightsH5(await readWeightsBytes(weights), weights), weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return { model };
  }
  const model = buildModel(modelOptions, { initialize: weights ? load.byName === true : load.initialize ?? true });
  if (!weights) return { model };
  try {
    return { model, report: await loadWeights(model, weights, load) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
