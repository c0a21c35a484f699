/**
 * Command-line image arguments -> image files: files as given, folders walked recursively (image
 * extensions only, sorted), glob patterns expanded (for shells that did not, or quoted patterns).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { isImageFileName } from '../images/formats.js';

export interface CollectedInputs {
  /** Image files, in argument order (folders and globs sorted). */
  files: string[];
  /** Arguments that gave nothing: one line each. */
  problems: { source: string; error: string }[];
  /** Whether a folder or glob was expanded (the CLI then shows a progress bar). */
  expanded: boolean;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(path)));
    else if (e.isFile() && isImageFileName(e.name)) out.push(path);
  }
  return out;
}

export async function collectImageFiles(args: readonly string[]): Promise<CollectedInputs> {
  const result: CollectedInputs = { files: [], problems: [], expanded: false };
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (info?.isDirectory()) {
      result.expanded = true;
      const files = await walk(arg);
      if (files.length === 0) result.problems.push({ source: arg, error: `no image files in folder ${arg}` });
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
