/**
 * Images in the browser -> model input, exactly as in Node: the image's own pixels are read from
 * a canvas at full resolution (as sharp decodes them in Node), then the shared crop + resample +
 * normalisation of src/images/prepare.ts runs on them, as the model card's input contract says.
 * So the page and the CLI feed a model the same numbers for the same photo.
 */
import * as tf from '../runtime/tf.js';
import type { ModelCard } from '../architecture/card.js';
import { prepareInput, type InputSpec } from '../images/prepare.js';
import type { Pixels } from '../images/resample.js';

export type PixelSource = ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap | OffscreenCanvas;

/**
 * How to prepare the pixels: a model card's `input` fits as it is. Without `scale`/`offset` the
 * values stay 0..255; without `crop` (or null) the whole image is resized.
 */
export interface PixelOptions {
  /** Target [height, width]. */
  readonly size: readonly [number, number];
  /** The card's crop: this fraction of the largest centred region with the target's aspect ratio; null: none. */
  readonly crop?: number | null;
  readonly scale?: readonly number[];
  readonly offset?: readonly number[];
}

function naturalSize(source: Exclude<PixelSource, ImageData>): [number, number] {
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement) return [source.naturalWidth, source.naturalHeight];
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) return [source.videoWidth, source.videoHeight];
  return [source.width, source.height];
}

/** The RGBA pixels of an image, video frame or canvas at its own resolution. */
export function readPixels(source: PixelSource): Pixels {
  if (typeof ImageData !== 'undefined' && source instanceof ImageData)
    return { data: source.data, width: source.width, height: source.height, channels: 4 };
  const [width, height] = naturalSize(source as Exclude<PixelSource, ImageData>);
  if (!width || !height) throw new Error('the image has no pixels yet (not loaded, or a video without a frame)');
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('this browser gives no 2D canvas to read the image');
  context.drawImage(source as CanvasImageSource, 0, 0);
  return { data: context.getImageData(0, 0, width, height).data, width, height, channels: 4 };
}

/** A [1, H, W, 3] float32 tensor prepared as `options` (e.g. a model card's `input`) say. */
export function imageToTensor(source: PixelSource, options: PixelOptions): tf.Tensor4D {
  const crop = options.crop ?? null;
  if (crop !== null && !(crop > 0 && crop <= 1)) throw new Error(`crop must be in (0, 1], got ${crop}`);
  const spec: InputSpec = { size: options.size, crop, scale: options.scale ?? [1, 1, 1], offset: options.offset ?? [0, 0, 0] };
  const data = prepareInput(readPixels(source), spec);
  return tf.tensor4d(data, [1, options.size[0], options.size[1], 3]);
}

/** The model input for `card` (its size, normalisation and crop), as `classify` prepares it in Node. */
export function cardInput(source: PixelSource, card: Pick<ModelCard, 'input'>): tf.Tensor4D {
  return imageToTensor(source, card.input);
}
