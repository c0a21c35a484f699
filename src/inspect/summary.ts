/**
 * A view of a built model: per-layer output shape, parameters, multiply-accumulates and inbound
 * connections, plus totals. Everything is read off the tf.LayersModel itself.
 */
import type * as tf from '../runtime/tf.js';

export interface LayerSummary {
  name: string;
  type: string;
  /** Output shape with the batch dimension as null, e.g. [null, 112, 112, 16]. */
  outputShape: (number | null)[];
  params: number;
  trainableParams: number;
  macs: number;
  /** Names of the layers feeding this one. */
  inbound: string[];
}

export interface ModelSummary {
  name: string;
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  macs: number;
}

export type Shape = (number | null)[];

/** The shape of a single-tensor layer (TF.js gives a list for several inputs/outputs: the first). */
export function single(shape: tf.Shape | tf.Shape[]): Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
}

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/**
 * Multiply-accumulates of one forward pass of one image:
 * conv H_out·W_out·C_out·(C_in/groups)·k_h·k_w, depthwise with groups = C_in, dense in·out.
 */
export function layerMacs(layer: tf.layers.Layer): number {
  const config = layer.getConfig() as Record<string, unknown>;
  const out = single(layer.outputShape);
  const node = layer.inboundNodes[0];
  if (!node) return 0;
  const input = single(node.inputShapes);
  const inChannels = input[input.length - 1] as number;
  const outSpatial = product(out.slice(1, -1) as number[]);
  const outChannels = out[out.length - 1] as number;
  const kernel = config.kernelSize as number[] | number | undefined;
  const k = Array.isArray(kernel) ? product(kernel) : (kernel ?? 1) ** 2;
  switch (layer.getClassName()) {
    case 'Conv2D':
      return outSpatial * outChannels * inChannels * k;
    case 'DepthwiseConv2D':
      return outSpatial * outChannels * k;
    case 'Dense':
      return product(out.slice(1, -1) as number[]) * inChannels * outChannels;
    default:
      return 0;
  }
}

function countWeights(weights: tf.LayerVariable[]): number {
  return weights.reduce((n, w) => n + product(w.shape as number[]), 0);
}

export function summarize(model: tf.LayersModel): ModelSummary {
  const layers = model.layers.map((layer): LayerSummary => {
    const node = layer.inboundNodes[0];
    return {
      name: layer.name,
      type: layer.getClassName(),
      outputShape: single(layer.outputShape),
      params: layer.countParams(),
      trainableParams: countWeights(layer.trainableWeights),
      macs: layerMacs(layer),
      inbound: node ? node.inboundLayers.map((l) => l.name) : [],
    };
  });
  const totalParams = layers.reduce((n, l) => n + l.params, 0);
  const trainableParams = layers.reduce((n, l) => n + l.trainableParams, 0);
  return {
    name: model.name,
    layers,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    macs: layers.reduce((n, l) => n + l.macs, 0),
  };
}
