/**
 * The image files under a folder, for every command that takes one (train's class folders,
 * classify's folder arguments): walked recursively in sorted order, image extensions only, hidden
 * entries skipped (".git", macOS "._photo.jpg" forks), symbolic links followed (a folder of links
 * is a common way to assemble a dataset), each real folder listed once (so a link loop ends).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isImageFileName } from './formats.js';

export async function listImageFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const listed = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    const real = await realpath(folder);
    if (listed.has(real)) return;
    listed.add(real);
    for (const name of (await readdir(folder)).sort()) {
      if (name.startsWith('.')) continue;
      const path = join(folder, name);
      const info = await stat(path).catch(() => undefined); // a broken link: nothing to read
      if (info?.isDirectory()) await walk(path);
      else if (info?.isFile() && isImageFileName(name)) found.push(path);
    }
  };
  await walk(dir);
  return found;
}
