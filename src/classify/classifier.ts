/**
 * Image classification as an API: `const c = await createClassifier({ weights: 'x.h5' });
 * await c.classify('cat.jpg')`. Builds the model (or opens an exported .onnx), runs it on the
 * chosen engine (ONNX Runtime by default in Node) and returns the top classes with probabilities.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { defaultModelCard, type ModelCard } from '../architecture/card.js';
import { resolveOptions, type ModelOptions } from '../architecture/options.js';
import { describeSource, readImage, stackImages, type ImageSource, type ImageTensor } from '../images/read.js';
import type { Engine, EngineName } from '../runtime/engine.js';
import { WeightsError } from '../weights/errors.js';
import { dropCached, onnxCachePath, readCached, readInputFile, writeCached } from './onnx-cache.js';
import { classNames } from './class-names.js';
import { topK, type Prediction } from './top-k.js';

export interface ClassifierOptions extends ModelOptions {
  /** Keras .h5 weights (path or bytes) for the model built from the model options. */
  weights?: string | Uint8Array;
  /**
   * The model card of these weights (input contract, crop, labels), e.g. a .pth's mean/std or a
   * trained model's class names, read off the model they came from. Default: the card the model
   * options give (weights), or the one the .onnx carries (model).
   */
  card?: ModelCard;
  /**
   * An ONNX model written by `mobilenetv3 export --format onnx` (path or bytes), or the output
   * folder of `mobilenetv3 train` (its model.onnx), instead of building one.
   */
  model?: string | Uint8Array;
  /** Default `onnx` (ONNX Runtime); `tfjs` runs TF.js (wasm). */
  engine?: EngineName;
  /** ONNX Runtime threads. */
  threads?: number;
  /** How many classes to report per image (default 5). */
  top?: number;
  /** Centre crop fraction before resizing (default: the card's, 0.875 as Keras/TF and torchvision evaluate); null: whole image. */
  crop?: number | null;
  /** Class names instead of the card's (default: the card's, else ImageNet's for 1000 classes). */
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
  classifyAll(
    images: readonly ImageSource[],
    options?: { batch?: number; onBatch?: (done: number) => void },
  ): AsyncGenerator<Classification | ClassificationFailure>;
  dispose(): Promise<void>;
}

/** A problem with the classifier's options or model files; one line. */
export class ClassifierError extends Error {
  override name = 'ClassifierError';
}

const isOnnxPath = (model: string | Uint8Array): boolean => typeof model !== 'string' || /\.onnx$/i.test(model);

/** The weights file's bytes (without loading the .h5 reader and TF.js, which the cached path skips). */
async function readWeightsFile(path: string): Promise<Uint8Array> {
  return readInputFile(path, 'weights file').catch((e: Error) => {
    throw new WeightsError(e.message);
  });
}

async function openOnnx(bytes: Uint8Array, options: ClassifierOptions, what: string): Promise<Engine> {
  const { createOnnxEngine } = await import('../runtime/onnx-engine.js');
  return createOnnxEngine(bytes, { threads: options.threads }).catch((e: Error) => {
    throw new ClassifierError(`cannot open ONNX model ${what}: ${e.message.split('\n')[0]}`);
  });
}

/** A folder written by `mobilenetv3 train`: its ONNX model (which carries the card and labels). */
async function trainedFolderModel(dir: string): Promise<string> {
  const model = join(dir, 'model.onnx');
  if (!(await stat(model).catch(() => undefined))?.isFile()) {
    throw new ClassifierError(`${dir} holds no model.onnx: give a folder written by "mobilenetv3 train" or an .onnx file`);
  }
  return model;
}

/** The engine and the card of the model it runs. */
interface OpenedEngine {
  engine: Engine;
  card: ModelCard;
}

/** The card an ONNX file carries; a file not written by this package: 0..255 input, no labels. */
async function onnxCard(bytes: Uint8Array, what: string, inputShape: readonly number[]): Promise<ModelCard> {
  const { cardOf, readOnnxMetadata } = await import('../export/onnx/metadata.js');
  let card: ModelCard | undefined;
  try {
    card = cardOf(readOnnxMetadata(bytes), what);
  } catch (error) {
    throw new ClassifierError((error as Error).message);
  }
  if (card) return card;
  const [height, width] = inputShape;
  return defaultModelCard({ ...resolveOptions({ inputShape: [height, width, 3] }) });
}

async function openEngine(options: ClassifierOptions): Promise<OpenedEngine> {
  const engineName = options.engine ?? 'onnx';
  if (engineName !== 'onnx' && engineName !== 'tfjs') throw new ClassifierError(`unknown engine "${String(engineName)}": use onnx or tfjs`);
  if (typeof options.model === 'string' && (await stat(options.model).catch(() => undefined))?.isDirectory()) {
    return openEngine({ ...options, model: await trainedFolderModel(options.model) });
  }
  if (options.model !== undefined) {
    if (!isOnnxPath(options.model))
      throw new ClassifierError(`model must be an .onnx file written by exportOnnx (or "mobilenetv3 export"), got ${options.model}`);
    if (engineName !== 'onnx') throw new ClassifierError('an .onnx model runs on the onnx engine; use engine onnx, or weights with tfjs');
    const what = typeof options.model === 'string' ? options.model : 'from bytes';
    const bytes =
      typeof options.model === 'string'
        ? await readInputFile(options.model, 'model file').catch((e: Error) => {
            throw new ClassifierError(e.message);
          })
        : options.model;
    const engine = await openOnnx(bytes, options, what);
    return { engine, card: options.card ?? (await onnxCard(bytes, what, engine.inputShape)) };
  }
  if (options.weights === undefined)
    throw new ClassifierError('classification needs trained weights: pass weights (a Keras .h5 file) or model (an exported .onnx file)');
  const label = typeof options.weights === 'string' ? basename(options.weights) : 'weights';
  const weights = typeof options.weights === 'string' ? await readWeightsFile(options.weights) : options.weights;

  // The fast path: this model and these weights were exported before.
  // cache: false exports again and rewrites the entry (which also repairs a damaged one).
  const cachePath = engineName === 'onnx' ? onnxCachePath(weights, resolveOptions(options)) : undefined;
  const cached = cachePath && options.cache !== false ? await readCached(cachePath) : undefined;
  // Built from the options: their card, unless the caller brings the card of these weights.
  const card = options.card ?? defaultModelCard(resolveOptions(options));
  if (cached) {
    // An entry that does not load (truncated by a crash or a full disk) is dropped and rebuilt.
    const engine = await openOnnx(cached, options, cachePath as string).catch(() => undefined);
    if (engine) return { engine, card };
    await dropCached(cachePath as string);
  }

  const [{ buildModel }, { useTfBackend }, { applyKerasWeights }, { readKerasH5 }] = await Promise.all([
    import('../architecture/builder.js'),
    import('../runtime/tfjs.js'),
    import('../weights/apply.js'),
    import('../weights/keras-h5.js'),
  ]);
  await useTfBackend('wasm');
  const model = buildModel(options, { initialize: false }); // every weight is loaded next
  applyKerasWeights(model, await readKerasH5(weights, label), { label });
  if (engineName === 'tfjs') {
    const { createTfjsEngine } = await import('../runtime/tfjs-engine.js');
    return { engine: await createTfjsEngine(model), card };
  }
  const { exportOnnx } = await import('../export/onnx/export.js');
  const bytes = exportOnnx(model);
  model.dispose();
  if (cachePath) await writeCached(cachePath, bytes);
  return { engine: await openOnnx(bytes, options, 'exported in memory'), card };
}

/**
 * A classifier for the given weights or exported model; preprocessing and class names come from
 * the model card.
 *
 * @example
 * ```ts
 * import { createClassifier } from 'mobilenetv3';
 * const classifier = await createClassifier({ arch: 'small', weights: 'mobilenet_v3_small_224_1.0_float.h5' });
 * const { predictions } = await classifier.classify('elephant.jpg'); // [{ rank: 1, label: 'African elephant', ... }]
 * await classifier.dispose();
 * ```
 */
export async function createClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  const top = options.top ?? 5;
  if (!(Number.isInteger(top) && top >= 1)) throw new ClassifierError(`top must be a whole number of at least 1, got ${top}`);
  const badCrop = (crop: number | null) => crop !== null && !(crop > 0 && crop <= 1);
  if (options.crop !== undefined && badCrop(options.crop))
    throw new ClassifierError(`crop must be a fraction in (0, 1], got ${options.crop}`);
  const { engine, card } = await openEngine(options);
  const crop = options.crop === undefined ? card.input.crop : options.crop;
  if (badCrop(crop)) {
    await engine.dispose();
    throw new ClassifierError(`the model card's crop must be a fraction in (0, 1], got ${crop}`);
  }
  if (engine.outputShape.length !== 1) {
    await engine.dispose();
    throw new ClassifierError(`the model has no classifier (output [${engine.outputShape.join(', ')}]); build it with its top`);
  }
  const classes = engine.outputShape[0];
  const labels = options.labels ?? classNames(card, classes);
  if (labels.length !== classes) {
    await engine.dispose();
    throw new ClassifierError(`${labels.length} labels for a model with ${classes} classes`);
  }
  const [height, width] = engine.inputShape;
  // The card's contract (scale/offset on 0..255 pixels), at the engine's own input size.
  const imageOptions = { size: [height, width] as [number, number], normalise: card.input, ...(crop === null ? {} : { crop }) };

  async function run(images: ImageTensor[]): Promise<Prediction[][]> {
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
