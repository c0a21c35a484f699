/**
 * `weights convert`: Keras .h5 <-> TF.js model.json (and .h5 -> .h5 / .json -> .json, which
 * rewrite a file in this package's layout). A .h5 has no architecture, so the model is the one
 * its weights fit (see infer.ts) or the options given.
 */
import { extname, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { readMetadata } from '../architecture/blocks.js';
import { buildModel } from '../architecture/builder.js';
import type { ModelOptions } from '../architecture/options.js';
import { applyKerasWeights } from './apply.js';
import { WeightsError } from './errors.js';
import { readKerasH5File, saveKerasH5Weights } from './h5-file.js';
import { describeAsFlags, inferModelOptions } from './infer.js';
import { isTfjsModelPath } from './load.js';
import { loadTfjsModel, saveTfjsModel } from './tfjs-files.js';

const H5 = new Set(['.h5', '.hdf5']);

function formatOf(path: string, role: 'input' | 'output'): 'h5' | 'tfjs' {
  if (isTfjsModelPath(path)) return 'tfjs';
  if (H5.has(extname(path).toLowerCase())) return 'h5';
  throw new WeightsError(`${role} ${path} must end in .h5 (Keras weights) or .json (TF.js model.json)`);
}

export interface ConvertResult {
  from: 'h5' | 'tfjs';
  to: 'h5' | 'tfjs';
  /** The model the weights were placed in, as flags (e.g. `--arch small`). */
  model: string;
  params: number;
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
  } else {
    const weights = await readKerasH5File(input);
    const inferred = inferModelOptions(weights);
    const fits = inferred || Object.keys(overrides).length ? { ...inferred, ...overrides } : undefined;
    if (!fits) throw new WeightsError(`cannot tell which MobileNetV3 ${input} holds: no model this package builds has its ${weights.layers.length} weight shapes`);
    model = buildModel(fits);
    try {
      applyKerasWeights(model, weights, { label: input });
    } catch (error) {
      model.dispose();
      if (error instanceof WeightsError && inferred) throw new WeightsError(`${error.message.replace(/ \(check [^)]*\)$/, '')}; the file fits ${describeAsFlags(inferred)}`);
      throw error;
    }
  }
  try {
    if (to === 'tfjs') await saveTfjsModel(model, output);
    else await saveKerasH5Weights(model, output);
    const built = readMetadata(model)?.options;
    return { from, to, model: built ? describeAsFlags(built) : model.name, params: model.countParams() };
  } finally {
    model.dispose();
  }
}
