/**
 * The one way CLI commands get a model: build it from the shared model options and load
 * `--weights` (imagenet | file.h5 | model.json). Every model-building command calls this, so
 * weights, their errors and their notes behave the same everywhere.
 */
import type * as tf from '../runtime/tf.js';
import type { BuildOptions } from '../architecture/builder.js';
import type { ModelCard } from '../architecture/card.js';
import type { ModelOptions } from '../architecture/options.js';
import { CliError } from './errors.js';
import { modelOptionsFrom, type ModelFlags } from './model-options.js';

export interface BuiltModel {
  model: tf.LayersModel;
  /** The options the model was built from (for a model.json: those it was saved with, if known). */
  options: ModelOptions;
}

/**
 * Build the model the flags describe and load its weights. Notes about the load (layers loaded by
 * order whose names differ, layers skipped) go to stderr, one line each; misfits throw one-line
 * errors. Call `useTfBackend(...)` first. `{ initialize: false }` for a command that never reads
 * the weights of a model built without --weights (summary, table, plot).
 */
export async function modelFromFlags(flags: ModelFlags, build: BuildOptions = {}): Promise<BuiltModel> {
  const [{ buildModelWithWeights }, { describeLoadReport }, { readMetadata }] = await Promise.all([
    import('../weights/load.js'),
    import('../weights/apply.js'),
    import('../architecture/blocks.js'),
  ]);
  const options = modelOptionsFrom(flags);
  const { model, report } = await buildModelWithWeights({ ...options, weights: flags.weights ?? null }, build);
  for (const line of report ? describeLoadReport(report) : []) process.stderr.write(`mobilenetv3: note: ${line}\n`);
  return { model, options: readMetadata(model)?.options ?? options };
}

/**
 * `--weights` for code that takes Keras .h5 weights itself (the classifier, which caches ONNX
 * exports by weight bytes): `imagenet` becomes the cached file's path; a model.json becomes .h5
 * bytes plus the options it was saved with; a .h5 path is passed through.
 */
export interface HandedOn {
  options: ModelOptions;
  weights?: string | Uint8Array;
  /** Instead of weights: the model as ONNX bytes (a trained model, whose head the options cannot build). */
  onnx?: Uint8Array;
  card?: ModelCard;
}

export async function weightsFromFlags(flags: ModelFlags): Promise<HandedOn> {
  const options = modelOptionsFrom(flags);
  const source = flags.weights;
  if (!source) return { options };
  if (/\.(pth|pt|keras)$|\.weights\.h5$/i.test(source) || source === 'torchvision' || source === 'torchvision-v2')
    return builtWeights(source, options);
  // A .h5 path passes straight through without loading the weights modules (they pull in TF.js):
  // the classifier's cached-ONNX path must start fast.
  if (source !== 'imagenet' && !/\.json$/i.test(source)) return { options, weights: source };
  const [{ imagenetWeightsPath }, { isTfjsModelPath }] = await Promise.all([
    import('../weights/download.js'),
    import('../weights/source-kind.js'),
  ]);
  if (source === 'imagenet') return { options, weights: await imagenetWeightsPath(options) };
  if (!isTfjsModelPath(source)) return { options, weights: source };
  const [{ loadTfjsModel }, { useTfBackend }] = await Promise.all([import('../weights/tfjs-files.js'), import('../runtime/tfjs.js')]);
  await useTfBackend('wasm');
  const model = await loadTfjsModel(source);
  try {
    const { readMetadata } = await import('../architecture/blocks.js');
    if (!readMetadata(model))
      throw new CliError(
        `${source} was not saved by mobilenetv3 (no model options in its metadata); convert it to .h5 with "mobilenetv3 weights convert" and pass the model options`,
        2,
      );
    return await handOn(model, modelOptionsFrom(flags));
  } finally {
    model.dispose();
  }
}

/**
 * A loaded model as what the classifier takes: legacy .h5 bytes, the options it was built with
 * and its card (input contract, crop, labels; a model.json from `train` before the card kept its
 * class names under its own metadata key).
 */
async function handOn(model: tf.LayersModel, options: ModelOptions): Promise<HandedOn> {
  const [{ kerasWeightsFromModel }, { writeKerasH5 }, { readMetadata }, { readModelCard }, { readLabels }] = await Promise.all([
    import('../weights/apply.js'),
    import('../weights/keras-h5.js'),
    import('../architecture/blocks.js'),
    import('../architecture/card.js'),
    import('../train/classifier.js'),
  ]);
  const card = readModelCard(model);
  const labels = card?.labels ?? readLabels(model) ?? null;
  const meta = readMetadata(model);
  if (meta && !meta.options.includeTop && meta.blocks.some((b) => b.kind === 'classifier')) {
    // A model from `train`: a no-top backbone plus the head it attached, which the model options
    // cannot rebuild; it goes on as ONNX (the onnx engine runs it).
    const { exportOnnx } = await import('../export/onnx/export.js');
    return { options: meta.options, onnx: exportOnnx(model), card: card && { ...card, labels } };
  }
  return {
    options: readMetadata(model)?.options ?? options,
    weights: await writeKerasH5(kerasWeightsFromModel(model)),
    card: card && { ...card, labels },
  };
}

/**
 * A PyTorch .pth, torchvision's weights or a Keras 3 .keras / .weights.h5 for the classifier: the model is
 * built and loaded once here, then handed on as legacy .h5 bytes with the options it was built
 * with (for a .pth: symmetric padding, no Rescaling layer) and its card (torchvision's mean/std
 * and crop), which the classifier applies to the pixels.
 */
async function builtWeights(source: string, options: ModelOptions): Promise<HandedOn> {
  const [{ buildModelWithWeights }, { useTfBackend }] = await Promise.all([import('../weights/load.js'), import('../runtime/tfjs.js')]);
  await useTfBackend('wasm');
  const { model } = await buildModelWithWeights({ ...options, weights: source });
  try {
    // The classifier rebuilds the model from its options, which cannot say "a Dense head" (train's classifier).
    const { readMetadata } = await import('../architecture/blocks.js');
    const meta = readMetadata(model);
    const head = meta?.options.includeTop === false ? meta.blocks.find((b) => b.kind === 'classifier') : undefined;
    if (head)
      throw new CliError(
        `${source} holds a transfer-learning model (a Dense head of ${head.out} classes): convert it with "mobilenetv3 weights convert ${source} model.onnx" and pass --model model.onnx`,
        1,
      );
    return await handOn(model, options);
  } finally {
    model.dispose();
  }
}
