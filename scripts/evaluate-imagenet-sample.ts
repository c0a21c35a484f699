/**
 * The full accuracy check of the real Small weights: all 1000 photos of ../shared/data/imagenet-sample,
 * centre crop 0.875, bilinear resize to 224, TF.js wasm. Reference (../shared/weights/README.md):
 * top-1 83.1%, top-5 95.5%. The CI test runs 100 of the photos (test/weights-cli.test.ts).
 *
 *   node --import tsx scripts/evaluate-imagenet-sample.ts [path/to/shared]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../src/index.js';
import { readModelCard } from '../src/architecture/card.js';
import { evaluateImages } from '../src/evaluate/evaluate.js';
import { createTfjsEngine } from '../src/runtime/tfjs-engine.js';
import { listLabelledImages, readClassIndex } from '../src/evaluate/labelled-folder.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { loadKerasH5Weights } from '../src/weights/h5-file.js';
import { progressBar } from '../src/cli/progress.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const shared = process.argv[2] ?? [join(root, '../shared'), join(root, '../../shared')].find((p) => existsSync(join(p, 'weights')))!;
const REFERENCE = { small: { top1: 0.831, top5: 0.955 } };

await useTfBackend('wasm');
const model = buildModel({ arch: 'small' });
await loadKerasH5Weights(model, join(shared, 'weights/mobilenet_v3_small_224_1.0_float.h5'));
const images = await listLabelledImages(
  join(shared, 'data/imagenet-sample'),
  await readClassIndex(join(shared, 'data/imagenet_class_index.json')),
);
const bar = progressBar('evaluating', images.length, 'top-1 {top1}');
let last = 0;
const r = await evaluateImages(await createTfjsEngine(model), images, {
  input: readModelCard(model)!.input, // the card's contract: 0..255 pixels, centre crop 0.875
  batchSize: 16,
  onBatch(done, correct) {
    bar.tick(done - last, { top1: `${((100 * correct) / done).toFixed(1)}%` });
    last = done;
  },
});
bar.stop();
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log('| weights | images | top-1 | top-5 | reference top-1 | reference top-5 | images/s (TF.js wasm) |');
console.log('|---|---|---|---|---|---|---|');
console.log(
  `| mobilenet_v3_small_224_1.0_float.h5 | ${r.images} | ${pct(r.top1)} | ${pct(r.top5)} | ${pct(REFERENCE.small.top1)} | ${pct(REFERENCE.small.top5)} | ${r.imagesPerSecond.toFixed(1)} |`,
);
if (r.top1 < 0.8) process.exitCode = 1;
