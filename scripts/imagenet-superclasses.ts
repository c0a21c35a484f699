/**
 * A real transfer-learning task from the 1000 ImageNet sample photos of ../shared: group them
 * into super-classes by ImageNet class index (sorted file order = class index) and lay them out
 * as a training folder of symlinks in a temporary directory (the photos are never copied).
 */
import { mkdir, mkdtemp, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedPath } from '../test/shared.js';

export const SAMPLE_DIR = sharedPath('data/imagenet-sample');

const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Super-class -> ImageNet class indices. */
export const SUPERCLASSES: Record<string, number[]> = {
  dogs: span(151, 268),
  birds: [...span(7, 24), ...span(80, 100), ...span(127, 146)],
  'reptiles-amphibians': span(25, 68),
  insects: span(300, 326),
  'fish-aquatic': [...span(0, 6), ...span(389, 397)],
  'road-vehicles': [407, 436, 468, 511, 555, 569, 573, 575, 609, 627, 654, 656, 661, 675, 717, 734, 751, 779, 817, 864, 867, 874],
};

/**
 * Make `<tmp>/<superclass>/<photo>` symlinks; `perClass` caps each class (the first photos in
 * index order) for the small CI version. Returns the folder.
 */
export async function makeSuperclassFolder(
  groups: Record<string, number[]> = SUPERCLASSES,
  perClass = Infinity,
  root?: string,
): Promise<string> {
  const photos = (await readdir(SAMPLE_DIR)).filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (photos.length !== 1000) throw new Error(`expected 1000 photos in ${SAMPLE_DIR}, found ${photos.length}`);
  const dir = root ?? (await mkdtemp(join(tmpdir(), 'mobilenetv3-superclasses-')));
  for (const [name, indices] of Object.entries(groups)) {
    await mkdir(join(dir, name), { recursive: true });
    for (const i of indices.slice(0, perClass)) await symlink(join(SAMPLE_DIR, photos[i]), join(dir, name, photos[i]));
  }
  return dir;
}
