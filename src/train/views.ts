/**
 * The views of an image the backbone sees: view 0 is the evaluation view (centre crop of 87.5%
 * of the shorter side, as Keras/TF and torchvision evaluate); with --augment, views 1..k are
 * random-resized crops (Inception-style: 35-100% of the area, aspect 3:4..4:3) with a random
 * horizontal flip. Each view's parameters come from the seed, the sample and the view number
 * only, so extraction can be redone identically on --resume.
 */
import type { Region } from '../images/geometry.js';
import { Random } from './random.js';

export const EVAL_CROP = 0.875;

function viewRandom(seed: number, sample: number, view: number): Random {
  return new Random((seed * 2654435761) ^ (sample * 40503) ^ (view * 9973));
}

/** Whether augmented view `view` (>= 1) of sample `sample` is mirrored. */
export function viewFlip(seed: number, sample: number, view: number): boolean {
  return viewRandom(seed, sample, view).next() < 0.5;
}

/** The crop region of augmented view `view` (>= 1) of sample `sample` in an image of this size. */
export function viewRegion(width: number, height: number, seed: number, sample: number, view: number): Region {
  const random = viewRandom(seed, sample, view);
  random.next();
  const area = width * height;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * random.uniform(0.35, 1);
    const aspect = Math.exp(random.uniform(Math.log(3 / 4), Math.log(4 / 3)));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w >= 1 && h >= 1 && w <= width && h <= height) {
      const left = Math.floor(random.uniform(0, width - w + 1));
      const top = Math.floor(random.uniform(0, height - h + 1));
      return { left, top, width: w, height: h };
    }
  }
  const side = Math.min(width, height);
  return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), width: side, height: side };
}
