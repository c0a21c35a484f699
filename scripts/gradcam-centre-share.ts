/**
 * How central is the heat? For elephant.jpg and 20 photos of ../shared/data/imagenet-sample
 * (every 50th), the share of Grad-CAM / Grad-CAM++ heat inside the centred box holding half the
 * image's area (0.5 = no preference for the centre; ImageNet objects are mostly central). This is
 * the measurement behind explain's default method.
 *
 *   npx tsx scripts/gradcam-centre-share.ts [--weights <small.h5>]
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildModel } from '../src/architecture/builder.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { gradCam, upsample, type CamMethod } from '../src/visualize/explain.js';
import { loadKerasH5Weights } from '../src/weights/h5-file.js';

const root = new URL('..', import.meta.url).pathname;
const shared =
  ['../shared', '../../shared'].map((p) => join(root, p)).find((p) => existsSync(join(p, 'weights'))) ?? join(root, '../shared');
const { values } = parseArgs({
  options: { weights: { type: 'string', default: join(shared, 'weights/mobilenet_v3_small_224_1.0_float.h5') } },
});

function centralShare(cam: Float32Array, h: number, w: number): number {
  const size = 224;
  const heat = upsample(cam, h, w, size, size);
  const lo = (size * (1 - Math.SQRT1_2)) / 2;
  const hi = size - lo;
  let inside = 0;
  let total = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = heat[y * size + x];
      total += v;
      if (x >= lo && x < hi && y >= lo && y < hi) inside += v;
    }
  }
  return inside / total;
}

await useTfBackend('wasm');
const model = buildModel({ arch: 'small' });
await loadKerasH5Weights(model, values.weights as string);
const dir = join(shared, 'data/imagenet-sample');
const photos = readdirSync(dir)
  .sort()
  .filter((_, i) => i % 50 === 7)
  .map((f) => join(dir, f));
const methods: CamMethod[] = ['gradcam', 'gradcam++'];
console.log(`| image | ${methods.join(' | ')} |`);
console.log(`|---|${methods.map(() => '--:').join('|')}|`);
const sums = methods.map(() => 0);
for (const image of [join(shared, 'data/elephant.jpg'), ...photos]) {
  const shares: number[] = [];
  for (const method of methods) {
    const r = await gradCam(model, image, { method });
    shares.push(centralShare(r.cam, r.camHeight, r.camWidth));
  }
  if (!image.endsWith('elephant.jpg')) shares.forEach((s, i) => (sums[i] += s));
  console.log(`| ${image.split('/').pop()} | ${shares.map((s) => s.toFixed(3)).join(' | ')} |`);
}
console.log(`| mean of the ${photos.length} photos | ${sums.map((s) => (s / photos.length).toFixed(3)).join(' | ')} |`);
