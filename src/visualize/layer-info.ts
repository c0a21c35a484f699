/**
 * Small readers of built TF.js layers shared by the table, the graph and the explainers: shapes,
 * what kind of operation a layer is, which non-linearity it applies. Type-only TF.js imports, so
 * the module is safe to bundle for the browser.
 */
import type * as tf from '../runtime/tf.js';
import { formatShape } from '../inspect/format.js';
import { single, type Shape } from '../inspect/summary.js';

export type { Shape };
/** The paper's NL column: RE = ReLU (or ReLU6), HS = hard-swish. */
export type PaperNonlinearity = 'RE' | 'HS';

/** Input shapes of a layer's first call (several for Add/Multiply), batch dimension as null. */
export function inputShapesOf(layer: tf.layers.Layer): Shape[] {
  const node = layer.inboundNodes[0];
  if (!node) return [];
  const shapes = node.inputShapes as tf.Shape | tf.Shape[];
  return (Array.isArray(shapes[0]) ? shapes : [shapes]) as Shape[];
}

export function inputShapeOf(layer: tf.layers.Layer): Shape {
  return inputShapesOf(layer)[0] ?? single(layer.outputShape);
}

export function outputShapeOf(layer: tf.layers.Layer): Shape {
  return single(layer.outputShape);
}

/** Channels (last dimension) of a shape. */
export const channelsOf = (shape: Shape): number => shape[shape.length - 1] as number;

export function configOf(layer: tf.layers.Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

/** A pair from a TF.js config value that may be a number or [h, w]. */
export function pairOf(value: unknown, fallback = 1): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[1] ?? value[0])];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

const ACTIVATION_CLASSES: Record<string, PaperNonlinearity> = { HardSwish: 'HS', ReLU: 'RE' };
const ACTIVATION_NAMES: Record<string, PaperNonlinearity> = { relu: 'RE', relu6: 'RE', hard_swish: 'HS', hswish: 'HS' };

/** The non-linearity a layer applies (as the paper names it), or null for none/linear/softmax. */
export function nonlinearityOf(layer: tf.layers.Layer): PaperNonlinearity | null {
  const byClass = ACTIVATION_CLASSES[layer.getClassName()];
  if (byClass) return byClass;
  const activation = configOf(layer).activation;
  return typeof activation === 'string' ? (ACTIVATION_NAMES[activation] ?? null) : null;
}

export const isConvLike = (layer: tf.layers.Layer): boolean => ['Conv2D', 'Dense'].includes(layer.getClassName());
export const isGlobalPooling = (layer: tf.layers.Layer): boolean =>
  ['GlobalAveragePooling2D', 'GlobalMaxPooling2D'].includes(layer.getClassName());

/** `layer` itself if it outputs a feature map (height, width, channels); otherwise a one-line error. */
export function requireFeatureMap(layer: tf.layers.Layer): tf.layers.Layer {
  const shape = outputShapeOf(layer);
  if (shape.length !== 4) {
    throw new Error(
      `layer ${layer.name} outputs ${formatShape(shape)}, not a feature map (height, width, channels): pick a convolutional layer`,
    );
  }
  return layer;
}
