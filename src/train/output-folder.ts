/**
 * The output folder's rules: a new or empty folder, or one holding an earlier run of the same
 * task (same classes, same architecture), which is overwritten, or resumed with --resume. A
 * folder with another model or with unrelated files is refused, so training never mixes two
 * models' files or deletes someone's work.
 */
import { access, constants, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CHECKPOINT_FILE, readCheckpointHeader } from './checkpoint.js';
import { readTextFile } from '../io/read-file.js';
import { DataError } from './dataset.js';
import { LABELS_FILE, METRICS_FILE } from './output-files.js';

export { LABELS_FILE, METRICS_FILE } from './output-files.js';

/** The files a training run writes (anything else in the folder makes it "not ours"). */
export const OUTPUT_FILES = new Set([
  LABELS_FILE,
  METRICS_FILE,
  CHECKPOINT_FILE,
  'model.json',
  'model.weights.bin',
  'model.h5',
  'model.keras',
  'model.onnx',
  'curves.png',
  'confusion.png',
]);

export interface PreviousRun {
  classes: string[];
  arch: string;
  hasCheckpoint: boolean;
}

async function readPrevious(dir: string, names: string[]): Promise<PreviousRun | undefined> {
  const hasCheckpoint = names.includes(CHECKPOINT_FILE);
  if (hasCheckpoint) {
    const header = await readCheckpointHeader<{ arch: string }>(join(dir, CHECKPOINT_FILE)).catch(() => {
      throw new DataError(`${join(dir, CHECKPOINT_FILE)} is not a readable checkpoint: remove it or choose another output folder`);
    });
    return { classes: header.classes, arch: header.config.arch, hasCheckpoint };
  }
  if (names.includes(LABELS_FILE) && names.includes(METRICS_FILE)) {
    // Files of those names that are not what a run writes make the folder someone else's.
    const json = (name: string): Promise<unknown> =>
      readTextFile(join(dir, name))
        .then((text) => JSON.parse(text) as unknown)
        .catch(() => undefined);
    const classes = await json(LABELS_FILE);
    const metrics = (await json(METRICS_FILE)) as { config?: { arch?: unknown } } | undefined;
    if (Array.isArray(classes) && classes.every((c) => typeof c === 'string') && metrics && typeof metrics === 'object') {
      return { classes, arch: String(metrics.config?.arch ?? 'unknown'), hasCheckpoint };
    }
  }
  return undefined;
}

/** Check `dir` can take this run; returns the previous run found there, if any. */
export async function checkOutputFolder(dir: string, classes: string[], arch: string, resume: boolean): Promise<PreviousRun | undefined> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) {
    if (resume) throw new DataError(`nothing to resume: ${dir} does not exist`);
    return undefined;
  }
  if (!info.isDirectory()) throw new DataError(`output ${dir} exists and is not a folder`);
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  if (names.length === 0) {
    if (resume) throw new DataError(`nothing to resume: ${dir} is empty`);
    return undefined;
  }
  const previous = await readPrevious(dir, names);
  if (!previous) {
    throw new DataError(`output folder ${dir} is not empty and holds no training run of mobilenetv3: choose a new or empty folder`);
  }
  // --resume takes the architecture (and every other setting) from the checkpoint.
  const same =
    (resume || previous.arch === arch) && previous.classes.length === classes.length && previous.classes.every((c, i) => c === classes[i]);
  if (!same) {
    const shown = previous.classes.length > 6 ? `${previous.classes.slice(0, 6).join(', ')}, ...` : previous.classes.join(', ');
    throw new DataError(
      `${dir} already holds a different model (${previous.arch}, classes ${shown}): choose another output folder or delete it`,
    );
  }
  if (resume && !previous.hasCheckpoint) throw new DataError(`nothing to resume: ${dir} has no ${CHECKPOINT_FILE}`);
  const foreign = names.filter((n) => !OUTPUT_FILES.has(n));
  if (foreign.length)
    throw new DataError(
      `output folder ${dir} also holds other files (${foreign.slice(0, 3).join(', ')}): choose a folder with only this run's files`,
    );
  return previous;
}

/**
 * Make sure the output folder can take files, before the long work (otherwise an unwritable -o
 * would only fail when the first epoch's checkpoint is written), without creating it: a run that
 * then stops on its data (every image unreadable) leaves no empty folder behind. The files' own
 * atomic writes create it.
 */
export async function prepareOutputFolder(dir: string): Promise<void> {
  // The folder itself if it exists, else the nearest folder above it that does.
  let probe = resolve(dir);
  for (;;) {
    const info = await stat(probe).catch((error: NodeJS.ErrnoException) => error);
    if (!(info instanceof Error)) {
      if (!info.isDirectory()) throw new DataError(`cannot write to output folder ${dir}: part of the path is a file`);
      break;
    }
    if (info.code !== 'ENOENT' || dirname(probe) === probe) throw new DataError(`cannot write to output folder ${dir}: ${why(info)}`);
    probe = dirname(probe);
  }
  await access(probe, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
    throw new DataError(`cannot write to output folder ${dir}: ${why(error)}`);
  });
}

function why(error: NodeJS.ErrnoException): string {
  const code = error.code;
  return code === 'EACCES' || code === 'EPERM'
    ? 'permission denied'
    : code === 'ENOTDIR' || code === 'EEXIST'
      ? 'part of the path is a file'
      : code === 'EROFS'
        ? 'read-only file system'
        : error.message;
}
