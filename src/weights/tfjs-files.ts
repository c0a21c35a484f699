/**
 * TF.js layers-model format on the file system, in Node, without tfjs-node: `model.json`
 * (topology, weights manifest, user metadata such as the block map) plus one `<name>.weights.bin`
 * beside it, as `tfjs-node`'s `file://` handler and the Python converter write them; Netron and
 * `tf.loadLayersModel` in a browser open them. Both files are written atomically, weights first,
 * so a model.json never points at missing or partial weights.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '../runtime/tf.js';
import { registerCustomLayers } from '../architecture/layers.js';
import { writeFileAtomic } from '../io/atomic.js';
import { WeightsError } from './errors.js';
import { readWeightsBytes } from './read-bytes.js';

function weightsFileName(modelJsonPath: string): string {
  return `${basename(modelJsonPath).replace(/\.json$/i, '')}.weights.bin`;
}

/** An IOHandler that saves to `modelJsonPath` and its weights file beside it. */
export function fileSaveHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new WeightsError('binary model topologies cannot be saved as model.json');
      const weightsName = weightsFileName(modelJsonPath);
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const manifest: tf.io.WeightsManifestConfig = [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }];
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: manifest,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.signature ? { signature: artifacts.signature } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await writeFileAtomic(join(dirname(modelJsonPath), weightsName), new Uint8Array(data));
      await writeFileAtomic(modelJsonPath, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData: data }) };
    },
  };
}

/** An IOHandler that loads `modelJsonPath` and the weight files its manifest names. */
export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const text = new TextDecoder().decode(await readWeightsBytes(modelJsonPath, 'model file'));
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(text) as tf.io.ModelJSON;
      } catch {
        throw new WeightsError(`${modelJsonPath} is not valid JSON (truncated?)`);
      }
      if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new WeightsError(`${modelJsonPath} is not a TF.js model.json (needs modelTopology and weightsManifest)`);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = tf.io.getWeightSpecs(manifest);
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const path of group.paths) {
            const bytes = await readWeightsBytes(join(dirname(modelJsonPath), path));
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
          }
        }
        const data = tf.io.CompositeArrayBuffer.join(buffers);
        const needed = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPerValue(s.dtype), 0);
        if (data.byteLength !== needed) {
          throw new WeightsError(
            `weights of ${basename(modelJsonPath)} have ${data.byteLength} bytes, the manifest needs ${needed} (truncated or mismatched .bin file)`,
          );
        }
        return [specs, data];
      });
    },
  };
}

function bytesPerValue(dtype: string): number {
  return dtype === 'bool' || dtype === 'uint8' ? 1 : dtype === 'float16' || dtype === 'int16' ? 2 : 4;
}

/** Save a model as TF.js `model.json` + weights (atomic). */
export async function saveTfjsModel(model: tf.LayersModel, modelJsonPath: string): Promise<void> {
  await model.save(fileSaveHandler(modelJsonPath));
}

/** Load a TF.js layers model saved by `saveTfjsModel` (or any TF.js layers-model on disk). */
export async function loadTfjsModel(modelJsonPath: string): Promise<tf.LayersModel> {
  registerCustomLayers();
  try {
    return await tf.loadLayersModel(fileLoadHandler(modelJsonPath));
  } catch (error) {
    if (error instanceof WeightsError) throw error;
    throw new WeightsError(
      `cannot load ${basename(modelJsonPath)} as a TF.js layers model: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
}
