/**
 * Image decoding and preprocessing for the models: any format sharp reads (JPEG, PNG, WebP, GIF,
 * AVIF, TIFF, ...), EXIF orientation applied, grayscale / alpha / CMYK / 16-bit turned into 8-bit
 * sRGB at full resolution; then the crop, resample and normalisation shared with the browser
 * (prepare.ts) give NHWC float32 batches (0..255 for a keras-flavour model, which rescales itself).
 */
import { basename } from 'node:path';
import sharp from 'sharp';
import { FileReadError, MAX_BYTES, readRegularFile } from '../io/read-file.js';
import type { Region } from './geometry.js';
import { prepareInput, type InputSpec } from './prepare.js';
import type { Pixels } from './resample.js';

/** A file path or the bytes of an encoded image. */
export type ImageSource = string | Uint8Array;

export interface ImageOptions {
  /** Output size [height, width] (a number for square). */
  size: number | readonly [number, number];
  /**
   * Centre crop before resizing: the fraction of the (aspect-matched) shorter side to keep, e.g.
   * 0.875 as Keras/TF and torchvision evaluate. Omitted: the whole image is resized to the output
   * size (aspect ratio not kept), as Keras `load_img(target_size=...)` does.
   */
  crop?: number;
  /**
   * An explicit crop region instead of the centre crop, worked out from the oriented image's size
   * (training's random-resized-crop augmentation uses it).
   */
  region?: (size: { width: number; height: number }) => Region;
  /** Mirror left-right (augmentation). */
  flip?: boolean;
  /** Values of the output: 0..255 (default, for models with their Rescaling layer) or [-1, 1]. */
  range?: '0-255' | '-1-1';
  /** The model card's per-channel `pixel * scale + offset` (overrides `range`). */
  normalise?: Pick<InputSpec, 'scale' | 'offset'>;
}

/** One preprocessed image: `data` is [height, width, 3] in row-major order. */
export interface ImageTensor {
  data: Float32Array;
  height: number;
  width: number;
  /** Size of the decoded image after orientation, before crop and resize. */
  original: { width: number; height: number };
}

/** An image that cannot be read; the message is one line naming the file. */
export class ImageError extends Error {
  override name = 'ImageError';
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`cannot read image ${source}: ${reason}`);
  }
}

export function describeSource(source: ImageSource, index = 0): string {
  return typeof source === 'string' ? source : `<buffer ${index}>`;
}

function outputSize(size: ImageOptions['size']): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  for (const side of [h, w]) {
    if (!Number.isInteger(side) || side < 1) throw new RangeError(`image size must be positive whole numbers, got ${h}x${w}`);
  }
  return [h, w];
}

/** The first meaningful line of a libvips error, without its duplicated lines. */
function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first =
    text
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)[0] ?? 'unknown error';
  if (/ENOENT|no such file|Input file is missing/i.test(first)) return 'no such file';
  if (/unsupported image format/i.test(first)) return 'not an image in a supported format (JPEG, PNG, WebP, GIF, AVIF, TIFF)';
  return first.replace(/^Input (file|buffer) (has corrupt header|is missing): /, '');
}

/** Decoded, oriented 8-bit sRGB pixels at the image's own resolution (what a canvas gives in the page). */
export async function decodePixels(source: ImageSource, index = 0): Promise<Pixels> {
  const name = describeSource(source, index);
  try {
    // failOn 'error': a truncated or corrupt file is an error, not a silently grey image.
    // A path is read here, not by libvips: regular files only (a FIFO would block it forever), size
    // capped, and the real reason (permission denied) rather than "not an image".
    const bytes = typeof source === 'string' ? await readRegularFile(source, { maxBytes: MAX_BYTES.image, what: 'image' }) : source;
    const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { data, info } = await sharp(input, { failOn: 'error' })
      .autoOrient()
      // Like PIL's convert('RGB'), which Keras and torchvision use: alpha is dropped, CMYK and
      // grayscale become sRGB, 16-bit samples become 8-bit.
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || !info.width || !info.height)
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected RGB`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw new ImageError(name, error instanceof FileReadError ? error.reason : reason(error));
  }
}

/** The scale/offset of `range` (the contract of a model with or without its Rescaling layer). */
function rangeNormalisation(options: ImageOptions): Pick<InputSpec, 'scale' | 'offset'> {
  // Only these two: a whole InputContract may be passed, whose own size and crop must not leak in.
  if (options.normalise) return { scale: options.normalise.scale, offset: options.normalise.offset };
  if (options.range === '-1-1') return { scale: [1 / 127.5, 1 / 127.5, 1 / 127.5], offset: [-1, -1, -1] };
  return { scale: [1, 1, 1], offset: [0, 0, 0] };
}

/**
 * Decode one image and turn it into model input with the shared crop + resample + normalisation
 * (src/images/prepare.ts), the same code the browser runs on canvas pixels.
 */
export async function readImage(source: ImageSource, options: ImageOptions, index = 0): Promise<ImageTensor> {
  const [height, width] = outputSize(options.size);
  const pixels = await decodePixels(source, index);
  const original = { width: pixels.width, height: pixels.height };
  const spec: InputSpec = { size: [height, width], crop: options.crop ?? null, ...rangeNormalisation(options) };
  const data = prepareInput(pixels, spec, { region: options.region?.(original), flip: options.flip });
  return { data, height, width, original };
}

/** An NHWC float32 batch: `data` holds `shape[0]` images of [height, width, 3]. */
export interface ImageBatch {
  data: Float32Array;
  shape: [number, number, number, number];
}

/** Stack preprocessed images into one NHWC batch. */
export function stackImages(images: readonly ImageTensor[]): ImageBatch {
  if (images.length === 0) throw new RangeError('cannot make a batch of no images');
  const { height, width } = images[0];
  const size = height * width * 3;
  const data = new Float32Array(images.length * size);
  images.forEach((image, i) => {
    if (image.height !== height || image.width !== width) throw new RangeError('images of one batch must have the same size');
    data.set(image.data, i * size);
  });
  return { data, shape: [images.length, height, width, 3] };
}

/** Read several images into one batch; any unreadable image rejects with its ImageError. */
export async function readImageBatch(sources: readonly ImageSource[], options: ImageOptions): Promise<ImageBatch> {
  const images = await Promise.all(sources.map((s, i) => readImage(s, options, i)));
  return stackImages(images);
}

/** A short label for a source, for tables and progress bars. */
export function sourceLabel(source: ImageSource, index = 0): string {
  return typeof source === 'string' ? basename(source) : `<buffer ${index}>`;
}
