/**
 * Keras 3 `.keras` archives (keras/src/saving/saving_lib.py `save_model` / `load_model`): a zip of
 * `metadata.json` (`keras_version`, `date_saved`), `config.json` (the serialized model) and
 * `model.weights.h5` (the `.weights.h5` layout, see weights-h5.ts), written stored as Python's
 * zipfile does. Reading builds the MobileNetV3 the config describes (config-read.ts) and loads
 * the weights by their saving_lib paths; writing serializes any of our models (config-write.ts).
 * Our own archives also carry this package's options and labels in `metadata.json` (Keras reads
 * only config.json and the weights), so a blog-flavour or torchvision-padded model comes back as
 * it was. Bytes in, bytes out (the zip code uses node:zlib, so this is not in the browser entry).
 */
import type * as tf from '../../runtime/tf.js';
import { readMetadata } from '../../architecture/blocks.js';
import { buildModel } from '../../architecture/builder.js';
import type { ModelOptions } from '../../architecture/options.js';
import { attachClassifier, readLabels } from '../../train/classifier.js';
import { WeightsError } from '../errors.js';
import { readZip, writeZip } from '../zip.js';
import { kerasModelConfig } from './config-write.js';
import { readKerasModelConfig, type KerasHead, type KerasModelSpec } from './config-read.js';
import { applyKeras3Weights, readKeras3WeightsH5, writeKeras3WeightsH5, type Keras3Vars } from './weights-h5.js';

/** The Keras version whose layout we write: `Activation('hard_swish')` needs Keras 3.3 or later. */
export const KERAS_LAYOUT_VERSION = '3.3.0';
const OURS = 'mobilenetv3';

/** What this package adds to `metadata.json`. */
interface OurMetadata {
  options: ModelOptions;
  head?: KerasHead;
  labels?: string[];
}

export interface KerasArchive {
  config: unknown;
  metadata: Record<string, unknown>;
  weights: Keras3Vars[];
}

function parseJson(bytes: Uint8Array, what: string, source: string): Record<string, unknown> {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new WeightsError(`${source}: ${what} is not a JSON object (damaged archive?)`);
}

/** The three parts of a `.keras` archive. */
export async function readKerasArchive(bytes: Uint8Array, source = 'the archive'): Promise<KerasArchive> {
  const zip = readZip(bytes, source);
  for (const name of ['config.json', 'model.weights.h5']) {
    if (!zip.entries.has(name)) {
      const npz = name === 'model.weights.h5' && zip.entries.has('model.weights.npz');
      throw new WeightsError(
        `${source} is not a Keras 3 .keras archive (${npz ? 'its weights are model.weights.npz; save with the default h5 weights format' : `no ${name}`})`,
      );
    }
  }
  const metadata = zip.entries.has('metadata.json') ? parseJson(zip.read('metadata.json'), 'metadata.json', source) : {};
  return {
    config: parseJson(zip.read('config.json'), 'config.json', source),
    metadata,
    weights: await readKeras3WeightsH5(zip.read('model.weights.h5'), `${source} (model.weights.h5)`),
  };
}

const ALPHAS = [1.0, 0.75, 0.5, 0.35, 1.25, 1.5, 2.0, 0.25, 0.6, 0.9, 1.1];

/**
 * The alpha whose widths are the file's: built candidates compared layer by layer by name; the
 * paddings of the one found (at the file's input size) must be the file's too.
 */
function alphaOf(spec: KerasModelSpec, source: string): number {
  const { arch, minimalistic, padding, inputShape } = spec.options;
  for (const alpha of ALPHAS) {
    const model = buildModel({
      arch,
      minimalistic,
      padding,
      alpha,
      includeTop: false,
      includePreprocessing: false,
      inputShape: [32, 32, 3],
    });
    const ours = new Map(
      model.layers
        .filter((l) => l.getClassName() === 'Conv2D')
        .map((l) => [l.name, Number((l.getConfig() as { filters: number }).filters)]),
    );
    model.dispose();
    if (ours.size !== spec.widths.size || ![...spec.widths].every(([name, filters]) => ours.get(name) === filters)) continue;
    const sized = buildModel({ arch, minimalistic, padding, alpha, includeTop: false, includePreprocessing: false, inputShape });
    const pads = new Map(
      sized.layers
        .filter((l) => l.getClassName() === 'ZeroPadding2D')
        .map((l) => [l.name, JSON.stringify((l.getConfig() as { padding: unknown }).padding)]),
    );
    sized.dispose();
    const differs = [...spec.pads].find(([name, pad]) => pads.get(name) !== pad);
    if (differs || pads.size !== spec.pads.size) {
      throw new WeightsError(
        `${source}: ${differs ? `${differs[0]} pads ${differs[1]}` : `${spec.pads.size} padding layers`}, not as this package builds a MobileNetV3 with padding '${padding}'`,
      );
    }
    return alpha;
  }
  throw new WeightsError(
    `${source}: a MobileNetV3${arch === 'large' ? 'Large' : 'Small'} whose widths match no alpha in ${ALPHAS.join(', ')}`,
  );
}

/** Our options and head for an archive: this package's own record when it wrote the file, else from the config. */
export function kerasArchiveSpec(archive: KerasArchive, source = 'the archive'): OurMetadata & { nested: boolean } {
  // Our own record says exactly what we wrote (flat, any flavour, even what no Keras config tells).
  const ours = archive.metadata[OURS] as OurMetadata | undefined;
  if (ours?.options) return { ...ours, nested: false };
  const spec = readKerasModelConfig(archive.config, source);
  return { options: { ...spec.options, alpha: alphaOf(spec, source) }, head: spec.head, nested: spec.nested };
}

/** A nested base's weights (`layers/functional/layers/conv2d`) at the paths of our flat model (`layers/conv2d`). */
function unnest(weights: Keras3Vars[]): Keras3Vars[] {
  return weights.map((v) => ({ ...v, path: v.path.replace(/^layers\/[^/]+\/(layers\/)/, '$1') }));
}

export interface KerasArchiveModel {
  model: tf.LayersModel;
  options: ModelOptions;
  /** Class count of the model's output (the head's, or Keras's top). */
  classes?: number;
  labels?: string[];
}

/** Build the model an archive holds (`overrides`: e.g. another input size) and load its weights. */
export function buildModelFromKerasArchive(archive: KerasArchive, overrides: ModelOptions = {}, source = 'the archive'): KerasArchiveModel {
  const { options: fileOptions, head, labels, nested } = kerasArchiveSpec(archive, source);
  const options: ModelOptions = { ...fileOptions, ...overrides };
  let model = buildModel(head ? { ...options, includeTop: false, pooling: 'avg' } : options);
  try {
    if (head) {
      const names = labels?.length === head.classes ? labels : Array.from({ length: head.classes }, (_, i) => String(i));
      const backbone = model;
      // Without names in the file, the classes are called by their index.
      model = attachClassifier(backbone, { classes: names, dropout: head.dropout });
    }
    applyKeras3Weights(model, nested ? unnest(archive.weights) : archive.weights, source);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const classes = head ? head.classes : options.includeTop === false ? undefined : (options.classes ?? 1000);
  return { model, options, ...(classes !== undefined ? { classes } : {}), ...(labels ? { labels } : {}) };
}

export interface SaveKerasOptions {
  /** Class names, kept in metadata.json (default: the model's own labels, if any). */
  labels?: string[];
}

/** Any of our models as the bytes of a `.keras` archive. */
export async function writeKerasArchive(model: tf.LayersModel, options: SaveKerasOptions = {}): Promise<Uint8Array> {
  const meta = readMetadata(model);
  const labels = options.labels ?? readLabels(model);
  // train's classifier (a Dense head on a backbone without top), not Keras's own top.
  const classifier = meta?.options.includeTop === false ? meta.blocks.find((b) => b.kind === 'classifier') : undefined;
  const ours: OurMetadata | undefined = meta && {
    options: classifier ? { ...meta.options, classes: undefined, includeTop: false, pooling: 'avg' } : meta.options,
    ...(classifier ? { head: { classes: classifier.out ?? 0, dropout: meta.options.dropoutRate ?? 0, softmax: true } } : {}),
    ...(labels ? { labels } : {}),
  };
  const metadata = {
    keras_version: KERAS_LAYOUT_VERSION,
    date_saved: new Date().toISOString().replace(/T(\d\d:\d\d:\d\d).*/, '@$1'),
    ...(ours ? { [OURS]: JSON.parse(JSON.stringify(ours)) as object } : {}),
  };
  const encoder = new TextEncoder();
  return writeZip([
    { name: 'metadata.json', data: encoder.encode(JSON.stringify(metadata)) },
    { name: 'config.json', data: encoder.encode(JSON.stringify(kerasModelConfig(model))) },
    { name: 'model.weights.h5', data: await writeKeras3WeightsH5(model) },
  ]);
}
