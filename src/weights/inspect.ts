/**
 * What is in a weights file: every layer with weights, their shapes and counts, totals, and which
 * model options it fits. Reads Keras .h5 and TF.js model.json alike.
 */
import { basename } from 'node:path';
import type { ModelOptions } from '../architecture/options.js';
import { describeAsFlags, inferModelOptions } from './infer.js';
import { readWeightsSource, isTfjsModelPath } from './load.js';

export interface WeightsInspection {
  file: string;
  format: 'keras-h5' | 'tfjs';
  kerasVersion?: string;
  /** All layers the file lists, weightless ones included. */
  layerCount: number;
  layers: { name: string; weights: { name: string; shape: number[]; params: number }[]; params: number }[];
  totalParams: number;
  /** Bytes of the values as float32. */
  totalBytes: number;
  /** Model options the file fits (input size aside), or null when no built model matches. */
  fits: ModelOptions | null;
  /** The same as CLI flags, e.g. `--arch small --no-top`. */
  fitsFlags: string | null;
}

export async function inspectWeightsFile(path: string): Promise<WeightsInspection> {
  const weights = await readWeightsSource(path);
  const layers = weights.layers.map((l) => {
    const ws = l.weights.map((w) => ({ name: w.name, shape: w.shape, params: w.data.length }));
    return { name: l.name, weights: ws, params: ws.reduce((n, w) => n + w.params, 0) };
  });
  const totalParams = layers.reduce((n, l) => n + l.params, 0);
  const fits = inferModelOptions(weights) ?? null;
  return {
    file: basename(path),
    format: isTfjsModelPath(path) ? 'tfjs' : 'keras-h5',
    ...(weights.kerasVersion ? { kerasVersion: weights.kerasVersion } : {}),
    layerCount: weights.layerNames.length,
    layers,
    totalParams,
    totalBytes: totalParams * 4,
    fits,
    fitsFlags: fits ? describeAsFlags(fits) : null,
  };
}

export function formatInspection(r: WeightsInspection): string {
  const rows = r.layers.map((l) => [l.name, l.weights.map((w) => `${w.name.replace(/:\d+$/, '').split('/').pop()} [${w.shape.join(', ')}]`).join('  '), l.params.toLocaleString('en-US')]);
  const head = ['Layer', 'Weights', 'Params'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [
    `${r.file} (${r.format === 'tfjs' ? 'TF.js model.json' : `Keras legacy HDF5${r.kerasVersion ? `, keras ${r.kerasVersion}` : ''}`})`,
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    `Layers: ${r.layerCount} (${r.layers.length} with weights)`,
    `Total params: ${r.totalParams.toLocaleString('en-US')} (${(r.totalBytes / 1024 / 1024).toFixed(2)} MB as float32)`,
    `Fits: ${r.fitsFlags ?? 'no model this package builds (different architecture)'}`,
  ].join('\n');
}
