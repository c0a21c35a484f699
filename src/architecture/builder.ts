/**
 * The one builder: table rows (tables.ts) -> resolved widths (resolve.ts) -> a tf.LayersModel.
 * The flavours differ only in their primitives (how a conv block, an SE module, a head are made
 * and named); the walk over the blocks is shared.
 */
import * as tf from '../runtime/tf.js';
import { writeMetadata } from './blocks.js';
import { BuildContext, type BuildOptions, type FlavorLayers } from './build-context.js';
import { blogFlavor } from './flavor-blog.js';
import { kerasFlavor } from './flavor-keras.js';
import { registerCustomLayers } from './layers.js';
import { resolveOptions, type Flavor, type ModelOptions } from './options.js';
import { resolveArchitecture } from './resolve.js';

// Shared with the flavours, kept importable from here as before.
export { BuildContext, correctPad, stride2Pad, type BuildOptions, type FlavorLayers, type Sym } from './build-context.js';

/** Each flavour's layers; typed by the flavour names, so a flavour without layers does not compile. */
const FLAVORS: Record<Flavor, FlavorLayers> = { keras: kerasFlavor, blog: blogFlavor };

/**
 * Build MobileNetV3 (Large or Small, Keras or blog flavour) as a TF.js functional model, with its
 * block map and model card in its metadata.
 *
 * @example
 * ```ts
 * import { buildModel, formatSummary, summarize } from 'mobilenetv3';
 * const model = buildModel({ arch: 'small', alpha: 0.75, inputShape: [192, 192, 3] });
 * console.log(formatSummary(summarize(model)));
 * ```
 */
export function buildModel(options: ModelOptions = {}, build: BuildOptions = {}): tf.LayersModel {
  registerCustomLayers();
  const o = resolveOptions(options);
  const arch = resolveArchitecture(o);
  const flavor = FLAVORS[o.flavor];
  const ctx = new BuildContext(o, build.initialize ?? true);

  ctx.begin({ id: 'input', kind: 'input' });
  const input = tf.input({ shape: [...o.inputShape], name: flavor.inputName });
  ctx.blocks[0].layers.push(input.sourceLayer.name);
  let x = flavor.preprocess(ctx, input);
  x = flavor.stem(ctx, x, arch);
  for (const block of arch.blocks) x = flavor.bneck(ctx, x, block);
  x = flavor.head(ctx, x, arch);
  x = o.includeTop ? flavor.top(ctx, x, arch) : flavor.pool(ctx, x);

  const model = tf.model({ inputs: input, outputs: x, name: o.name });
  writeMetadata(model, { options: o, blocks: ctx.blocks });
  return model;
}
