/**
 * Image decoding and preprocessing for the models: any format sharp reads (JPEG, PNG, WebP, GIF,
 * AVIF, TIFF, ...), EXIF orientation applied, grayscale / alpha / CMYK / 16-bit turned into 8-bit
 * sRGB, optional centre crop, bilinear resize, and NHWC float32 batches with values 0..255 (the
 * keras-flavour model rescales to [-1, 1] itself; see `inputRange` for models built without it).
 */
import { basename } from 'node:path';
import sharp from 'sharp';
import { FileReadError, MAX_BYTES, readRegularFile } from '../io/read-file.js';
import { centreCropRegion, type Region } from './geometry.js';

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
  constructor(readonly source: string, reason: string) {
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
  const first = text.split('\n').map((s) => s.trim()).filter(Boolean)[0] ?? 'unknown error';
  if (/ENOENT|no such file|Input file is missing/i.test(first)) return 'no such file';
  if (/unsupported image format/i.test(first)) return 'not an image in a supported format (JPEG, PNG, WebP, GIF, AVIF, TIFF)';
  return first.replace(/^Input (file|buffer) (has corrupt header|is missing): /, '');
}

/** Decode, orient, convert to 8-bit sRGB, crop and resize one image. */
export async function readImage(source: ImageSource, options: ImageOptions, index = 0): Promise<ImageTensor> {
  const [height, width] = outputSize(options.size);
  const name = describeSource(source, index);
  try {
    // failOn 'error': a truncated or corrupt file is an error, not a silently grey image.
    // A path is read here, not by libvips: regular files only (a FIFO would block it forever), size
    // capped, and the real reason (permission denied) rather than "not an image".
    const bytes = typeof source === 'string' ? await readRegularFile(source, { maxBytes: MAX_BYTES.image, what: 'image' }) : source;
    const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const meta = await sharp(input, { failOn: 'error' }).metadata();
    if (!meta.width || !meta.height) throw new Error('image has no size');
    // EXIF orientations 5..8 swap width and height.
    const swapped = (meta.orientation ?? 1) >= 5;
    const original = swapped ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };

    let image = sharp(input, { failOn: 'error' }).autoOrient();
    if (options.region) image = image.extract(options.region(original));
    else if (options.crop !== undefined) {
      image = image.extract(centreCropRegion(original.width, original.height, width, height, options.crop));
    }
    if (options.flip) image = image.flop();
    const { data, info } = await image
      .resize(width, height, { fit: 'fill', kernel: 'linear' })
      // Like PIL's convert('RGB'), which Keras and torchvision use: alpha is dropped, CMYK and
      // grayscale become sRGB, 16-bit samples become 8-bit.
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== width || info.height !== height) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`);
    }
    const out = new Float32Array(data.length);
    if (options.range === '-1-1') for (let i = 0; i < data.length; i++) out[i] = data[i] / 127.5 - 1;
    else for (let i = 0; i < data.length; i++) out[i] = data[i];
    return { data: out, height, width, original };
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw new ImageError(name, error instanceof FileReadError ? error.reason : reason(error));
  }
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
