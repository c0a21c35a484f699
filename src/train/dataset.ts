/**
 * The training folder: one sub-folder per class (as Keras `image_dataset_from_directory` and
 * torchvision `ImageFolder` read it), class index = sorted folder name. Every way a folder can be
 * unusable is a `DataError` with one line that says what to change.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { listImageFiles } from '../images/files.js';
import { reasonOfCode } from '../io/read-file.js';
import { LABELS_FILE, RUN_MARKERS } from './output-files.js';
import { Random } from './random.js';

// One error class for bad data, shared with evaluation (src/errors.ts).
export { DataError } from '../errors.js';
import { DataError } from '../errors.js';

export interface Sample {
  /** Absolute or as-given path of the image file. */
  readonly path: string;
  /** Class index into `Dataset.classes`. */
  readonly label: number;
}

export interface Dataset {
  readonly root: string;
  /** Class names, sorted; the index is the label. */
  readonly classes: string[];
  readonly samples: Sample[];
  /**
   * Folders left out, with why: sub-folders that could not be listed (no permission), and an
   * earlier run's output folder inside the data folder (`train data -o data/model`).
   */
  readonly skipped?: { path: string; reason: string }[];
}

export interface ScanOptions {
  /** The output folder of this run: never a class, even before it holds anything. */
  exclude?: string;
}

export interface Split {
  readonly train: Sample[];
  readonly val: Sample[];
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `dir` holds a training run's output (labels.json and a model, metrics or checkpoint). */
async function holdsTrainingRun(dir: string): Promise<boolean> {
  const names = new Set(await readdir(dir).catch(() => [] as string[]));
  return names.has(LABELS_FILE) && RUN_MARKERS.some((n) => names.has(n));
}

export async function scanDataset(root: string, options: ScanOptions = {}): Promise<Dataset> {
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new DataError(`data folder ${root} does not exist`);
  if (!info.isDirectory()) throw new DataError(`${root} is not a folder: give a folder with one sub-folder of images per class`);
  let entries: string[];
  try {
    entries = (await readdir(root)).sort();
  } catch (error) {
    throw new DataError(
      `cannot read data folder ${root}: ${reasonOfCode((error as NodeJS.ErrnoException).code, (error as Error).message)}`,
    );
  }
  const excluded = options.exclude ? await realpath(options.exclude).catch(() => undefined) : undefined;
  const skipped: { path: string; reason: string }[] = [];
  const names: string[] = [];
  for (const name of entries) {
    const path = join(root, name);
    if (name.startsWith('.') || !(await isDirectory(path))) continue;
    if ((excluded && (await realpath(path).catch(() => undefined)) === excluded) || (await holdsTrainingRun(path))) {
      skipped.push({ path: name, reason: 'an output folder of mobilenetv3 train, not a class' });
      continue;
    }
    names.push(name);
  }
  if (names.length === 0)
    throw new DataError(
      `${root} has no class folders: put the images of each class in its own sub-folder (${join(root, '<class>', '*.jpg')})`,
    );
  if (names.length === 1) throw new DataError(`${root} has a single class folder (${names[0]}): a classifier needs at least two classes`);
  const samples: Sample[] = [];
  const empty: string[] = [];
  for (const [label, name] of names.entries()) {
    const folder = join(root, name);
    let unlisted: string | undefined;
    const files = await listImageFiles(folder, {
      onUnreadable: (path, reason) => {
        if (path === folder) unlisted = reason;
        skipped.push({ path: relative(root, path), reason });
      },
    });
    if (unlisted) throw new DataError(`cannot read class folder ${folder}: ${unlisted}`);
    if (files.length === 0) empty.push(name);
    for (const path of files) samples.push({ path, label });
  }
  if (empty.length)
    throw new DataError(
      `empty class folder${empty.length > 1 ? 's' : ''} in ${root}: ${empty.join(', ')} (every class needs images; remove the folder or add images)`,
    );
  return { root, classes: names, samples, skipped };
}

/** Drop samples that could not be decoded; fail if that leaves a class with none. */
export function withoutUnreadable(dataset: Dataset, unreadable: ReadonlySet<string>): Dataset {
  if (unreadable.size === 0) return dataset;
  const samples = dataset.samples.filter((s) => !unreadable.has(s.path));
  const counts = classCounts(dataset.classes.length, samples);
  const gone = dataset.classes.filter((_, i) => counts[i] === 0);
  if (gone.length)
    throw new DataError(`no readable image left in class folder${gone.length > 1 ? 's' : ''} ${gone.join(', ')} of ${dataset.root}`);
  return { ...dataset, samples };
}

export function classCounts(classes: number, samples: readonly Sample[]): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const s of samples) counts[s.label]++;
  return counts;
}

/**
 * Stratified split: each class keeps round(n * valSplit) images (at least one when valSplit > 0)
 * for validation, chosen by the seeded generator. A class too small to give both sides an image
 * is an error naming it.
 */
export function splitDataset(dataset: Dataset, valSplit: number, seed: number): Split {
  if (!(valSplit >= 0 && valSplit < 1)) throw new DataError(`--val-split must be in [0, 1), got ${valSplit}`);
  const random = new Random(seed);
  const train: Sample[] = [];
  const val: Sample[] = [];
  for (const [label, name] of dataset.classes.entries()) {
    const members = random.shuffle(dataset.samples.filter((s) => s.label === label));
    const nVal = valSplit > 0 ? Math.max(1, Math.round(members.length * valSplit)) : 0;
    if (members.length - nVal < 1) {
      const need = valSplit > 0 ? 2 : 1;
      throw new DataError(
        `class ${name} has ${members.length} image${members.length === 1 ? '' : 's'}: with --val-split ${valSplit} each class needs at least ${need} (one to train${valSplit > 0 ? ', one to validate' : ''})`,
      );
    }
    val.push(...members.slice(0, nVal));
    train.push(...members.slice(nVal));
  }
  const byPath = (a: Sample, b: Sample) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { train: train.sort(byPath), val: val.sort(byPath) };
}
