/**
 * The one builder: table rows (tables.ts) -> resolved widths (resolve.ts) -> a tf.LayersModel.
 * The flavours differ only in their primitives (how a conv block, an SE module, a head are made
 * and named); the walk over the blocks is shared.
 */
import * as tf from '../runtime/tf.js';
import { writeMetadata, type BlockInfo } from './blocks.js';
import { blogFlavor } from './flavor-blog.js';
import { kerasFlavor } from './flavor-keras.js';
import { registerCustomLayers } from './layers.js';
import { resolveOptions, type ModelOptions, type ResolvedOptions } from './options.js';
import { resolveArchitecture, type ResolvedArchitecture, type ResolvedBlock } from './resolve.js';

export type Sym = tf.SymbolicTensor;

/** What a flavour provides; `ctx.add` applies a layer and files it under the current block. */
export interface Flavor {
  inputName: string;
  preprocess(ctx: BuildContext, x: Sym): Sym;
  stem(ctx: BuildContext, x: Sym, arch: ResolvedArchitecture): Sym;
  bneck(ctx: BuildContext, x: Sym, block: ResolvedBlock): Sym;
  head(ctx: BuildContext, x: Sym, arch: ResolvedArchitecture): Sym;
  /** With top: pooling, last point conv, classifier. */
  top(ctx: BuildContext, x: Sym, arch: ResolvedArchitecture): Sym;
  /** Without top: optional global pooling. */
  pool(ctx: BuildContext, x: Sym): Sym;
}

/** How to build, apart from what to build (ModelOptions, which the model's metadata records). */
export interface BuildOptions {
  /**
   * false: every weight starts as zeros (TF.js's fast weight init, as `loadLayersModel` uses), for
   * a model whose weights are loaded next or never read (a summary, a table, a plot); Keras's
   * initialisers (truncated normal etc.: ~0.4 s for Large) only where they count, i.e. training
   * from scratch. Default true.
   */
  initialize?: boolean;
}

export class BuildContext {
  readonly blocks: BlockInfo[] = [];
  private readonly counts = new Map<string, number>();
  constructor(readonly options: ResolvedOptions, private readonly initialize = true) {}

  /** Keras-style automatic name: base, base_1, base_2, ... unique within this model. */
  autoName(base: string): string {
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }

  begin(block: Omit<BlockInfo, 'layers'>): void {
    this.blocks.push({ ...block, layers: [] });
  }

  add(layer: tf.layers.Layer, input: Sym | Sym[]): Sym {
    this.blocks[this.blocks.length - 1].layers.push(layer.name);
    if (this.initialize) return layer.apply(input) as Sym;
    // The layer's weights are made when it is first applied; its config keeps Keras's initialisers.
    layer.setFastWeightInitDuringBuild(true);
    const output = layer.apply(input) as Sym;
    layer.setFastWeightInitDuringBuild(false);
    return output;
  }
}

const FLAVORS = { keras: kerasFlavor, blog: blogFlavor } as const;

/** Build MobileNetV3 (Large or Small, Keras or blog flavour) as a TF.js functional model. */
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

/** Keras `imagenet_utils.correct_pad`: TF "same" padding for a stride-2 conv, made explicit. */
export function correctPad(height: number, width: number, kernel: number): [[number, number], [number, number]] {
  const c = Math.floor(kernel / 2);
  const adjust = [1 - (height % 2), 1 - (width % 2)];
  return [[c - adjust[0], c], [c - adjust[1], c]];
}

/** Padding in front of a stride-2 conv for the chosen convention. */
export function stride2Pad(o: ResolvedOptions, x: Sym, kernel: number): [[number, number], [number, number]] {
  if (o.padding === 'symmetric') {
    const p = Math.floor((kernel - 1) / 2);
    return [[p, p], [p, p]];
  }
  return correctPad(x.shape[1] as number, x.shape[2] as number, kernel);
}
