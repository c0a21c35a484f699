/**
 * Running the frozen part of the network once per image view with the fast engine and keeping
 * its outputs: pooled features for stage 1, cut-point activations for stage 2 (both from one
 * decode of each image). Unreadable images are not fatal: they are collected with their reason.
 */
import { ImageError, readImage, stackImages, type ImageTensor } from '../images/index.js';
import type { InputContract } from '../architecture/card.js';
import type { Engine } from '../runtime/engine.js';
import { viewFlip, viewRegion } from './views.js';

/** What training takes from the model card's input contract. */
export type InputPrep = Pick<InputContract, 'scale' | 'offset' | 'crop'>;

export interface ViewItem {
  /** Index of the sample in the dataset (seeds its augmented views). */
  readonly sample: number;
  readonly path: string;
  /** 0: evaluation view; >= 1: augmented views. */
  readonly view: number;
}

/** Outputs of one engine for a list of items, row i = item i. */
export interface FeatureTable {
  readonly rowShape: number[];
  readonly rowSize: number;
  readonly data: Float32Array;
}

export interface ExtractOptions {
  size: [number, number];
  /** The model card's input contract: per-channel scale and offset on 0..255 pixels, evaluation crop. */
  input: InputPrep;
  seed: number;
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

export interface Extraction {
  tables: FeatureTable[];
  /** path -> reason, for items that could not be decoded (their rows stay zero). */
  unreadable: Map<string, string>;
}

/** One view of an image: view 0 the evaluation crop, others their seeded random-resized crop + flip. */
export function readView(item: ViewItem, o: Pick<ExtractOptions, 'size' | 'input' | 'seed'>): Promise<ImageTensor> {
  if (item.view === 0) return readImage(item.path, { size: o.size, crop: o.input.crop ?? undefined, normalise: o.input });
  return readImage(item.path, {
    size: o.size,
    normalise: o.input,
    region: ({ width, height }) => viewRegion(width, height, o.seed, item.sample, item.view),
    flip: viewFlip(o.seed, item.sample, item.view),
  });
}

export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor() {
    super('interrupted');
  }
}

export async function extractFeatures(items: readonly ViewItem[], engines: readonly Engine[], o: ExtractOptions): Promise<Extraction> {
  const batchSize = o.batchSize ?? 32;
  const tables = engines.map((engine) => {
    const rowShape = [...engine.outputShape];
    const rowSize = rowShape.reduce((a, b) => a * b, 1);
    return { rowShape, rowSize, data: new Float32Array(items.length * rowSize) };
  });
  const unreadable = new Map<string, string>();
  // Decode the next batch while the engines run this one.
  const decode = (start: number) =>
    Promise.all(
      items.slice(start, start + batchSize).map(async (item) => {
        if (unreadable.has(item.path)) return undefined;
        try {
          return await readView(item, o);
        } catch (error) {
          if (!(error instanceof ImageError)) throw error;
          unreadable.set(item.path, error.message.replace(/^cannot read image \S+: /, ''));
          return undefined;
        }
      }),
    );
  let pending = decode(0);
  for (let start = 0; start < items.length; start += batchSize) {
    if (o.signal?.aborted) throw new Interrupted();
    const images = await pending;
    pending = start + batchSize < items.length ? decode(start + batchSize) : Promise.resolve([]);
    const good = images
      .map((image, i) => ({ image, row: start + i }))
      .filter((g): g is { image: ImageTensor; row: number } => g.image !== undefined);
    if (good.length) {
      const batch = stackImages(good.map((g) => g.image));
      for (const [e, engine] of engines.entries()) {
        const out = await engine.predict(batch);
        const { rowSize, data } = tables[e];
        good.forEach((g, i) => data.set(out.data.subarray(i * rowSize, (i + 1) * rowSize), g.row * rowSize));
      }
    }
    o.onProgress?.(Math.min(start + batchSize, items.length), items.length);
  }
  await pending;
  return { tables, unreadable };
}

/** The rows of `table` for `rows`, as a new table. */
export function selectRows(table: FeatureTable, rows: readonly number[]): FeatureTable {
  const data = new Float32Array(rows.length * table.rowSize);
  rows.forEach((r, i) => data.set(table.data.subarray(r * table.rowSize, (r + 1) * table.rowSize), i * table.rowSize));
  return { rowShape: table.rowShape, rowSize: table.rowSize, data };
}
