/**
 * One entry point for weights in Node: `'imagenet'` (the published Keras file for the model's
 * options, downloaded and cached), a Keras `.h5` file, a TF.js `model.json`, or a PyTorch `.pth`
 * state dict of torchvision's MobileNetV3.
 */
import { basename, extname } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { readMetadata } from '../architecture/blocks.js';
import { buildModel } from '../architecture/builder.js';
import type { ModelOptions } from '../architecture/options.js';
import { applyKerasWeights, kerasWeightsFromModel, type LoadOptions, type LoadReport } from './apply.js';
import { fetchCached, type DownloadOptions } from './download.js';
import { WeightsError } from './errors.js';
import { readKerasH5File, readWeightsBytes } from './h5-file.js';
import { findImagenetWeights } from './imagenet.js';
import { describeAsFlags, inferModelOptions } from './infer.js';
import type { KerasWeights } from './keras-h5.js';
import { applyKeras3Weights, readKeras3WeightsH5 } from './keras3/weights-h5.js';
import { buildModelFromPth, isPthPath } from './pth/file.js';
import { findTorchvisionWeights, isTorchvisionWeightsName, type TorchvisionWeights, type TorchvisionWeightsName } from './torchvision-weights.js';
import { recordWeights } from '../architecture/card.js';
import { IMAGENET_CLASSES } from '../classify/imagenet-classes.js';
import type { ArchName } from '../architecture/tables.js';
import { loadTfjsModel } from './tfjs-files.js';

/** `'imagenet'`, a path to a Keras `.h5` weights file, or a path to a TF.js `model.json`. */
export type WeightsSource = string;

export type WeightsOptions = LoadOptions & DownloadOptions;

/** Keras 3 names its weights files `x.weights.h5` (and requires that name). */
export function isKeras3WeightsPath(source: string): boolean {
  return /\.weights\.h5$/i.test(source);
}

export function isTfjsModelPath(source: string): boolean {
  return extname(source).toLowerCase() === '.json';
}

/** Path of the cached ImageNet file for these model options (downloading it if needed). */
export async function imagenetWeightsPath(options: ModelOptions, download: DownloadOptions = {}): Promise<string> {
  const found = findImagenetWeights(options);
  if (typeof found === 'string') throw new WeightsError(found);
  return fetchCached(found, download);
}

/** The weights of a source as named arrays (a TF.js model's weights are read off the loaded model). */
export async function readWeightsSource(source: WeightsSource, modelOptions: ModelOptions = {}, options: DownloadOptions = {}): Promise<KerasWeights> {
  if (isPthPath(source) || isTorchvisionWeightsName(source) || isKeras3WeightsPath(source)) {
    // These name layers otherwise (torchvision modules, Keras 3 class paths): the model is built for them.
    throw new WeightsError(`${source} loads when the model is built (--weights, buildModelWithWeights), not into a model built before`);
  }
  if (source === 'imagenet') return readKerasH5File(await imagenetWeightsPath(modelOptions, options));
  if (isTfjsModelPath(source)) {
    const model = await loadTfjsModel(source);
    try {
      return kerasWeightsFromModel(model);
    } finally {
      model.dispose();
    }
  }
  return readKerasH5File(source);
}

/**
 * Load weights into a built model (in place); the model card records where they came from.
 *
 * @example
 * ```ts
 * import { buildModel, loadWeights } from 'mobilenetv3';
 * const model = buildModel({ arch: 'small' });
 * await loadWeights(model, 'imagenet');                          // or a .h5 path, or a model.json
 * const head = buildModel({ arch: 'small', classes: 5 });
 * const report = await loadWeights(head, 'x.h5', { byName: true }); // report.skipped = ['logits']
 * ```
 */
export async function loadWeights(model: tf.LayersModel, source: WeightsSource, options: WeightsOptions = {}): Promise<LoadReport> {
  const modelOptions: ModelOptions = readMetadata(model)?.options ?? {};
  // By name, a new head takes nothing from the file, so the published 1000-class file serves a
  // model of any number of classes (its logits are skipped as a shape mismatch).
  const { classes: _classes, ...anyClasses } = modelOptions;
  const weights = await readWeightsSource(source, options.byName ? anyClasses : modelOptions, options);
  try {
    const report = applyKerasWeights(model, weights, { label: source === 'imagenet' ? 'the ImageNet weights' : source, ...options });
    recordProvenance(model, source, modelOptions);
    return report;
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
  const { model } = await buildModelFromPth(path, options);
  recordWeights(model, {
    source: name, id: `${record.arch} ${record.id}`, url: record.url,
    description: `torchvision mobilenet_v3_${record.arch} ${record.id} (top-1 ${record.top1}% at resize ${record.resize} / crop ${record.crop}); SHA-256 starts ${record.sha256Prefix} (the full hash is not published)`,
  }, { input: { crop: record.crop / record.resize }, labels: IMAGENET_CLASSES });
  return model;
}

/**
 * The card's provenance after Keras-layout weights load: for `imagenet`, the record's id, URL,
 * MD5, evaluation crop and ImageNet's class names; for a file, its name.
 */
function recordProvenance(model: tf.LayersModel, source: WeightsSource, options: ModelOptions): void {
  if (source !== 'imagenet') {
    recordWeights(model, { source: 'file', id: basename(source) });
    return;
  }
  const record = findImagenetWeights(options);
  if (typeof record === 'string') return;
  recordWeights(model, { source: 'imagenet', id: record.id, md5: record.md5, description: record.meta.source }, {
    input: { crop: record.transforms.evalCrop }, labels: IMAGENET_CLASSES,
  });
}

export interface ModelWithWeights {
  model: tf.LayersModel;
  /** How the weights went in; undefined for no weights or a whole TF.js model. */
  report?: LoadReport;
}

/**
 * Build a model and load its weights. A TF.js `model.json` carries its own architecture, so it is
 * loaded whole (the model options are not used); other sources go into `buildModel(options)`.
 */
export async function buildModelWithWeights(options: ModelOptions & { weights?: WeightsSource | null }, load: WeightsOptions = {}): Promise<ModelWithWeights> {
  const { weights, ...modelOptions } = options;
  if (weights && isTfjsModelPath(weights)) return { model: await loadTfjsModel(weights) };
  // A PyTorch state dict says which model it is (arch, classes) and needs torchvision's padding and
  // normalisation: the model is built for it, and its card records the normalisation.
  if (weights && isPthPath(weights)) return { model: (await buildModelFromPth(weights, modelOptions)).model };
  if (weights && isTorchvisionWeightsName(weights)) return { model: await buildTorchvisionPretrained(weights, modelOptions, load) };
  // Keras 3's own layout: layers found by their saving_lib paths (checked shape by shape).
  if (weights && isKeras3WeightsPath(weights)) {
    const model = buildModel(modelOptions);
    try {
      applyKeras3Weights(model, await readKeras3WeightsH5(await readWeightsBytes(weights), weights), weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return { model };
  }
  const model = buildModel(modelOptions);
  if (!weights) return { model };
  try {
    return { model, report: await loadWeights(model, weights, load) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
