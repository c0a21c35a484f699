/**
 * A folder of labelled photos as ImageNet samples are named, `<synset>_<anything>.JPEG`, plus a
 * Keras-format class index (`{"0": ["n01440764", "tench"], ...}`) mapping synsets to the model's
 * output indices.
 */
import { readdir } from 'node:fs/promises';
import { type FileReadError, readTextFile } from '../io/read-file.js';
import { join } from 'node:path';
import { isImageFileName } from '../images/index.js';

/** The evaluation folder's bad-data error is the library's one `DataError` (kept under its old name). */
export { DataError as DatasetError } from '../errors.js';
import { DataError as DatasetError } from '../errors.js';

export interface ClassIndex {
  /** Output index -> [synset, human-readable name]. */
  readonly classes: readonly (readonly [string, string])[];
  readonly bySynset: ReadonlyMap<string, number>;
}

export interface LabelledImage {
  readonly path: string;
  readonly synset: string;
  readonly label: number;
}

export async function readClassIndex(path: string): Promise<ClassIndex> {
  let text: string;
  try {
    text = await readTextFile(path, 'class index');
  } catch (error) {
    const code = (error as FileReadError).code;
    throw new DatasetError(code === 'ENOENT' ? `class index not found: ${path}` : (error as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DatasetError(`class index ${path} is not valid JSON`);
  }
  const entries = json && typeof json === 'object' ? Object.entries(json as Record<string, unknown>) : [];
  const classes: [string, string][] = [];
  for (const [key, value] of entries) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || !Array.isArray(value) || typeof value[0] !== 'string') {
      throw new DatasetError(`class index ${path} is not in Keras format ({"0": ["n01440764", "tench"], ...})`);
    }
    classes[i] = [value[0], String(value[1] ?? value[0])];
  }
  if (classes.length === 0 || classes.some((c) => c === undefined)) throw new DatasetError(`class index ${path} is empty or has gaps`);
  return { classes, bySynset: new Map(classes.map(([synset], i) => [synset, i])) };
}

/**
 * The images of `dir` (sorted by name) with their labels. `limit` keeps that many spread evenly
 * over the sorted list, so a subset still covers the classes. `index` may be a loader, called only
 * once the folder is known to hold images: a mistyped folder then fails before any download.
 */
export async function listLabelledImages(
  dir: string,
  index: ClassIndex | (() => Promise<ClassIndex>),
  limit?: number,
): Promise<LabelledImage[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isImageFileName).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(
      code === 'ENOENT'
        ? `image folder not found: ${dir}`
        : code === 'ENOTDIR'
          ? `not a folder: ${dir}`
          : `cannot read folder ${dir}: ${(error as Error).message}`,
    );
  }
  if (names.length === 0) throw new DatasetError(`no images in ${dir}`);
  const { bySynset } = typeof index === 'function' ? await index() : index;
  const images = names.map((name): LabelledImage => {
    const synset = name.split('_')[0];
    const label = bySynset.get(synset);
    if (label === undefined)
      throw new DatasetError(`${name}: "${synset}" is not a class of the class index (files must be named <synset>_*.JPEG)`);
    return { path: join(dir, name), synset, label };
  });
  if (limit === undefined || limit >= images.length) return images;
  return Array.from({ length: limit }, (_, i) => images[Math.floor((i * images.length) / limit)]);
}
