/**
 * Images in the browser -> model input, the way Keras applications preprocess: optional central
 * square crop of the shorter side (e.g. 0.875), bilinear resize to the model's input size, RGB
 * 0..255 as float32 (the model rescales itself). Uses only TF.js, so it runs on any backend.
 */
import * as tf from '../runtime/tf.js';

export type PixelSource = ImageData | HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap | OffscreenCanvas;

export interface PixelOptions {
  /** Target [height, width]. */
  size: readonly [number, number];
  /** Fraction of the shorter side kept as a central square before resizing; 1 = no crop, whole image resized. */
  crop?: number;
}

/** A [1, H, W, 3] float32 tensor of 0..255 RGB values. */
export function imageToTensor(source: PixelSource, { size, crop = 1 }: PixelOptions): tf.Tensor4D {
  if (!(crop > 0 && crop <= 1)) throw new Error(`crop must be in (0, 1], got ${crop}`);
  return tf.tidy(() => {
    const pixels = tf.browser.fromPixels(source as Parameters<typeof tf.browser.fromPixels>[0], 3);
    const [h, w] = pixels.shape;
    const side = Math.max(1, Math.round(Math.min(h, w) * crop));
    const cropped = crop === 1 ? pixels : tf.slice(pixels, [Math.floor((h - side) / 2), Math.floor((w - side) / 2), 0], [side, side, 3]);
    // Half-pixel centres: what tf.image.resize (Keras) and sharp/PIL do.
    return tf.image.resizeBilinear(tf.expandDims(tf.cast(cropped, 'float32'), 0) as tf.Tensor4D, [size[0], size[1]], false, true);
  });
}
