/**
 * The image files under a folder, for every command that takes one (train's class folders,
 * classify's folder arguments): walked recursively in sorted order, image extensions only, hidden
 * entries skipped (".git", macOS "._photo.jpg" forks), symbolic links followed (a folder of links
 * is a common way to assemble a dataset) but each real folder and each real file taken once, and a
 * link back up to the folder walked or above it (`cats/up -> ..`) not followed: it would pull the
 * sibling folders (other classes) in. A folder that cannot be listed (no permission) is skipped
 * and told to `onUnreadable`, so the readable images still count.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { reasonOfCode } from '../io/read-file.js';
import { isImageFileName } from './formats.js';

export interface ListOptions {
  /** Called for each folder that could not be listed (the walk goes on without it). */
  onUnreadable?: (path: string, reason: string) => void;
}

const within = (path: string, folder: string) => path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);

export async function listImageFiles(dir: string, options: ListOptions = {}): Promise<string[]> {
  const found: string[] = [];
  const listed = new Set<string>();
  const seenFiles = new Set<string>();
  const unreadable = (path: string, error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    options.onUnreadable?.(path, reasonOfCode(code, (error as Error).message));
  };
  let top: string;
  try {
    top = await realpath(dir);
  } catch (error) {
    unreadable(dir, error);
    return found;
  }
  const walk = async (folder: string): Promise<void> => {
    const real = await realpath(folder).catch(() => undefined);
    if (real === undefined || listed.has(real)) return;
    // A link to the top folder or above it loops back over what is being walked (and its siblings).
    if (real !== top && within(top, real)) return;
    listed.add(real);
    let names: string[];
    try {
      names = (await readdir(folder)).sort();
    } catch (error) {
      unreadable(folder, error);
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(folder, name);
      const info = await stat(path).catch(() => undefined); // a broken link: nothing to read
      if (info?.isDirectory()) await walk(path);
      else if (info?.isFile() && isImageFileName(name)) {
        const realFile = await realpath(path).catch(() => path);
        if (seenFiles.has(realFile)) continue;
        seenFiles.add(realFile);
        found.push(path);
      }
    }
  };
  await walk(dir);
  return found;
}
