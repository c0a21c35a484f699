/**
 * Named weight arrays (from a Keras .h5 or elsewhere) <-> a tf.LayersModel, the way Keras loads
 * legacy weights:
 * - by order (default, `load_weights(path)`): the model's layers that have weights, in order,
 *   paired with the file's; counts and every shape must agree. Names are not needed to load but
 *   are cross-checked (tf.keras 2 `expanded_conv_3/depthwise/BatchNorm` and Keras 3
 *   `expanded_conv_3_depthwise_bn` are the same layer) and reported when they differ;
 * - by name (`load_weights(path, by_name=True, skip_mismatch=True)`): layers matched by name,
 *   for transfer learning (a no-top file into a model with a new head); layers whose shapes
 *   differ are skipped and reported.
 * Works in the browser too (TF.js only).
 */
import * as tf from '../runtime/tf.js';
import { readMetadata } from '../architecture/blocks.js';
import { parseModelCard, readModelCard, recordWeights, type ModelCard } from '../architecture/card.js';
import { WeightsError } from './errors.js';
import type { KerasWeights, LayerWeights, WeightArray } from './keras-h5.js';

export interface LoadOptions {
  /** Match layers by name instead of by order (transfer learning). Default false. */
  byName?: boolean;
  /** With byName: skip layers whose weight shapes differ instead of failing. Default true with byName. */
  skipMismatch?: boolean;
  /** Names the source in messages, e.g. the file name. */
  label?: string;
}

export interface LoadReport {
  mode: 'order' | 'byName';
  /** Model layers that received weights, with the file layer each came from. */
  loaded: { layer: string; from: string }[];
  /** Order mode: pairs whose names are not the same layer under either naming style. */
  nameMismatches: { layer: string; from: string }[];
  /** byName mode: model layers left as they were because the file's shapes differ. */
  skipped: { layer: string; reason: string }[];
  /** byName mode: model layers with weights that the file has no layer for (e.g. a new head). */
  missing: string[];
  /** byName mode: file layers no model layer matched. */
  unused: string[];
  /** Number of values loaded. */
  values: number;
}

/**
 * One spelling for a layer under both naming styles: tf.keras 2 (`Conv_1/BatchNorm`,
 * `expanded_conv_3/squeeze_excite/Conv`, `Logits`) and Keras 3 (`conv_1_bn`,
 * `expanded_conv_3_squeeze_excite_conv`, `logits`).
 */
export function canonicalLayerName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\/batchnorm$/, '_bn')
    .replace(/[/]/g, '_');
}

/** The role of a weight (`kernel`, `bias`, `gamma`, `depthwise_kernel`, ...), from either naming style. */
export function weightRole(name: string): string {
  return name.replace(/:\d+$/, '').split('/').pop() ?? name;
}

const shapeText = (shape: readonly (number | null)[]): string => `[${shape.join(', ')}]`;

/** Model layers that own weights, in model order (what Keras pairs with the file's layers). */
function weightedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.weights.length > 0);
}

function sameShape(a: readonly (number | null)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Why the file layer cannot go into the model layer, or null when it fits. */
function misfit(layer: tf.layers.Layer, source: LayerWeights): string | null {
  const expected = layer.weights;
  if (expected.length !== source.weights.length) {
    return `layer "${layer.name}" has ${expected.length} weights, file layer "${source.name}" has ${source.weights.length}`;
  }
  for (let i = 0; i < expected.length; i++) {
    if (!sameShape(expected[i].shape, source.weights[i].shape)) {
      return `layer "${layer.name}" expects ${weightRole(expected[i].originalName)} ${shapeText(expected[i].shape)}, file layer "${source.name}" has ${shapeText(source.weights[i].shape)}`;
    }
  }
  return null;
}

function assign(layer: tf.layers.Layer, source: LayerWeights): number {
  const tensors = source.weights.map((w) => tf.tensor(w.data, w.shape, 'float32'));
  layer.setWeights(tensors);
  tf.dispose(tensors);
  return source.weights.reduce((n, w) => n + w.data.length, 0);
}

/** Load `weights` into `model` (in place) and report what went where. Throws WeightsError on a misfit. */
export function applyKerasWeights(model: tf.LayersModel, weights: KerasWeights, options: LoadOptions = {}): LoadReport {
  const label = options.label ?? 'weights file';
  const layers = weightedLayers(model);
  const report: LoadReport = {
    mode: options.byName ? 'byName' : 'order',
    loaded: [],
    nameMismatches: [],
    skipped: [],
    missing: [],
    unused: [],
    values: 0,
  };

  if (!options.byName) {
    if (layers.length !== weights.layers.length) {
      throw new WeightsError(
        `${label} has ${weights.layers.length} layers with weights but the model has ${layers.length}: it was saved from a different architecture (check --arch, --alpha, --minimalistic, --no-top)`,
      );
    }
    // Check everything before touching the model, so a misfit leaves it as it was.
    layers.forEach((layer, i) => {
      const why = misfit(layer, weights.layers[i]);
      if (why) throw new WeightsError(`${label} does not fit the model: ${why} (check --arch, --alpha, --minimalistic, --classes)`);
    });
    layers.forEach((layer, i) => {
      const source = weights.layers[i];
      const rolesDiffer = layer.weights.some((w, j) => weightRole(w.originalName) !== weightRole(source.weights[j].name));
      if (canonicalLayerName(layer.name) !== canonicalLayerName(source.name) || rolesDiffer) {
        report.nameMismatches.push({ layer: layer.name, from: source.name });
      }
      report.values += assign(layer, source);
      report.loaded.push({ layer: layer.name, from: source.name });
    });
    if (weights.modelCard) takeCard(model, weights.modelCard, label);
    return report;
  }

  const skipMismatch = options.skipMismatch ?? true;
  const byName = new Map(weights.layers.map((l) => [canonicalLayerName(l.name), l]));
  const used = new Set<string>();
  const plan: [tf.layers.Layer, LayerWeights][] = [];
  for (const layer of layers) {
    const source = byName.get(canonicalLayerName(layer.name));
    if (!source) {
      report.missing.push(layer.name);
      continue;
    }
    used.add(source.name);
    const why = misfit(layer, source);
    if (why) {
      if (!skipMismatch) throw new WeightsError(`${label} does not fit the model: ${why}`);
      report.skipped.push({ layer: layer.name, reason: why });
      continue;
    }
    plan.push([layer, source]);
  }
  if (plan.length === 0) throw new WeightsError(`${label} has no layer whose name and shapes match the model`);
  for (const [layer, source] of plan) {
    report.values += assign(layer, source);
    report.loaded.push({ layer: layer.name, from: source.name });
  }
  report.unused = weights.layers.filter((l) => !used.has(l.name)).map((l) => l.name);
  return report;
}

/**
 * The model's weights as a legacy Keras file would hold them: every layer name, and for the
 * layers with weights `<layer>/<role>:0` names (tf.keras 2's spelling of variable names).
 */
export function kerasWeightsFromModel(model: tf.LayersModel): KerasWeights {
  const layers: LayerWeights[] = weightedLayers(model).map((layer) => {
    const values = layer.getWeights();
    const weights = layer.weights.map(
      (w, i): WeightArray => ({
        name: `${layer.name}/${weightRole(w.originalName)}:0`,
        shape: [...w.shape] as number[],
        data: values[i].dataSync() as Float32Array,
      }),
    );
    return { name: layer.name, weights };
  });
  const options = readMetadata(model)?.options;
  const card = readModelCard(model);
  return {
    layerNames: model.layers.map((l) => l.name),
    layers,
    backend: 'tensorflow',
    kerasVersion: '2.15.0',
    ...(options ? { modelOptions: JSON.stringify(options) } : {}),
    ...(card ? { modelCard: JSON.stringify(card) } : {}),
  };
}

/**
 * The whole weights of a model saved here bring its card (contract, crop, labels, provenance); the
 * model keeps its own input size. A damaged card is a one-line error.
 */
function takeCard(model: tf.LayersModel, json: string, label: string): void {
  let card: ModelCard;
  try {
    card = parseModelCard(JSON.parse(json), `the model card in ${label}`);
  } catch (error) {
    throw new WeightsError(error instanceof SyntaxError ? `the model card in ${label} is not valid JSON` : (error as Error).message);
  }
  const own = readModelCard(model);
  if (!own) return;
  recordWeights(model, card.weights ?? { source: 'file' }, { input: { ...card.input, size: own.input.size }, labels: card.labels });
}

/** One line per problem worth telling a user about; empty when the load was clean. */
export function describeLoadReport(report: LoadReport): string[] {
  const lines: string[] = [];
  if (report.nameMismatches.length) {
    const first = report.nameMismatches
      .slice(0, 3)
      .map((m) => `${m.from} -> ${m.layer}`)
      .join(', ');
    lines.push(
      `loaded by order, but ${report.nameMismatches.length} layer names differ (${first}${report.nameMismatches.length > 3 ? ', ...' : ''})`,
    );
  }
  if (report.skipped.length)
    lines.push(`skipped ${report.skipped.length} layers whose shapes differ: ${report.skipped.map((s) => s.layer).join(', ')}`);
  if (report.mode === 'byName' && report.missing.length)
    lines.push(`kept initial weights of ${report.missing.length} layers not in the file: ${report.missing.join(', ')}`);
  return lines;
}
