/**
 * Which model does a weights file fit? A legacy .h5 holds weights only. Files this package wrote
 * carry their model options; for others (the official Keras files) candidate models are built and
 * their weight shapes compared with the file's, so `weights convert` and error messages can name
 * the right `--arch/--alpha/--minimalistic/--no-top` without the user knowing them.
 */
import { buildModel } from '../architecture/builder.js';
import { FLAVOR_NAMES } from '../architecture/flavors.js';
import type { ModelOptions } from '../architecture/options.js';
import { ARCH_NAMES } from '../architecture/tables.js';
import type { KerasWeights } from './keras-h5.js';

const ALPHAS = [1.0, 0.75, 0.5, 0.35, 1.25, 1.5, 2.0];

function fileShapes(weights: KerasWeights): string {
  return weights.layers.map((l) => l.weights.map((w) => w.shape.join('x')).join(',')).join(';');
}

/** Model options (input size aside) whose built model has exactly the file's weight shapes, or undefined. */
export function inferModelOptions(weights: KerasWeights): ModelOptions | undefined {
  if (weights.modelOptions) {
    try {
      return JSON.parse(weights.modelOptions) as ModelOptions;
    } catch {
      // Fall through to the shape search.
    }
  }
  const target = fileShapes(weights);
  const last = weights.layers[weights.layers.length - 1]?.weights[0]?.shape;
  const lastIsClassifier =
    last?.length === 4 && weights.layers.length > 0 && /logits/i.test(weights.layers[weights.layers.length - 1].name);
  const includeTop = lastIsClassifier || /conv_2|predictions/i.test(weights.layers.map((l) => l.name).join(' '));
  const classes = lastIsClassifier ? last[3] : 1000;
  for (const flavor of FLAVOR_NAMES) {
    for (const arch of ARCH_NAMES) {
      for (const minimalistic of flavor === 'keras' ? [false, true] : [false]) {
        for (const alpha of ALPHAS) {
          const options: ModelOptions = {
            flavor,
            arch,
            minimalistic,
            alpha,
            includeTop,
            ...(includeTop ? { classes } : {}),
            inputShape: [32, 32, 3],
          };
          const model = buildModel(options, { initialize: false }); // only its shapes are read
          const weighted = model.layers.filter((l) => l.weights.length > 0);
          const shapes = weighted.map((l) => l.weights.map((w) => w.shape.join('x')).join(',')).join(';');
          model.dispose();
          if (weighted.length !== weights.layers.length) break; // alpha does not change the layer count
          if (shapes === target) {
            const { inputShape: _ignored, ...rest } = options;
            return rest;
          }
        }
      }
    }
  }
  return undefined;
}

/**
 * `--arch small --alpha 0.75 --minimalistic --no-top` for options that differ from the defaults;
 * given the options a model was `built` with, also what to drop (`without --no-top`).
 */
export function describeAsFlags(options: ModelOptions, built?: ModelOptions): string {
  const flags: string[] = [];
  if (options.flavor && options.flavor !== 'keras') flags.push(`--flavor ${options.flavor}`);
  flags.push(`--arch ${options.arch ?? 'large'}`);
  if (options.alpha !== undefined && options.alpha !== 1) flags.push(`--alpha ${options.alpha}`);
  if (options.minimalistic) flags.push('--minimalistic');
  if (options.includeTop === false) flags.push('--no-top');
  // There is no flag that adds a top, so say which one to drop.
  else if (built?.includeTop === false) flags.push('without --no-top');
  if (options.includeTop !== false && options.classes !== undefined && options.classes !== 1000) flags.push(`--classes ${options.classes}`);
  return flags.join(' ');
}
