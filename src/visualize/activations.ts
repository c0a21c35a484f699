/**
 * What a layer sees: every channel of its feature map for one image, as a grid of small images,
 * each normalised to its own min..max (so weak channels show their pattern too) and coloured with
 * viridis.
 */
import type * as tf from '../runtime/tf.js';
import type { ImageSource } from '../images/index.js';
import { captionSvg, rasterFormatOf, writeRaster } from './raster.js';
import { colormapTable, type Colormap } from './colormap.js';
import { requireFeatureMap } from './layer-info.js';
import { imageBatchFor } from './model-input.js';
import { findLayer, frontModel } from './split.js';

export interface ActivationOptions {
  /** Centre crop fraction before resizing; default: the model card's (as `classify`); null: the whole image. */
  crop?: number | null;
}

export interface FeatureMaps {
  layer: string;
  height: number;
  width: number;
  channels: number;
  /** [height, width, channels] row-major, as the layer outputs it. */
  data: Float32Array;
}

/** One layer's feature maps for one image (inference on the current TF.js backend). */
export async function featureMaps(
  model: tf.LayersModel,
  source: ImageSource,
  layerName: string,
  options: ActivationOptions = {},
): Promise<FeatureMaps> {
  const layer = requireFeatureMap(findLayer(model, layerName));
  const input = await imageBatchFor(model, source, options.crop);
  const front = frontModel(model, layer);
  const output = front.predict(input) as tf.Tensor4D;
  input.dispose();
  const data = (await output.data()) as Float32Array;
  const [, height, width, channels] = output.shape;
  output.dispose();
  return { layer: layer.name, height, width, channels, data };
}

export interface GridOptions {
  /** Show at most this many channels (the first ones). Default all. */
  maxChannels?: number;
  /** Pixel size of the longer side of one tile (maps are scaled up, nearest neighbour). Default: at least 96. */
  tile?: number;
  colormap?: Colormap;
}

export interface Grid {
  data: Uint8Array;
  width: number;
  height: number;
  columns: number;
  rows: number;
  shown: number;
}

/** Lay the channels out as a grid of tiles, each normalised to its own range. */
export function featureGrid(maps: FeatureMaps, options: GridOptions = {}): Grid {
  const { height, width, channels, data } = maps;
  const shown = Math.min(channels, options.maxChannels ?? channels);
  const columns = Math.ceil(Math.sqrt(shown * (height / width)));
  const rows = Math.ceil(shown / columns);
  const scale = Math.max(1, Math.round((options.tile ?? Math.max(96, Math.max(height, width))) / Math.max(height, width)));
  const th = height * scale;
  const tw = width * scale;
  const gap = 2;
  const gridWidth = columns * tw + (columns + 1) * gap;
  const gridHeight = rows * th + (rows + 1) * gap;
  const out = new Uint8Array(gridWidth * gridHeight * 3).fill(255);
  const table = colormapTable(options.colormap ?? 'viridis');
  for (let c = 0; c < shown; c++) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = c; i < data.length; i += channels) {
      min = Math.min(min, data[i]);
      max = Math.max(max, data[i]);
    }
    const range = max - min;
    const ox = gap + (c % columns) * (tw + gap);
    const oy = gap + Math.floor(c / columns) * (th + gap);
    for (let y = 0; y < th; y++) {
      const sy = Math.floor(y / scale);
      for (let x = 0; x < tw; x++) {
        const v = data[(sy * width + Math.floor(x / scale)) * channels + c];
        // A constant channel (e.g. all zero after ReLU) shows as the colour map's low end.
        const level = range > 0 ? Math.round(((v - min) / range) * 255) : 0;
        const o = ((oy + y) * gridWidth + ox + x) * 3;
        out[o] = table[level * 3];
        out[o + 1] = table[level * 3 + 1];
        out[o + 2] = table[level * 3 + 2];
      }
    }
  }
  return { data: out, width: gridWidth, height: gridHeight, columns, rows, shown };
}

export interface ActivationGridResult extends Omit<FeatureMaps, 'data'> {
  shown: number;
  columns: number;
  rows: number;
  /** Size of the PNG written. */
  image: { width: number; height: number };
}

/** Write a layer's feature maps for an image as a grid with a caption (.png, .jpg or .webp). */
export async function activationGrid(
  model: tf.LayersModel,
  source: ImageSource,
  layerName: string,
  output: string,
  options: ActivationOptions & GridOptions = {},
): Promise<ActivationGridResult> {
  rasterFormatOf(output);
  const maps = await featureMaps(model, source, layerName, options);
  const grid = featureGrid(maps, options);
  const { default: sharp } = await import('sharp');
  const band = 26;
  const label = typeof source === 'string' ? source.split(/[\\/]/).pop() : 'image';
  const caption = `${maps.layer} · ${maps.height}×${maps.width}×${maps.channels}${grid.shown < maps.channels ? ` (first ${grid.shown} channels)` : ''} · ${label} · each channel scaled to its own min..max`;
  // DejaVu Sans at 12 px averages about 7 px a character.
  const width = Math.max(grid.width, caption.length * 7 + 16);
  const svg = captionSvg(caption, width, { height: band, fontSize: 12, baseline: 18 });
  await writeRaster(
    sharp(Buffer.from(grid.data), { raw: { width: grid.width, height: grid.height, channels: 3 } })
      .extend({ top: band, right: width - grid.width, background: '#ffffff' })
      .composite([{ input: Buffer.from(svg), top: 0, left: 0 }]),
    output,
  );
  const { data: _data, ...rest } = maps;
  return { ...rest, shown: grid.shown, columns: grid.columns, rows: grid.rows, image: { width, height: grid.height + band } };
}
