/**
 * An image prepared for a built model (its input size, and the value range its preprocessing
 * expects), plus the original picture for overlays.
 */
import * as tf from '../runtime/tf.js';
import { readMetadata } from '../architecture/blocks.js';
import { centreCropRegion, readImage, type ImageSource } from '../images/index.js';

/**
 * The image as a [1, H, W, 3] batch for `model`: the whole image resized (crop null, as Keras
 * `load_img(target_size=...)`), or a centre crop of that fraction first (0.875 as `classify`).
 */
export async function imageBatchFor(model: tf.LayersModel, source: ImageSource, crop: number | null = null): Promise<tf.Tensor4D> {
  const shape = model.inputs[0].shape;
  const height = shape[1];
  const width = shape[2];
  if (typeof height !== 'number' || typeof width !== 'number') throw new Error(`${model.name} has no fixed input size`);
  // Models built without their Rescaling layer take inputs in [-1, 1].
  const rescales = readMetadata(model)?.options.includePreprocessing ?? true;
  const image = await readImage(source, { size: [height, width], range: rescales ? '0-255' : '-1-1', ...(crop === null ? {} : { crop }) });
  return tf.tensor4d(image.data, [1, height, width, 3]);
}

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * What the model saw, at the picture's own resolution (EXIF-oriented, sRGB, the same centre crop
 * for a model input of `inputSize` [height, width]), scaled to fit `maxSide`, for drawing over.
 */
export async function readPicture(source: ImageSource, maxSide: number, crop: number | null, inputSize: [number, number]): Promise<RgbImage> {
  const { default: sharp } = await import('sharp');
  const input = typeof source === 'string' ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  let image = sharp(input, { failOn: 'error' }).autoOrient();
  if (crop !== null) {
    const meta = await sharp(input).metadata();
    const swapped = (meta.orientation ?? 1) >= 5;
    const [w, h] = swapped ? [meta.height!, meta.width!] : [meta.width!, meta.height!];
    image = image.extract(centreCropRegion(w, h, inputSize[1], inputSize[0], crop));
  }
  const { data, info } = await image
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: false })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}
