/**
 * What is in a weights file: every layer with weights, their shapes and counts, totals, and which
 * model options it fits. Reads every format this package reads: Keras .h5, Keras 3 .keras and
 * .weights.h5, TF.js model.json, PyTorch .pth.
 */
import { basename } from 'node:path';
import type { ModelOptions } from '../architecture/options.js';
import { describeAsFlags, inferModelOptions } from './infer.js';
import { isKeras3WeightsPath, readWeightsSource, isTfjsModelPath } from './load.js';
import type { Keras3Vars } from './keras3/weights-h5.js';
import { isPthPath } from './pth/file.js';

export interface WeightsInspection {
  file: string;
  format: 'keras-h5' | 'keras3' | 'keras' | 'tfjs' | 'pth';
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

/** A PyTorch state dict: its tensors as layers (module -> tensors) and the torchvision model it is. */
async function inspectPth(path: string): Promise<WeightsInspection> {
  const [{ readPthFile }, { torchvisionModelOptions }] = await Promise.all([import('./pth/file.js'), import('./pth/model.js')]);
  const { tensors } = await readPthFile(path);
  const modules = new Map<string, { name: string; shape: number[]; params: number }[]>();
  for (const t of tensors) {
    const at = t.name.lastIndexOf('.');
    const list = modules.get(t.name.slice(0, at)) ?? [];
    list.push({ name: t.name.slice(at + 1), shape: t.shape, params: t.data.length });
    modules.set(t.name.slice(0, at), list);
  }
  const layers = [...modules].map(([name, ws]) => ({ name, weights: ws, params: ws.reduce((n, w) => n + w.params, 0) }));
  const totalParams = layers.reduce((n, l) => n + l.params, 0);
  const fits = torchvisionModelOptions({}, tensors, path);
  const { flavor: _f, ...shown } = fits;
  return {
    file: basename(path),
    format: 'pth',
    layerCount: layers.length,
    layers,
    totalParams,
    totalBytes: totalParams * 4,
    fits,
    fitsFlags: `${describeAsFlags(shown)} --padding symmetric --no-preprocessing (torchvision mean/std: what --weights x.pth builds)`,
  };
}

/** A model with a Dense head as flags plus words: `--arch small --alpha 0.35 --no-top --pooling avg + Dense head of 5 classes`. */
function fitsText(fit: { options: ModelOptions; head?: { classes: number } }): string {
  const { classes: _c, ...options } = fit.options;
  return fit.head
    ? `${describeAsFlags({ ...options, includeTop: false })} --pooling avg + Dense head of ${fit.head.classes} classes (as train's classifier)`
    : describeAsFlags(fit.options);
}

function keras3Layers(file: Keras3Vars[]): WeightsInspection['layers'] {
  return file.map((l) => {
    const ws = l.vars.map((v, i) => ({ name: String(i), shape: v.shape, params: v.data.length }));
    return { name: l.path, weights: ws, params: ws.reduce((n, w) => n + w.params, 0) };
  });
}

/** Keras 3 weights: layers by their saving_lib paths; the model is the candidate whose paths and shapes are the file's. */
async function inspectKeras3(path: string): Promise<WeightsInspection> {
  const [{ readKeras3WeightsH5 }, { readWeightsBytes }, { inferKeras3Model }] = await Promise.all([
    import('./keras3/weights-h5.js'),
    import('./h5-file.js'),
    import('./keras3/infer.js'),
  ]);
  const file = await readKeras3WeightsH5(await readWeightsBytes(path), path);
  const layers = keras3Layers(file);
  const totalParams = layers.reduce((n, l) => n + l.params, 0);
  const fit = inferKeras3Model(file);
  return {
    file: basename(path),
    format: 'keras3',
    layerCount: layers.length,
    layers,
    totalParams,
    totalBytes: totalParams * 4,
    fits: fit?.options ?? null,
    fitsFlags: fit ? fitsText(fit) : null,
  };
}

/** A .keras archive: its weights as Keras 3 paths, the model from its config.json. */
async function inspectKerasArchive(path: string): Promise<WeightsInspection> {
  const [{ readKerasArchiveFile }, { kerasArchiveSpec }] = await Promise.all([import('./keras3/file.js'), import('./keras3/archive.js')]);
  const archive = await readKerasArchiveFile(path);
  const spec = kerasArchiveSpec(archive, path);
  const layers = keras3Layers(archive.weights);
  const totalParams = layers.reduce((n, l) => n + l.params, 0);
  const version = archive.metadata.keras_version;
  return {
    file: basename(path),
    format: 'keras',
    ...(typeof version === 'string' ? { kerasVersion: version } : {}),
    layerCount: layers.length,
    layers,
    totalParams,
    totalBytes: totalParams * 4,
    fits: spec.options,
    fitsFlags: fitsText(spec),
  };
}

export async function inspectWeightsFile(path: string): Promise<WeightsInspection> {
  if (isPthPath(path)) return inspectPth(path);
  if (isKeras3WeightsPath(path)) return inspectKeras3(path);
  if (/\.keras$/i.test(path)) return inspectKerasArchive(path);
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
  const rows = r.layers.map((l) => [
    l.name,
    l.weights.map((w) => `${w.name.replace(/:\d+$/, '').split('/').pop()} [${w.shape.join(', ')}]`).join('  '),
    l.params.toLocaleString('en-US'),
  ]);
  const head = ['Layer', 'Weights', 'Params'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    `${r.file} (${r.format === 'tfjs' ? 'TF.js model.json' : r.format === 'pth' ? 'PyTorch state dict, torchvision names' : r.format === 'keras3' ? 'Keras 3 weights, layers by class path' : r.format === 'keras' ? `Keras 3 archive${r.kerasVersion ? `, keras_version ${r.kerasVersion}` : ''}` : `Keras legacy HDF5${r.kerasVersion ? `, keras ${r.kerasVersion}` : ''}`})`,
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    `Layers: ${r.layerCount} (${r.layers.length} with weights)`,
    `Total params: ${r.totalParams.toLocaleString('en-US')} (${(r.totalBytes / 1024 / 1024).toFixed(2)} MB as float32)`,
    `Fits: ${r.fitsFlags ?? 'no model this package builds (different architecture)'}`,
  ].join('\n');
}
