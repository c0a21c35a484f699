/**
 * Pixels -> model input from the model card's input contract, the one place that does it for
 * Node (pixels decoded by sharp, src/images/read.ts) and the browser (pixels from a canvas,
 * src/browser/pixels.ts): centre crop (`centreCropRegion`) or an explicit region, the shared
 * resampler, then `pixel * scale[c] + offset[c]`. No Node imports.
 */
import { centreCropRegion, type Region } from './geometry.js';
import { resizeRegion, type Pixels } from './resample.js';

/** What of the card's input contract turns pixels into input (InputContract has all of it). */
export interface InputSpec {
  /** [height, width] of the model input. */
  readonly size: readonly [number, number];
  /**
   * Centre crop before resizing: this fraction of the largest centred region with the input's
   * aspect ratio (0.875 as Keras/TF and torchvision evaluate); null: the whole image, stretched
   * (Keras `load_img(target_size=...)`).
   */
  readonly crop: number | null;
  readonly scale: readonly number[];
  readonly offset: readonly number[];
}

export interface PrepareOptions {
  /** An explicit region instead of the centre crop (training's random-resized crops). */
  region?: Region;
  /** Mirror left-right (augmentation). */
  flip?: boolean;
}

/** Where the card's crop cuts an image of this size (the whole image for crop null). */
export function cropRegion(width: number, height: number, spec: Pick<InputSpec, 'size' | 'crop'>): Region {
  const [outHeight, outWidth] = spec.size;
  if (spec.crop === null) return { left: 0, top: 0, width, height };
  return centreCropRegion(width, height, outWidth, outHeight, spec.crop);
}

/** [height, width, 3] float32 model input (NHWC, one image) from decoded pixels. */
export function prepareInput(pixels: Pixels, spec: InputSpec, options: PrepareOptions = {}): Float32Array {
  const [height, width] = spec.size;
  const region = options.region ?? cropRegion(pixels.width, pixels.height, spec);
  const out = resizeRegion(pixels, region, width, height, options.flip);
  const [s0, s1, s2] = spec.scale;
  const [o0, o1, o2] = spec.offset;
  if (s0 === 1 && s1 === 1 && s2 === 1 && o0 === 0 && o1 === 0 && o2 === 0) return out;
  for (let i = 0; i < out.length; i += 3) {
    out[i] = out[i] * s0 + o0;
    out[i + 1] = out[i + 1] * s1 + o1;
    out[i + 2] = out[i + 2] * s2 + o2;
  }
  return out;
}
