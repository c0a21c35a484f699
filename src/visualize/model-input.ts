/**
 * An image prepared for a built model as its model card says (input size, normalisation, crop),
 * plus the original picture for overlays.
 */
import * as tf from '../runtime/tf.js';
import { readModelCard } from '../architecture/card.js';
import { centreCropRegion, readImage, type ImageSource } from '../images/index.js';

/** The crop a view uses: the caller's, else the model card's (null: the whole image). */
export function cropFor(model: tf.LayersModel, crop: number | null | undefined): number | null {
  return crop !== undefined ? crop : (readModelCard(model)?.input.crop ?? null);
}

/**
 * The image as a [1, H, W, 3] batch for `model`, prepared as its card says (the same input
 * `classify` gives it); `crop` overrides the card's (null: the whole image resized, as Keras
 * `load_img(target_size=...)`).
 */
export async function imageBatchFor(model: tf.LayersModel, source: ImageSource, crop?: number | null): Promise<tf.Tensor4D> {
  const shape = model.inputs[0].shape;
  const height = shape[1];
  const width = shape[2];
  if (typeof height !== 'number' || typeof width !== 'number') throw new Error(`${model.name} has no fixed input size`);
  const card = readModelCard(model);
  const fraction = cropFor(model, crop);
  const image = await readImage(source, {
    size: [height, width],
    ...(card ? { normalise: card.input } : {}),
    ...(fraction === null ? {} : { crop: fraction }),
  });
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
export async function readPicture(
  source: ImageSource,
  maxSide: number,
  crop: number | null,
  inputSize: [number, number],
): Promise<RgbImage> {
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
