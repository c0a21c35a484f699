/**
 * The one resampler between decoded pixels and model input, in plain TypeScript so Node (pixels
 * from sharp) and the browser (pixels from a canvas) compute the same numbers: a separable
 * triangle (bilinear) filter with half-pixel centres, widened by the scale factor when shrinking
 * (antialiased, as PIL's BILINEAR and torchvision's `Resize(antialias=True)`), which is plain
 * bilinear interpolation when enlarging. Checked against torch's
 * `interpolate(mode='bilinear', antialias=True)` in test/images-resample.test.ts.
 */
import type { Region } from './geometry.js';

/** Decoded 8-bit pixels, row-major, 3 (RGB) or 4 (RGBA, alpha ignored) channels per pixel. */
export interface Pixels {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

/** For each output index along one axis: the first input index and its normalised weights. */
interface AxisWeights {
  first: Int32Array;
  count: Int32Array;
  /** `taps` weights per output index (unused tail entries are 0). */
  weights: Float64Array;
  taps: number;
}

function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support + 0.5));
    const hi = Math.min(inSize, Math.floor(centre + support + 0.5));
    let total = 0;
    for (let j = lo; j < hi; j++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - centre) / support));
      weights[i * taps + j - lo] = w;
      total += w;
    }
    for (let j = lo; j < hi; j++) weights[i * taps + j - lo] /= total;
    first[i] = lo;
    count[i] = hi - lo;
  }
  return { first, count, weights, taps };
}

/**
 * Resize `region` of `pixels` to [outHeight, outWidth] RGB float32 (values 0..255, not rounded),
 * optionally mirrored left-right (the half-pixel grid is symmetric, so mirroring after resizing
 * equals resizing the mirrored image).
 */
export function resizeRegion(pixels: Pixels, region: Region, outWidth: number, outHeight: number, flip = false): Float32Array {
  const { data, width, channels } = pixels;
  if (region.left < 0 || region.top < 0 || region.left + region.width > width || region.top + region.height > pixels.height) {
    throw new RangeError(
      `region ${region.width}x${region.height}+${region.left}+${region.top} lies outside the ${width}x${pixels.height} image`,
    );
  }
  const xs = axisWeights(region.width, outWidth);
  const ys = axisWeights(region.height, outHeight);
  // Horizontal pass over the region's rows, then vertical: region.height x outWidth x 3 in between.
  const rows = new Float64Array(region.height * outWidth * 3);
  for (let y = 0; y < region.height; y++) {
    const rowStart = ((region.top + y) * width + region.left) * channels;
    for (let x = 0; x < outWidth; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const base = x * xs.taps;
      for (let k = 0; k < xs.count[x]; k++) {
        const w = xs.weights[base + k];
        const p = rowStart + (xs.first[x] + k) * channels;
        r += w * data[p];
        g += w * data[p + 1];
        b += w * data[p + 2];
      }
      const o = (y * outWidth + x) * 3;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
    }
  }
  const out = new Float32Array(outHeight * outWidth * 3);
  for (let y = 0; y < outHeight; y++) {
    const base = y * ys.taps;
    for (let x = 0; x < outWidth; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < ys.count[y]; k++) {
        const w = ys.weights[base + k];
        const p = ((ys.first[y] + k) * outWidth + x) * 3;
        r += w * rows[p];
        g += w * rows[p + 1];
        b += w * rows[p + 2];
      }
      const o = (y * outWidth + (flip ? outWidth - 1 - x : x)) * 3;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return out;
}
