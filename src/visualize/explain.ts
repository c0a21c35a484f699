/**
 * Grad-CAM (Selvaraju et al. 2017): where in the image the evidence for a class is. The class
 * score's gradient with respect to the last convolutional feature map, averaged over space, weighs
 * that map's channels; their ReLU'd sum is the heatmap. Grad-CAM++ (Chattopadhyay et al. 2018)
 * weighs channels by their positive gradients only, with per-position coefficients from the
 * second and third derivatives of exp(score); it covers whole objects better. On MobileNetV3 the
 * channels' plain-Grad-CAM weights mix positive and negative evidence and often leave the body of
 * an object cold (see docs/ and the README for the measurements that made Grad-CAM++ the default).
 *
 * Only the part after the feature map needs gradients, so the model is split there (split.ts):
 * the front runs where inference is fastest (TF.js wasm, which has no conv backprop kernels), and
 * the tail (global pooling, two 1x1 convs) is differentiated on the cpu backend, where it costs a
 * few milliseconds. scripts/gradcam-benchmark.ts measures this against running it all on cpu.
 */
import * as tf from '../runtime/tf.js';
import { readMetadata } from '../architecture/blocks.js';
import type { ImageSource } from '../images/index.js';
import { captionSvg, rasterFormatOf, writeRaster } from './raster.js';
import { colormapTable } from './colormap.js';
import { configOf, isGlobalPooling, requireFeatureMap } from './layer-info.js';
import { cropFor, imageBatchFor, readPicture, type RgbImage } from './model-input.js';
import { findLayer, frontModel, runTail, tailLayers, withoutSoftmax, withTfBackend } from './split.js';

export type CamMethod = 'gradcam' | 'gradcam++';
export const CAM_METHODS: readonly CamMethod[] = ['gradcam++', 'gradcam'];

export interface GradCamOptions {
  /** 'gradcam++' (default) or 'gradcam'. */
  method?: CamMethod;
  /** Class to explain; default the top-1 class. */
  classIndex?: number;
  /** Feature map layer; default the last one before global pooling (the head's output). */
  layer?: string;
  /** Backend that differentiates the tail: 'cpu' (default) or the current one. */
  tailBackend?: 'cpu' | 'current';
  /** Class names for the result (index = class id). */
  labels?: readonly string[];
  /** Centre crop fraction before resizing; default: the model card's (as `classify`); null: the whole image. */
  crop?: number | null;
}

export interface ClassScore {
  index: number;
  label?: string;
  probability: number;
}

export interface GradCamResult {
  /** The class explained. */
  target: ClassScore;
  /** Top-5 of the model's prediction. */
  top: ClassScore[];
  /** Layer whose feature map the heatmap is on. */
  layer: string;
  method: CamMethod;
  /** Heatmap on the feature map's grid, row-major, in [0, 1] (max 1 unless all zero). */
  cam: Float32Array;
  camHeight: number;
  camWidth: number;
}

/** The feature map Grad-CAM uses by default: the input of the classifier's global pooling. */
export function defaultCamLayer(model: tf.LayersModel): tf.layers.Layer {
  const blocks = readMetadata(model)?.blocks ?? [];
  const classifier = blocks.find((b) => b.kind === 'classifier');
  if (!classifier) throw new Error('Grad-CAM needs a model with its classifier (built with its top)');
  const pool = classifier.layers.map((n) => model.getLayer(n)).find(isGlobalPooling);
  const source = pool?.inboundNodes[0]?.inboundLayers[0];
  if (!source) throw new Error(`cannot find the feature map before the global pooling of ${model.name}`);
  return source;
}

/** Compute Grad-CAM of one image. */
export async function gradCam(model: tf.LayersModel, source: ImageSource, options: GradCamOptions = {}): Promise<GradCamResult> {
  const method = options.method ?? 'gradcam++';
  if (!CAM_METHODS.includes(method)) throw new RangeError(`method must be one of ${CAM_METHODS.join(', ')}, got "${String(method)}"`);
  const cut = requireFeatureMap(options.layer ? findLayer(model, options.layer) : defaultCamLayer(model));
  const tail = tailLayers(model, cut);
  const last = model.layers[model.layers.length - 1];
  const classes = (last.outputShape as number[])[1];
  if (
    options.classIndex !== undefined &&
    !(Number.isInteger(options.classIndex) && options.classIndex >= 0 && options.classIndex < classes)
  ) {
    throw new RangeError(`class must be a whole number from 0 to ${classes - 1}, got ${options.classIndex}`);
  }

  // Front: inference only, on the current backend.
  const input = await imageBatchFor(model, source, options.crop);
  const front = frontModel(model, cut);
  const mapTensor = front.predict(input) as tf.Tensor4D;
  input.dispose();
  const mapValues = await mapTensor.data();
  const shape = mapTensor.shape;
  mapTensor.dispose();

  const differentiate = (): { cam: Float32Array; probabilities: Float32Array; target: number } => {
    // Differentiate the class score before the softmax, as Grad-CAM prescribes, wherever the
    // softmax is: its own Activation layer (keras flavour) or the classifier conv's (blog flavour).
    const logits = new Map(tail.filter((l) => configOf(l).activation === 'softmax').map((l) => [l.name, withoutSoftmax(l)]));
    const scoresOf = (a: tf.Tensor): tf.Tensor => tf.reshape(runTail(tail, cut, a, logits), [-1]);
    try {
      return tf.tidy(() => {
        const map = tf.tensor4d(mapValues, shape);
        const scores = scoresOf(map);
        const target = options.classIndex ?? tf.argMax(scores).dataSync()[0];
        const probabilities = tf.softmax(scores);
        const gradient = tf.grad((a: tf.Tensor) => tf.sum(tf.gather(scoresOf(a), [target])))(map);
        const weights = method === 'gradcam' ? tf.mean(gradient, [1, 2], true) : gradCamPlusPlusWeights(map, gradient);
        const cam = tf.reshape(tf.relu(tf.sum(tf.mul(map, weights), -1)), [-1]);
        return { cam: cam.dataSync() as Float32Array, probabilities: probabilities.dataSync() as Float32Array, target };
      });
    } finally {
      // The copies were never called symbolically, so Layer.dispose() refuses them: free their weights.
      for (const copy of logits.values()) for (const w of copy.weights) w.dispose();
    }
  };
  const { cam, probabilities, target } = options.tailBackend === 'current' ? differentiate() : await withTfBackend('cpu', differentiate);
  let max = 0;
  for (const v of cam) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < cam.length; i++) cam[i] /= max;

  const score = (index: number): ClassScore => ({
    index,
    ...(options.labels?.[index] ? { label: options.labels[index] } : {}),
    probability: probabilities[index],
  });
  const order = [...probabilities.keys()].sort((a, b) => probabilities[b] - probabilities[a]).slice(0, 5);
  return { target: score(target), top: order.map(score), layer: cut.name, method, cam, camHeight: shape[1], camWidth: shape[2] };
}

/**
 * Grad-CAM++ channel weights: w_k = sum_ij a_kij relu(g_kij) with
 * a = g^2 / (2 g^2 + sum_ab A_kab g^3), g = d score / d A (the exp-score closed form).
 */
function gradCamPlusPlusWeights(map: tf.Tensor, gradient: tf.Tensor): tf.Tensor {
  // Functional ops, not chained ones (x.mul(y)): runtime/tf.ts does not register those.
  const g2 = tf.square(gradient);
  const g3 = tf.mul(g2, gradient);
  const denominator = tf.add(tf.mul(g2, 2), tf.mul(tf.sum(map, [1, 2], true), g3));
  const alpha = tf.div(g2, tf.where(tf.notEqual(denominator, 0), denominator, tf.onesLike(denominator)));
  return tf.sum(tf.mul(alpha, tf.relu(gradient)), [1, 2], true);
}

/** Bilinear upsampling of a small map (half-pixel centres, as tf.image.resizeBilinear). */
export function upsample(map: Float32Array, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  const out = new Float32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.max(0, ((y + 0.5) * height) / outHeight - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < outWidth; x++) {
      const sx = Math.min(width - 1, Math.max(0, ((x + 0.5) * width) / outWidth - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = sx - x0;
      const top = map[y0 * width + x0] * (1 - fx) + map[y0 * width + x1] * fx;
      const bottom = map[y1 * width + x0] * (1 - fx) + map[y1 * width + x1] * fx;
      out[y * outWidth + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** The heatmap over the picture: turbo colours, more opaque where the heat is. */
export function overlayHeatmap(picture: RgbImage, heat: Float32Array): Uint8Array {
  const table = colormapTable('turbo');
  const out = new Uint8Array(picture.data.length);
  for (let i = 0; i < heat.length; i++) {
    const h = Math.min(1, Math.max(0, heat[i]));
    const alpha = 0.2 + 0.5 * h;
    const c = Math.round(h * 255) * 3;
    for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round(picture.data[i * 3 + k] * (1 - alpha) + table[c + k] * alpha);
  }
  return out;
}

export interface ExplainOptions extends GradCamOptions {
  /** Longer side of the picture written, in pixels. Default 640. */
  maxSide?: number;
}

/** Grad-CAM of an image written as a PNG/JPEG/WebP (the picture with the heatmap over it and a caption). */
export async function explainImage(
  model: tf.LayersModel,
  source: ImageSource,
  output: string,
  options: ExplainOptions = {},
): Promise<GradCamResult> {
  rasterFormatOf(output);
  const result = await gradCam(model, source, options);
  const shape = model.inputs[0].shape as number[];
  const crop = cropFor(model, options.crop);
  const picture = await readPicture(source, options.maxSide ?? 640, crop, [shape[1], shape[2]]);
  const heat = upsample(result.cam, result.camHeight, result.camWidth, picture.height, picture.width);
  const pixels = overlayHeatmap(picture, heat);
  const { default: sharp } = await import('sharp');
  const t = result.target;
  const caption = `${result.method === 'gradcam' ? 'Grad-CAM' : 'Grad-CAM++'} · ${t.label ? `${t.label} (${t.index})` : `class ${t.index}`} · p = ${(t.probability * 100).toFixed(1)}% · ${result.layer} ${result.camHeight}×${result.camWidth}`;
  const band = 28;
  const svg = captionSvg(caption, picture.width, { height: band, fontSize: 13, baseline: 19 });
  await writeRaster(
    sharp(Buffer.from(pixels), { raw: { width: picture.width, height: picture.height, channels: 3 } })
      .extend({ bottom: band, background: '#212529' })
      .composite([{ input: Buffer.from(svg), top: picture.height, left: 0 }]),
    output,
  );
  return result;
}
