/**
 * Command-line image arguments -> image files: files as given, folders walked recursively
 * (`listImageFiles`: image extensions only, sorted, links followed), glob patterns expanded (for
 * shells that did not, or quoted patterns).
 */
import { stat } from 'node:fs/promises';
import { glob, isDynamicPattern } from 'tinyglobby';
import { listImageFiles } from '../images/files.js';
import { isImageFileName } from '../images/formats.js';

export interface CollectedInputs {
  /** Image files, in argument order (folders and globs sorted). */
  files: string[];
  /** Arguments that gave nothing: one line each. */
  problems: { source: string; error: string }[];
  /** Whether a folder or glob was expanded (the CLI then shows a progress bar). */
  expanded: boolean;
}

export async function collectImageFiles(args: readonly string[]): Promise<CollectedInputs> {
  const result: CollectedInputs = { files: [], problems: [], expanded: false };
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (info?.isDirectory()) {
      result.expanded = true;
      // A sub-folder that cannot be listed is one problem; the readable images are still classified.
      let unreadable = 0;
      const files = await listImageFiles(arg, {
        onUnreadable: (path, reason) => {
          unreadable++;
          result.problems.push({ source: path, error: `cannot read folder ${path}: ${reason}` });
        },
      });
      if (files.length === 0 && unreadable === 0) result.problems.push({ source: arg, error: `no image files in folder ${arg}` });
      result.files.push(...files);
    } else if (info) {
      result.files.push(arg);
    } else if (isDynamicPattern(arg)) {
      result.expanded = true;
      const files = (await glob(arg, { onlyFiles: true, expandDirectories: false })).filter(isImageFileName).sort();
      if (files.length === 0) result.problems.push({ source: arg, error: `no image files match ${arg}` });
      result.files.push(...files);
    } else {
      result.problems.push({ source: arg, error: `cannot read image ${arg}: no such file` });
    }
  }
  return result;
}
