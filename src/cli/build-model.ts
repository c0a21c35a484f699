/**
 * The one way CLI commands get a model: build it from the shared model options and load
 * `--weights` (imagenet | file.h5 | model.json). Every model-building command calls this, so
 * weights, their errors and their notes behave the same everywhere.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelOptions } from '../architecture/options.js';
import { modelOptionsFrom, type ModelFlags } from './model-options.js';

export interface BuiltModel {
  model: tf.LayersModel;
  /** The options the model was built from (for a model.json: those it was saved with, if known). */
  options: ModelOptions;
}

/**
 * Build the model the flags describe and load its weights. Notes about the load (layers loaded by
 * order whose names differ, layers skipped) go to stderr, one line each; misfits throw one-line
 * errors. Call `useTfBackend(...)` first.
 */
export async function modelFromFlags(flags: ModelFlags): Promise<BuiltModel> {
  const [{ buildModelWithWeights }, { describeLoadReport }, { readMetadata }] = await Promise.all([
    import('../weights/load.js'),
    import('../weights/apply.js'),
    import('../architecture/blocks.js'),
  ]);
  const options = modelOptionsFrom(flags);
  const { model, report } = await buildModelWithWeights({ ...options, weights: flags.weights ?? null });
  for (const line of report ? describeLoadReport(report) : []) process.stderr.write(`mobilenetv3: note: ${line}\n`);
  return { model, options: readMetadata(model)?.options ?? options };
}
