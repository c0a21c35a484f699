/**
 * One entry point for weights in Node: `'imagenet'` (the published Keras file for the model's
 * options, downloaded and cached), a Keras `.h5` file, a TF.js `model.json`, a Keras 3 `.keras` or
 * `.weights.h5`, a PyTorch `.pth` state dict of torchvision's MobileNetV3 or `'torchvision'`.
 */
import { basename } from 'node:path';
import type * as tf from '../runtime/tf.js';
import { readMetadata } from '../architecture/blocks.js';
import { buildModel, type BuildOptions } from '../architecture/builder.js';
import type { ModelOptions } from '../architecture/options.js';
import { applyKerasWeights, kerasWeightsFromModel, type LoadOptions, type LoadReport } from './apply.js';
import { fetchCached, imagenetWeightsPath, type DownloadOptions } from './download.js';
import { WeightsError } from './errors.js';
import { findImagenetWeights } from './imagenet.js';
import { describeAsFlags, inferModelOptions } from './infer.js';
import type { KerasWeights } from './keras-h5.js';
import { isKeras3WeightsPath, isKerasArchivePath, isPthPath, isTfjsModelPath } from './source-kind.js';
import {
  findTorchvisionWeights,
  isTorchvisionWeightsName,
  type TorchvisionWeights,
  type TorchvisionWeightsName,
} from './torchvision-weights.js';
import { readModelCard, recordWeights } from '../architecture/card.js';
import { IMAGENET_CLASSES } from '../classify/imagenet-classes.js';
import type { ArchName } from '../architecture/tables.js';

// The readers of each format (h5wasm, the .pth unpickler, Keras 3 archives, TF.js's io) load when a
// source needs them, so building a model without weights (summary, table, plot) loads none of them.
const h5File = () => import('./h5-file.js');
const keras3File = () => import('./keras3/file.js');
const keras3Weights = () => import('./keras3/weights-h5.js');
const pthFile = () => import('./pth/file.js');
const readBytes = async (path: string) => (await import('./read-bytes.js')).readWeightsBytes(path);
const loadTfjsModel = async (path: string) => (await import('./tfjs-files.js')).loadTfjsModel(path);

/** `'imagenet'`, a path to a Keras `.h5` weights file, or a path to a TF.js `model.json`. */
export type WeightsSource = string;

export type WeightsOptions = LoadOptions & DownloadOptions;

export { isKeras3WeightsPath, isTfjsModelPath } from './source-kind.js';
export { imagenetWeightsPath } from './download.js';

/** The weights of a source as named arrays (a TF.js model's weights are read off the loaded model). */
export async function readWeightsSource(
  source: WeightsSource,
  modelOptions: ModelOptions = {},
  options: DownloadOptions = {},
): Promise<KerasWeights> {
  if (isPthPath(source) || isTorchvisionWeightsName(source)) {
    // torchvision names modules otherwise and needs its own padding: loadWeights puts them in by module name.
    throw new WeightsError(`${source} holds torchvision weights: load them with loadWeights or --weights, not as Keras named arrays`);
  }
  // Keras 3 files name layers by class path (or describe their model): the model they fit is built
  // and its weights read off it by layer name.
  if (isKerasArchivePath(source) || isKeras3WeightsPath(source)) {
    const model = isKerasArchivePath(source)
      ? (await (await keras3File()).buildModelFromKerasFile(source)).model
      : buildModel(modelOptions, { initialize: false });
    try {
      if (isKeras3WeightsPath(source)) {
        const { applyKeras3Weights, readKeras3WeightsH5 } = await keras3Weights();
        applyKeras3Weights(model, await readKeras3WeightsH5(await readBytes(source), source), source);
      }
      return kerasWeightsFromModel(model);
    } finally {
      model.dispose();
    }
  }
  if (isTfjsModelPath(source)) {
    const model = await loadTfjsModel(source);
    try {
      return kerasWeightsFromModel(model);
    } finally {
      model.dispose();
    }
  }
  const { readKerasH5File } = await h5File();
  return readKerasH5File(source === 'imagenet' ? await imagenetWeightsPath(modelOptions, options) : source);
}

/** torchvision weights into a model built for them (padding 'symmetric', no Rescaling), by module name; the card gets their mean/std. */
async function loadTorchvisionInto(model: tf.LayersModel, source: string, options: DownloadOptions): Promise<LoadReport> {
  const meta = readMetadata(model)?.options;
  if (meta && (meta.padding !== 'symmetric' || meta.includePreprocessing !== false)) {
    throw new WeightsError(
      `${source} holds PyTorch-trained weights, which need a model built with padding 'symmetric' and no Rescaling layer (--padding symmetric --no-preprocessing) and torchvision's mean/std on its input`,
    );
  }
  const path = isTorchvisionWeightsName(source) ? (await torchvisionWeightsPath(source, meta?.arch, options)).path : source;
  const report = await (await pthFile()).loadPthWeights(model, path);
  return {
    mode: 'byName',
    loaded: report.pairs.map((p) => ({ layer: p.layer, from: p.module })),
    nameMismatches: [],
    skipped: [],
    missing: [],
    unused: report.unused,
    values: report.values,
  };
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
  if (isPthPath(source) || isTorchvisionWeightsName(source)) return loadTorchvisionInto(model, source, options);
  const modelOptions: ModelOptions = readMetadata(model)?.options ?? {};
  // By name, a new head takes nothing from the file, so the published 1000-class file serves a
  // model of any number of classes (its logits are skipped as a shape mismatch).
  const { classes: _classes, ...anyClasses } = modelOptions;
  // (A Keras 3 .weights.h5 is read through a model built like this one: without its top by name.)
  const readAs: ModelOptions = options.byName
    ? isKeras3WeightsPath(source)
      ? { ...anyClasses, includeTop: false, pooling: null }
      : anyClasses
    : modelOptions;
  const weights = await readWeightsSource(source, readAs, options);
  try {
    const report = applyKerasWeights(model, weights, { label: source === 'imagenet' ? 'the ImageNet weights' : source, ...options });
    recordProvenance(model, source, modelOptions);
    return report;
  } catch (error) {
    // Say which model the file does fit, when that can be worked out.
    if (error instanceof WeightsError && !options.byName) {
      const fits = inferModelOptions(weights);
      if (fits)
        throw new WeightsError(`${error.message.replace(/ \(check [^)]*\)$/, '')}; the file fits ${describeAsFlags(fits, modelOptions)}`);
    }
    throw error;
  }
}

/** Path of the cached torchvision file for this name and arch (downloading it if needed). */
export async function torchvisionWeightsPath(
  name: TorchvisionWeightsName,
  arch: ArchName | undefined,
  download: DownloadOptions = {},
): Promise<{ path: string; record: TorchvisionWeights }> {
  const record = findTorchvisionWeights(name, arch);
  if (typeof record === 'string') throw new WeightsError(record);
  return { path: await fetchCached(record, download), record };
}

/** torchvision's published weights: downloaded, built like any .pth, and the card says how torchvision evaluates them. */
async function buildTorchvisionPretrained(
  name: TorchvisionWeightsName,
  options: ModelOptions,
  download: DownloadOptions,
): Promise<tf.LayersModel> {
  const { path, record } = await torchvisionWeightsPath(name, options.arch, download);
  const { model } = await (await pthFile()).buildModelFromPth(path, options);
  recordWeights(
    model,
    {
      source: name,
      id: `${record.arch} ${record.id}`,
      url: record.url,
      description: `torchvision mobilenet_v3_${record.arch} ${record.id} (top-1 ${record.top1}% at resize ${record.resize} / crop ${record.crop}); SHA-256 starts ${record.sha256Prefix} (the full hash is not published)`,
    },
    { input: { crop: record.crop / record.resize }, labels: IMAGENET_CLASSES },
  );
  return model;
}

/**
 * The card's provenance after Keras-layout weights load: for `imagenet`, the record's id, URL,
 * MD5, evaluation crop and ImageNet's class names; for a file, its name.
 */
function recordProvenance(model: tf.LayersModel, source: WeightsSource, options: ModelOptions): void {
  if (source !== 'imagenet') {
    // A file saved here brought its own card (and provenance) with it; keep that.
    if (!readModelCard(model)?.weights) recordWeights(model, { source: 'file', id: basename(source) });
    return;
  }
  const record = findImagenetWeights(options);
  if (typeof record === 'string') return;
  recordWeights(
    model,
    { source: 'imagenet', id: record.id, md5: record.md5, description: record.meta.source },
    {
      input: { crop: record.transforms.evalCrop },
      labels: IMAGENET_CLASSES,
    },
  );
}

export interface ModelWithWeights {
  model: tf.LayersModel;
  /** How the weights went in; undefined for no weights or a whole TF.js model. */
  report?: LoadReport;
}

/**
 * Build a model and load its weights. A TF.js `model.json` and a Keras 3 `.keras` carry their own
 * architecture, so the model is theirs (the model options are not used); a `.pth` sets the arch and
 * classes; other sources go into `buildModel(options)`. Weights loaded by order (or from a .pth /
 * .weights.h5) overwrite every weight, so the model is built without Keras's initialisers; a load
 * by name may leave layers as built (a new head), so those keep them. Without weights,
 * `load.initialize` says whether they are needed (default yes: the model may be trained or
 * exported as built; a summary passes false).
 */
export async function buildModelWithWeights(
  options: ModelOptions & { weights?: WeightsSource | null },
  load: WeightsOptions & BuildOptions = {},
): Promise<ModelWithWeights> {
  const { weights, ...modelOptions } = options;
  if (weights && isTfjsModelPath(weights)) return { model: await loadTfjsModel(weights) };
  // A Keras 3 .keras archive also says which model it is (its config): built from the file.
  if (weights && isKerasArchivePath(weights)) return { model: (await (await keras3File()).buildModelFromKerasFile(weights)).model };
  // A PyTorch state dict says which model it is (arch, classes) and needs torchvision's padding and
  // normalisation: the model is built for it, and its card records the normalisation.
  if (weights && isPthPath(weights)) return { model: (await (await pthFile()).buildModelFromPth(weights, modelOptions)).model };
  if (weights && isTorchvisionWeightsName(weights)) return { model: await buildTorchvisionPretrained(weights, modelOptions, load) };
  // Keras 3's own layout: layers found by their saving_lib paths (checked shape by shape).
  if (weights && isKeras3WeightsPath(weights)) {
    const { applyKeras3Weights, readKeras3WeightsH5 } = await keras3Weights();
    const model = buildModel(modelOptions, { initialize: false });
    const file = await readKeras3WeightsH5(await readBytes(weights), weights);
    try {
      applyKeras3Weights(model, file, weights);
    } catch (error) {
      model.dispose();
      // Say which model the file does fit, when a candidate has its paths and shapes.
      const fit = error instanceof WeightsError ? (await import('./keras3/infer.js')).inferKeras3Model(file) : undefined;
      if (fit && !fit.head)
        throw new WeightsError(`${(error as Error).message}; the file fits ${describeAsFlags(fit.options, modelOptions)}`);
      throw error;
    }
    return { model };
  }
  const model = buildModel(modelOptions, { initialize: weights ? load.byName === true : (load.initialize ?? true) });
  if (!weights) return { model };
  try {
    return { model, report: await loadWeights(model, weights, load) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
