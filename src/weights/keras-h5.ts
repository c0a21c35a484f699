/**
 * Keras legacy HDF5 weights (what tf.keras 2.x `model.save_weights('x.h5')` writes) <-> named
 * weight arrays, in memory. No Node imports: it takes and returns bytes and uses h5wasm's
 * in-memory file system, so the browser uses the same code (the ESM build of h5wasm embeds its
 * wasm and runs in Node as well).
 *
 * Layout: root attrs `layer_names` (every layer, weightless ones too), `backend`, `keras_version`;
 * a group per layer with attr `weight_names`; a weight called `Conv/kernel:0` of layer `Conv` is
 * the dataset `/Conv/Conv/kernel:0` ('/' nests groups). Readers go through the attrs, as Keras
 * does, never through the group listing. Attributes over HDF5's 64 KiB object-header limit are
 * split by Keras into `name0`, `name1`, ...; both are read.
 */
import * as h5wasm from 'h5wasm';
import { WeightsError } from './errors.js';
import { readH5, writeH5 } from './h5-scratch.js';

export interface WeightArray {
  /** As stored, e.g. `Conv/BatchNorm/gamma:0`. */
  readonly name: string;
  readonly shape: number[];
  readonly data: Float32Array;
}

export interface LayerWeights {
  readonly name: string;
  readonly weights: WeightArray[];
}

/** The content of a weights file: layers with weights in model order. */
export interface KerasWeights {
  /** Every layer name in model order, weightless ones too (root attr `layer_names`). */
  readonly layerNames: string[];
  /** The layers that have weights, in model order. */
  readonly layers: LayerWeights[];
  readonly backend?: string;
  readonly kerasVersion?: string;
  /**
   * Options of the model the weights were saved from (JSON), in root attr `mobilenetv3_options`
   * when this package wrote the file; Keras ignores the attribute.
   */
  readonly modelOptions?: string;
  /** The model card (JSON) of the model saved, in root attr `mobilenetv3_card`; Keras ignores it. */
  readonly modelCard?: string;
}

const OPTIONS_ATTR = 'mobilenetv3_options';
const CARD_ATTR = 'mobilenetv3_card';

function asStrings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  // An empty list is stored by Keras as an empty float64 array.
  if (ArrayBuffer.isView(value) && !(value instanceof Uint8Array)) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)).replace(/\0+$/, ''));
}

/** A string-list attribute, joined from Keras's chunks `name0`, `name1`, ... when it was split. */
function readStringList(node: h5wasm.Group, name: string): string[] | undefined {
  const attrs = node.attrs;
  if (name in attrs) return asStrings(attrs[name].value);
  if (!(`${name}0` in attrs)) return undefined;
  const out: string[] = [];
  for (let i = 0; `${name}${i}` in attrs; i++) out.push(...asStrings(attrs[`${name}${i}`].value));
  return out;
}

function toFloat32(value: unknown, where: string): Float32Array {
  if (value instanceof Float32Array) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Float32Array.from(value as unknown as ArrayLike<number>, Number);
  }
  if (typeof value === 'number') return Float32Array.of(value);
  throw new WeightsError(`weight ${where} is not numeric`);
}

/**
 * Read a Keras legacy .h5 weights file (or a full-model .h5, whose weights sit in `model_weights`).
 * `label` names the file in error messages.
 */
export async function readKerasH5(bytes: Uint8Array | ArrayBuffer, label = 'weights file'): Promise<KerasWeights> {
  return readH5(bytes, label, (file) => {
    let root: h5wasm.Group = file;
    if (readStringList(root, 'layer_names') === undefined && root.keys().includes('model_weights')) {
      root = root.get('model_weights') as h5wasm.Group;
    }
    const layerNames = readStringList(root, 'layer_names');
    if (!layerNames) {
      const keys = root.keys();
      if (keys.includes('layers') || keys.includes('vars')) {
        throw new WeightsError(
          `${label} is a Keras 3 .weights.h5 file, not the legacy layout: name it x.weights.h5 (read in Keras 3's layout by --weights and weights convert)`,
        );
      }
      throw new WeightsError(`${label} is HDF5 but not Keras weights (no layer_names attribute)`);
    }
    const layers: LayerWeights[] = [];
    for (const layerName of layerNames) {
      const group = root.get(layerName);
      if (!(group instanceof h5wasm.Group))
        throw new WeightsError(`${label} lists layer "${layerName}" but has no group for it (truncated or corrupt?)`);
      const weightNames = readStringList(group, 'weight_names') ?? [];
      if (weightNames.length === 0) continue;
      const weights = weightNames.map((weightName): WeightArray => {
        const dataset = group.get(weightName);
        if (!(dataset instanceof h5wasm.Dataset)) {
          throw new WeightsError(
            `${label}: layer "${layerName}" lists weight "${weightName}" but has no dataset for it (truncated or corrupt?)`,
          );
        }
        const shape = dataset.shape ?? [];
        const data = toFloat32(dataset.value, `"${weightName}" of ${label}`);
        if (data.length !== shape.reduce((a, b) => a * b, 1))
          throw new WeightsError(`${label}: weight "${weightName}" is truncated or corrupt`);
        return { name: weightName, shape, data };
      });
      layers.push({ name: layerName, weights });
    }
    const backend = readStringList(root, 'backend')?.[0];
    const kerasVersion = readStringList(root, 'keras_version')?.[0];
    const modelOptions = readStringList(root, OPTIONS_ATTR)?.[0];
    const modelCard = readStringList(root, CARD_ATTR)?.[0];
    return {
      layerNames,
      layers,
      ...(backend ? { backend } : {}),
      ...(kerasVersion ? { kerasVersion } : {}),
      ...(modelOptions ? { modelOptions } : {}),
      ...(modelCard ? { modelCard } : {}),
    };
  });
}

/** HDF5 caps an object header (all attributes of a group) at 64 KiB; Keras splits longer lists. */
const HEADER_LIMIT = 64512;

/** A list of names as fixed-length ASCII strings (h5py's `|S<n>`, which Keras reads), chunked like Keras. */
function writeStringList(node: h5wasm.Group, name: string, values: string[]): void {
  const width = Math.max(1, ...values.map((v) => new TextEncoder().encode(v).length)) + 1;
  const dtype = `A${width}`;
  const perChunk = Math.max(1, Math.floor(HEADER_LIMIT / width));
  if (values.length <= perChunk) {
    node.create_attribute(name, values, [values.length], dtype);
    return;
  }
  for (let i = 0, chunk = 0; i < values.length; i += perChunk, chunk++) {
    const part = values.slice(i, i + perChunk);
    node.create_attribute(`${name}${chunk}`, part, [part.length], dtype);
  }
}

/** A scalar byte string, as h5py stores `f.attrs['backend'] = b'tensorflow'`. */
function writeScalarString(node: h5wasm.Group, name: string, value: string): void {
  node.create_attribute(name, value, [], `A${Math.max(1, new TextEncoder().encode(value).length) + 1}`);
}

function ensureGroup(parent: h5wasm.Group, path: string): h5wasm.Group {
  let node = parent;
  for (const part of path.split('/').filter(Boolean)) {
    const existing = node.keys().includes(part) ? node.get(part) : null;
    node = existing instanceof h5wasm.Group ? existing : node.create_group(part);
  }
  return node;
}

/** Write weights in the legacy layout (root attrs, group per layer, nested datasets), returning the file's bytes. */
export async function writeKerasH5(weights: KerasWeights): Promise<Uint8Array> {
  return writeH5((file) => {
    writeStringList(file, 'layer_names', weights.layerNames);
    writeScalarString(file, 'backend', weights.backend ?? 'tensorflow');
    writeScalarString(file, 'keras_version', weights.kerasVersion ?? '2.15.0');
    if (weights.modelOptions) writeScalarString(file, OPTIONS_ATTR, weights.modelOptions);
    if (weights.modelCard) writeScalarString(file, CARD_ATTR, weights.modelCard);
    const byName = new Map(weights.layers.map((l) => [l.name, l]));
    for (const layerName of weights.layerNames) {
      const group = ensureGroup(file, layerName);
      const layer = byName.get(layerName);
      const names = layer?.weights.map((w) => w.name) ?? [];
      if (names.length) writeStringList(group, 'weight_names', names);
      else group.create_attribute('weight_names', new Float32Array(0), [0], '<f4'); // Keras writes an empty array
      for (const w of layer?.weights ?? []) {
        const slash = w.name.lastIndexOf('/');
        const parent = slash >= 0 ? ensureGroup(group, w.name.slice(0, slash)) : group;
        parent.create_dataset({ name: w.name.slice(slash + 1), data: w.data, shape: w.shape, dtype: '<f4' });
      }
    }
  });
}
