/**
 * `weights convert`: Keras .h5 <-> Keras 3 .keras <-> Keras 3 .weights.h5 <-> TF.js model.json,
 * PyTorch .pth in, ONNX out (and any format to itself, which rewrites a file in this package's
 * layout). A .h5 or .weights.h5 has no architecture, so the model is the one its weights fit (see
 * infer.ts, keras3/infer.ts) or the options given; a .keras and a model.json carry theirs.
 */
import { extname, resolve } from 'node:path';
import type * as tf from '../runtime/tf.js';
import { readMetadata } from '../architecture/blocks.js';
import { buildModel } from '../architecture/builder.js';
import type { ModelOptions } from '../architecture/options.js';
import { applyKerasWeights } from './apply.js';
import { WeightsError } from './errors.js';
import { readKerasH5File, readWeightsBytes, saveKerasH5Weights } from './h5-file.js';
import { describeAsFlags, inferModelOptions } from './infer.js';
import { writeFileAtomic } from '../io/atomic.js';
import { buildModelFromKerasFile, isKerasArchivePath, saveKerasArchive } from './keras3/file.js';
import { buildKeras3Fit, inferKeras3Model } from './keras3/infer.js';
import { applyKeras3Weights, readKeras3WeightsH5, writeKeras3WeightsH5 } from './keras3/weights-h5.js';
import { isKeras3WeightsPath, isTfjsModelPath } from './load.js';
import { buildModelFromPth, isPthPath } from './pth/file.js';
import { loadTfjsModel, saveTfjsModel } from './tfjs-files.js';

const H5 = new Set(['.h5', '.hdf5']);

export type WeightsFormat = 'h5' | 'weights.h5' | 'keras' | 'tfjs' | 'pth' | 'onnx';

/** What each format is, for messages. */
export const FORMAT_NAMES: Record<WeightsFormat, string> = {
  h5: 'Keras legacy .h5',
  'weights.h5': 'Keras 3 .weights.h5',
  keras: 'Keras 3 .keras',
  tfjs: 'TF.js',
  pth: 'PyTorch .pth',
  onnx: 'ONNX',
};

function formatOf(path: string, role: 'input' | 'output'): WeightsFormat {
  if (isKeras3WeightsPath(path)) return 'weights.h5';
  if (isKerasArchivePath(path)) return 'keras';
  if (isTfjsModelPath(path)) return 'tfjs';
  if (H5.has(extname(path).toLowerCase())) return 'h5';
  if (role === 'input' && isPthPath(path)) return 'pth';
  if (role === 'output' && extname(path).toLowerCase() === '.onnx') return 'onnx';
  const choices =
    role === 'input'
      ? '.h5 (Keras legacy), .keras or .weights.h5 (Keras 3), .pth (PyTorch) or .json (TF.js model.json)'
      : '.h5 (Keras legacy), .keras or .weights.h5 (Keras 3), .onnx or .json (TF.js model.json)';
  throw new WeightsError(`${role} ${path} must end in ${choices}`);
}

/** Throws (one line) when either path's extension names no format: a command line that cannot work. */
export function checkConvertPaths(input: string, output: string): void {
  formatOf(input, 'input');
  formatOf(output, 'output');
}

export interface ConvertResult {
  from: WeightsFormat;
  to: WeightsFormat;
  /** The model the weights were placed in, as flags (e.g. `--arch small`). */
  model: string;
  params: number;
}

/**
 * Keras 3 weights name layers by class, not by name: the model is the one whose paths and shapes
 * are the file's (a Dense head as train's classifier), `overrides` on top.
 */
async function buildFromKeras3Weights(input: string, overrides: ModelOptions): Promise<tf.LayersModel> {
  const file = await readKeras3WeightsH5(await readWeightsBytes(input), input);
  const fits = inferKeras3Model(file);
  if (!fits && !Object.keys(overrides).length)
    throw new WeightsError(
      `cannot tell which MobileNetV3 ${input} holds: no model this package builds has its ${file.length} weighted layers; pass the model options`,
    );
  const model = fits ? buildKeras3Fit({ ...fits, options: { ...fits.options, ...overrides } }) : buildModel(overrides);
  try {
    applyKeras3Weights(model, file, input);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Read `input`, write `output` (atomically). For a .h5, `overrides` replace what its shapes say
 * about the model (e.g. another input size); a model.json keeps its own architecture.
 */
export async function convertWeights(input: string, output: string, overrides: ModelOptions = {}): Promise<ConvertResult> {
  const from = formatOf(input, 'input');
  const to = formatOf(output, 'output');
  if (resolve(input) === resolve(output)) throw new WeightsError('input and output are the same file');
  let model: tf.LayersModel;
  if (from === 'tfjs') {
    model = await loadTfjsModel(input);
  } else if (from === 'pth') {
    model = (await buildModelFromPth(input, overrides)).model; // the file says its arch and classes
  } else if (from === 'keras') {
    model = (await buildModelFromKerasFile(input, overrides)).model; // the config says which model
  } else if (from === 'weights.h5') {
    model = await buildFromKeras3Weights(input, overrides);
  } else {
    const weights = await readKerasH5File(input);
    const inferred = inferModelOptions(weights);
    const fits = inferred || Object.keys(overrides).length ? { ...inferred, ...overrides } : undefined;
    if (!fits)
      throw new WeightsError(
        `cannot tell which MobileNetV3 ${input} holds: no model this package builds has its ${weights.layers.length} weight shapes`,
      );
    // A Dense last layer on a model without top: train's classifier head (a .h5 has no block map).
    const last = weights.layers[weights.layers.length - 1]?.weights[0]?.shape;
    const head =
      fits.includeTop === false && last?.length === 2 ? { classes: last[1], dropout: fits.dropoutRate ?? 0, softmax: true } : undefined;
    model = buildKeras3Fit({ options: fits, head });
    try {
      applyKerasWeights(model, weights, { label: input });
    } catch (error) {
      model.dispose();
      if (error instanceof WeightsError && inferred)
        throw new WeightsError(`${error.message.replace(/ \(check [^)]*\)$/, '')}; the file fits ${describeAsFlags(inferred)}`);
      throw error;
    }
  }
  try {
    if (to === 'tfjs') await saveTfjsModel(model, output);
    else if (to === 'weights.h5') await writeFileAtomic(output, await writeKeras3WeightsH5(model));
    else if (to === 'keras') await saveKerasArchive(model, output);
    else if (to === 'onnx') await writeFileAtomic(output, (await import('../export/onnx/export.js')).exportOnnx(model));
    else await saveKerasH5Weights(model, output);
    const meta = readMetadata(model);
    const head = meta?.options.includeTop === false ? meta.blocks.find((b) => b.kind === 'classifier') : undefined;
    const described = meta
      ? `${describeAsFlags(meta.options)}${head ? ` --pooling avg + Dense head of ${head.out} classes` : ''}`
      : model.name;
    return { from, to, model: described, params: model.countParams() };
  } finally {
    model.dispose();
  }
}
