/**
 * Image classification as an API: `const c = await createClassifier({ weights: 'x.h5' });
 * await c.classify('cat.jpg')`. Builds the model (or opens an exported .onnx), runs it on the
 * chosen engine (ONNX Runtime by default in Node) and returns the top classes with probabilities.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { resolveOptions, type ModelOptions } from '../architecture/options.js';
import { describeSource, readImage, stackImages, type ImageSource, type ImageTensor } from '../images/read.js';
import type { Engine, EngineName } from '../runtime/engine.js';
import { WeightsError } from '../weights/errors.js';
import { dropCached, onnxCachePath, readCached, readInputFile, writeCached } from './onnx-cache.js';
import { IMAGENET_CLASSES } from './imagenet-classes.js';
import { readLabelsFile } from './labels.js';
import { topK, type Prediction } from './top-k.js';

export interface ClassifierOptions extends ModelOptions {
  /** Keras .h5 weights (path or bytes) for the model built from the model options. */
  weights?: string | Uint8Array;
  /**
   * The model card's input contract: model input = pixel (0..255) * scale + offset per channel
   * (e.g. torchvision's mean/std for weights from a .pth). Default: what the model options imply.
   */
  input?: { readonly scale: readonly number[]; readonly offset: readonly number[] };
  /**
   * An ONNX model written by `mobilenetv3 export --format onnx` (path or bytes), or the output
   * folder of `mobilenetv3 train` (its model.onnx and labels.json), instead of building one.
   */
  model?: string | Uint8Array;
  /** Default `onnx` (ONNX Runtime); `tfjs` runs TF.js (wasm). */
  engine?: EngineName;
  /** ONNX Runtime threads. */
  threads?: number;
  /** How many classes to report per image (default 5). */
  top?: number;
  /** Centre crop fraction before resizing (default 0.875, as Keras/TF and torchvision evaluate); null: whole image. */
  crop?: number | null;
  /** Class names; default the ImageNet names for 1000 classes (or those written into an .onnx). */
  labels?: readonly string[];
  /**
   * ONNX engine with weights: reuse the ONNX export of the same weights and options from the
   * cache folder (MOBILENETV3_CACHE, else ~/.cache/mobilenetv3). Default true.
   */
  cache?: boolean;
}

export interface Classification {
  /** File path, or `<buffer N>` for bytes. */
  source: string;
  predictions: Prediction[];
}

export interface ClassificationFailure {
  source: string;
  error: string;
}

export interface Classifier {
  readonly engine: Engine;
  readonly labels: readonly string[];
  classify(image: ImageSource): Promise<Classification>;
  /** Classify many images in batches; unreadable images come back as failures, in order. */
  classifyAll(images: readonly ImageSource[], options?: { batch?: number; onBatch?: (done: number) => void }): AsyncGenerator<Classification | ClassificationFailure>;
  dispose(): Promise<void>;
}

/** A problem with the classifier's options or model files; one line. */
export class ClassifierError extends Error {
  override name = 'ClassifierError';
}

const isOnnxPath = (model: string | Uint8Array): boolean => typeof model !== 'string' || /\.onnx$/i.test(model);

/** The weights file's bytes (without loading the .h5 reader and TF.js, which the cached path skips). */
async function readWeightsFile(path: string): Promise<Uint8Array> {
  return readInputFile(path, 'weights file').catch((e: Error) => { throw new WeightsError(e.message); });
}

async function openOnnx(bytes: Uint8Array, options: ClassifierOptions, what: string): Promise<Engine> {
  const { createOnnxEngine } = await import('../runtime/onnx-engine.js');
  return createOnnxEngine(bytes, { threads: options.threads })
    .catch((e: Error) => { throw new ClassifierError(`cannot open ONNX model ${what}: ${e.message.split('\n')[0]}`); });
}

/** A folder written by `mobilenetv3 train`: its ONNX model and class names. */
async function openTrainedFolder(dir: string): Promise<{ model: string; labels?: string[] }> {
  const model = join(dir, 'model.onnx');
  if (!(await stat(model).catch(() => undefined))?.isFile()) {
    throw new ClassifierError(`${dir} holds no model.onnx: give a folder written by "mobilenetv3 train" or an .onnx file`);
  }
  const labels = join(dir, 'labels.json');
  if (!(await stat(labels).catch(() => undefined))?.isFile()) return { model };
  return { model, labels: await readLabelsFile(labels) };
}

/** The engine, the labels an .onnx carries, and the pixel range the model takes. */
interface OpenedEngine {
  engine: Engine;
  labels?: string[];
  /** 0..255 for models with their Rescaling layer (the default), [-1, 1] without. */
  range?: '0-255' | '-1-1';
}

async function openEngine(options: ClassifierOptions): Promise<OpenedEngine> {
  const engineName = options.engine ?? 'onnx';
  if (engineName !== 'onnx' && engineName !== 'tfjs') throw new ClassifierError(`unknown engine "${String(engineName)}": use onnx or tfjs`);
  if (typeof options.model === 'string' && (await stat(options.model).catch(() => undefined))?.isDirectory()) {
    const trained = await openTrainedFolder(options.model);
    return { ...(await openEngine({ ...options, model: trained.model })), labels: trained.labels };
  }
  if (options.model !== undefined) {
    if (!isOnnxPath(options.model)) throw new ClassifierError(`model must be an .onnx file written by "mobilenetv3 export --format onnx", got ${options.model}`);
    if (engineName !== 'onnx') throw new ClassifierError('an .onnx model runs on the onnx engine; use engine onnx, or weights with tfjs');
    const what = typeof options.model === 'string' ? options.model : 'from bytes';
    const bytes = typeof options.model === 'string'
      ? await readInputFile(options.model, 'model file').catch((e: Error) => { throw new ClassifierError(e.message); })
      : options.model;
    const engine = await openOnnx(bytes, options, what);
    const { labelsOf, readOnnxMetadata } = await import('../export/onnx/metadata.js');
    const meta = readOnnxMetadata(bytes);
    let includePreprocessing = true;
    try {
      if (meta.options) includePreprocessing = (JSON.parse(meta.options) as { includePreprocessing?: boolean }).includePreprocessing !== false;
    } catch {
      // Metadata not written by this package: 0..255 input (and ImageNet labels or numbers).
    }
    return { engine, labels: labelsOf(meta), range: includePreprocessing ? '0-255' : '-1-1' };
  }
  if (options.weights === undefined) throw new ClassifierError('classification needs trained weights: pass weights (a Keras .h5 file) or model (an exported .onnx file)');
  const label = typeof options.weights === 'string' ? basename(options.weights) : 'weights';
  const weights = typeof options.weights === 'string' ? await readWeightsFile(options.weights) : options.weights;

  // The fast path: this model and these weights were exported before.
  // cache: false exports again and rewrites the entry (which also repairs a damaged one).
  const cachePath = engineName === 'onnx' ? onnxCachePath(weights, resolveOptions(options)) : undefined;
  const cached = cachePath && options.cache !== false ? await readCached(cachePath) : undefined;
  if (cached) {
    // An entry that does not load (truncated by a crash or a full disk) is dropped and rebuilt.
    const engine = await openOnnx(cached, options, cachePath as string).catch(() => undefined);
    if (engine) return { engine };
    await dropCached(cachePath as string);
  }

  const [{ buildModel }, { useTfBackend }, { applyKerasWeights }, { readKerasH5 }] = await Promise.all([
    import('../architecture/builder.js'),
    import('../runtime/tfjs.js'),
    import('../weights/apply.js'),
    import('../weights/keras-h5.js'),
  ]);
  await useTfBackend('wasm');
  const model = buildModel(options);
  applyKerasWeights(model, await readKerasH5(weights, label), { label });
  if (engineName === 'tfjs') {
    const { createTfjsEngine } = await import('../runtime/tfjs-engine.js');
    return { engine: await createTfjsEngine(model) };
  }
  const { exportOnnx } = await import('../export/onnx/export.js');
  const bytes = exportOnnx(model);
  model.dispose();
  if (cachePath) await writeCached(cachePath, bytes);
  return { engine: await openOnnx(bytes, options, 'exported in memory') };
}

export async function createClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  const top = options.top ?? 5;
  if (!(Number.isInteger(top) && top >= 1)) throw new ClassifierError(`top must be a whole number of at least 1, got ${top}`);
  const crop = options.crop === undefined ? 0.875 : options.crop;
  if (crop !== null && !(crop > 0 && crop <= 1)) throw new ClassifierError(`crop must be a fraction in (0, 1], got ${crop}`);
  const { engine, labels: fileLabels, range: modelRange } = await openEngine(options);
  // Built here: the options say whether the model rescales itself; an .onnx says so in its metadata.
  const range = options.input ? '0-255' : options.model !== undefined ? modelRange ?? '0-255' : resolveOptions(options).includePreprocessing ? '0-255' : '-1-1';
  if (engine.outputShape.length !== 1) {
    await engine.dispose();
    throw new ClassifierError(`the model has no classifier (output [${engine.outputShape.join(', ')}]); build it with its top`);
  }
  const classes = engine.outputShape[0];
  const labels = options.labels ?? fileLabels ?? (classes === IMAGENET_CLASSES.length ? IMAGENET_CLASSES : Array.from({ length: classes }, (_, i) => `class ${i}`));
  if (labels.length !== classes) throw new ClassifierError(`${labels.length} labels for a model with ${classes} classes`);
  const [height, width] = engine.inputShape;
  const imageOptions = { size: [height, width] as [number, number], range, ...(crop === null ? {} : { crop }) };

  const contract = options.input;
  async function run(images: ImageTensor[]): Promise<Prediction[][]> {
    // The card's per-channel scale/offset on 0..255 pixels (NHWC: channel = index % 3).
    if (contract) for (const img of images) for (let i = 0; i < img.data.length; i++) img.data[i] = img.data[i] * contract.scale[i % 3] + contract.offset[i % 3];
    const batch = stackImages(images);
    const out = await engine.predict(batch);
    return images.map((_, i) => topK(out.data.subarray(i * classes, (i + 1) * classes), top, labels));
  }

  return {
    engine,
    labels,
    async classify(image) {
      const tensor = await readImage(image, imageOptions);
      const [predictions] = await run([tensor]);
      return { source: describeSource(image), predictions };
    },
    async *classifyAll(images, { batch = 16, onBatch } = {}) {
      if (!(Number.isInteger(batch) && batch >= 1)) throw new ClassifierError(`batch must be a whole number of at least 1, got ${batch}`);
      for (let start = 0; start < images.length; start += batch) {
        const chunk = images.slice(start, start + batch);
        const decoded = await Promise.allSettled(chunk.map((s, i) => readImage(s, imageOptions, start + i)));
        const ok = decoded.flatMap((d) => (d.status === 'fulfilled' ? [d.value] : []));
        const results = ok.length ? await run(ok) : [];
        let next = 0;
        for (let i = 0; i < chunk.length; i++) {
          const d = decoded[i];
          const source = describeSource(chunk[i], start + i);
          if (d.status === 'fulfilled') yield { source, predictions: results[next++] };
          else yield { source, error: (d.reason as Error).message };
        }
        onBatch?.(chunk.length);
      }
    },
    dispose: () => engine.dispose(),
  };
}
