/**
 * What the builder and its flavours share, in its own module so that neither imports the other:
 * the build context (layer naming, the block map being recorded), the interface a flavour's
 * layers implement, and the stride-2 padding step both flavours take.
 */
import * as tf from '../runtime/tf.js';
import type { BlockInfo } from './blocks.js';
import type { ResolvedOptions } from './options.js';
import type { ResolvedArchitecture, ResolvedBlock } from './resolve.js';

export type Sym = tf.SymbolicTensor;

/** What a flavour's layers provide; `ctx.add` applies a layer and files it under the current block. */
export interface FlavorLayers {
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
  constructor(
    readonly options: ResolvedOptions,
    private readonly initialize = true,
  ) {}

  /** Keras-style automatic name: base, base_1, base_2, ... unique within this model. */
  autoName(base: string): string {
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }

  begin(block: Omit<BlockInfo, 'layers'>): void {
    this.blocks.push({ ...block, layers: [] });
  }

  /** Start a bneck's block: its map entry read off the resolved row, whatever the flavour names it. */
  beginBneck(id: string, b: ResolvedBlock): void {
    this.begin({
      id,
      kind: 'bneck',
      kernel: b.kernel,
      stride: b.stride,
      expand: b.expandChannels,
      out: b.outChannels,
      se: b.seChannels,
      activation: b.activation,
      residual: b.residual,
    });
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

/** Keras `imagenet_utils.correct_pad`: TF "same" padding for a stride-2 conv, made explicit. */
export function correctPad(height: number, width: number, kernel: number): [[number, number], [number, number]] {
  const c = Math.floor(kernel / 2);
  const adjust = [1 - (height % 2), 1 - (width % 2)];
  return [
    [c - adjust[0], c],
    [c - adjust[1], c],
  ];
}

/** Padding in front of a stride-2 conv for the chosen convention. */
export function stride2Pad(o: ResolvedOptions, x: Sym, kernel: number): [[number, number], [number, number]] {
  if (o.padding === 'symmetric') {
    const p = Math.floor((kernel - 1) / 2);
    return [
      [p, p],
      [p, p],
    ];
  }
  return correctPad(x.shape[1] as number, x.shape[2] as number, kernel);
}

/**
 * The one "stride 2 -> explicit ZeroPadding2D, then a valid conv" step. `explicit`: whether this
 * conv pads explicitly with TF padding too (Keras's depthwise convs do, via correct_pad); with
 * symmetric padding every stride-2 conv does (TF's "same" would pad asymmetrically). Returns the
 * input for the conv and the padding mode to build it with. `name` may be a function, called only
 * when the layer is made (automatic names count up only for layers that exist).
 */
export function padStride2(
  ctx: BuildContext,
  x: Sym,
  kernel: number,
  stride: number,
  name: string | (() => string),
  explicit = false,
): { x: Sym; padding: 'same' | 'valid' } {
  if (stride !== 2 || !(explicit || ctx.options.padding === 'symmetric')) return { x, padding: 'same' };
  const layer = tf.layers.zeroPadding2d({ padding: stride2Pad(ctx.options, x, kernel), name: typeof name === 'string' ? name : name() });
  return { x: ctx.add(layer, x), padding: 'valid' };
}
