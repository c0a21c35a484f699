/**
 * Checkpoints: one file, `checkpoint.bin` in the output folder, rewritten atomically (temp file +
 * rename) after every epoch, so an interrupted run always leaves the last complete epoch. It holds
 * the run's settings, the history so far, the weights of every layer training changes (by layer
 * name) and the optimizer's state (Adam moments and step), so `--resume` continues exactly.
 *
 * Layout: "MV3CKPT1", uint32 little-endian header length, the JSON header, then float32 data as
 * TF.js `encodeWeights` lays it out (the header carries the manifest).
 */
import { MAX_BYTES, readRegularFile } from '../io/read-file.js';
import * as tf from '../runtime/tf.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { EpochRecord } from './loop.js';

/** What `optimizer.getWeights()` returns (TF.js does not export the type). */
export type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

const MAGIC = 'MV3CKPT1';
export const CHECKPOINT_FILE = 'checkpoint.bin';

export interface CheckpointHeader<Config> {
  version: 1;
  config: Config;
  classes: string[];
  /** Identifies the training data (file names and sizes); resume refuses other data. */
  dataFingerprint: string;
  /** The stage in progress and the epochs of it that are done. */
  stage: 1 | 2;
  epochsDone: number;
  history: EpochRecord[];
  /** Steps the optimiser took (whole-network training keeps its own optimiser state). */
  optimizerSteps?: number;
}

export interface Checkpoint<Config> {
  header: CheckpointHeader<Config>;
  /** Layer name -> its weights in `layer.getWeights()` order. */
  layers: Map<string, tf.Tensor[]>;
  /** Optimizer weights in `optimizer.getWeights()` order. */
  optimizer: NamedTensor[];
}

interface StoredHeader<Config> extends CheckpointHeader<Config> {
  specs: tf.io.WeightsManifestEntry[];
  layerWeights: { layer: string; count: number }[];
  optimizerWeights: string[];
}

/** `optimizer`: a TF.js optimiser, or the named state tensors of our own (src/train/optim). */
export async function writeCheckpoint<Config>(
  path: string,
  header: CheckpointHeader<Config>,
  layers: tf.layers.Layer[],
  optimizer: tf.Optimizer | NamedTensor[],
): Promise<void> {
  const named: NamedTensor[] = [];
  const layerWeights = layers.map((layer) => {
    const weights = layer.getWeights();
    weights.forEach((tensor, i) => named.push({ name: `layer/${layer.name}/${i}`, tensor }));
    return { layer: layer.name, count: weights.length };
  });
  const optimizerState = Array.isArray(optimizer) ? optimizer : await optimizer.getWeights();
  optimizerState.forEach((w, i) => named.push({ name: `optimizer/${i}`, tensor: w.tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const stored: StoredHeader<Config> = { ...header, specs, layerWeights, optimizerWeights: optimizerState.map((w) => w.name) };
  const json = Buffer.from(JSON.stringify(stored), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const bytes = Buffer.concat([Buffer.from(MAGIC, 'ascii'), length, json, Buffer.from(data as ArrayBuffer)]);
  await writeFileAtomic(path, bytes);
}

/** The stored header and where the weight data starts. */
function parseHeader<Config>(path: string, bytes: Buffer): { stored: StoredHeader<Config>; dataStart: number } {
  if (bytes.length < 12 || bytes.subarray(0, 8).toString('ascii') !== MAGIC)
    throw new Error(`${path} is not a mobilenetv3 training checkpoint`);
  const length = bytes.readUInt32LE(8);
  if (12 + length > bytes.length) throw new Error(`${path} is truncated`);
  return { stored: JSON.parse(bytes.subarray(12, 12 + length).toString('utf8')) as StoredHeader<Config>, dataStart: 12 + length };
}

function withoutLayout<Config>(stored: StoredHeader<Config>): CheckpointHeader<Config> {
  const { specs: _specs, layerWeights: _layers, optimizerWeights: _opt, ...header } = stored;
  return header;
}

const readCheckpointBytes = async (path: string): Promise<Buffer<ArrayBuffer>> => {
  const bytes = await readRegularFile(path, { maxBytes: MAX_BYTES.checkpoint, what: 'checkpoint' });
  return Buffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
};

/**
 * Only the header (settings, classes, history), for the output-folder check: no tensors are made
 * (readCheckpoint's would be left undisposed there).
 */
export async function readCheckpointHeader<Config>(path: string): Promise<CheckpointHeader<Config>> {
  return withoutLayout(parseHeader<Config>(path, await readCheckpointBytes(path)).stored);
}

export async function readCheckpoint<Config>(path: string): Promise<Checkpoint<Config>> {
  const bytes = await readCheckpointBytes(path);
  const { stored, dataStart } = parseHeader<Config>(path, bytes);
  const data = bytes.subarray(dataStart);
  const tensors = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), stored.specs);
  const layers = new Map<string, tf.Tensor[]>();
  for (const { layer, count } of stored.layerWeights) {
    layers.set(
      layer,
      Array.from({ length: count }, (_, i) => tensors[`layer/${layer}/${i}`]),
    );
  }
  const optimizer = stored.optimizerWeights.map((name, i) => ({ name, tensor: tensors[`optimizer/${i}`] }));
  return { header: withoutLayout(stored), layers, optimizer };
}

/** Put a checkpoint's layer weights back into the model. */
export function restoreLayers(model: tf.LayersModel, layers: Map<string, tf.Tensor[]>): void {
  for (const [name, weights] of layers) model.getLayer(name).setWeights(weights);
}
