import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { evaluateImages, type Predictor } from '../src/evaluate/evaluate.js';
import { listLabelledImages, readClassIndex } from '../src/evaluate/labelled-folder.js';
import { sharedPath } from './shared.js';

const OUT = 'test-output/evaluate';
await mkdir(OUT, { recursive: true });

describe('evaluation bookkeeping', () => {
  it('--limit spreads the subset over the sorted folder; labels come from the synset prefix', async () => {
    const index = await readClassIndex(sharedPath('data/imagenet_class_index.json'));
    assert.equal(index.classes.length, 1000);
    const all = await listLabelledImages(sharedPath('data/imagenet-sample'), index);
    assert.equal(all.length, 1000);
    const some = await listLabelledImages(sharedPath('data/imagenet-sample'), index, 10);
    assert.deepEqual(
      some.map((i) => i.label),
      [0, 100, 200, 300, 400, 500, 600, 700, 800, 900],
    );
    assert.ok(some.every((i) => i.path.split('/').pop()!.startsWith(`${i.synset}_`)));
  });

  it('top-1 and top-5 count ranks of the true class (a fake engine decides them)', async () => {
    const index = await readClassIndex(sharedPath('data/imagenet_class_index.json'));
    const images = await listLabelledImages(sharedPath('data/imagenet-sample'), index, 6);
    // Image k gets its true class at rank k (0: top-1, 1-4: top-5 only, 5: miss).
    let seen = 0;
    const fake: Predictor = {
      inputShape: [32, 32, 3],
      async predict(batch) {
        const n = batch.shape[0];
        const data = new Float32Array(n * 1000);
        for (let i = 0; i < n; i++, seen++) {
          for (let c = 0; c < 1000; c++) data[i * 1000 + c] = c === images[seen].label ? 0 : -1;
          for (let r = 0; r < seen; r++) data[i * 1000 + ((images[seen].label + 1 + r) % 1000)] = 1; // `seen` classes above it
        }
        return { data, shape: [n, 1000] };
      },
    };
    const r = await evaluateImages(fake, images, { batchSize: 4 });
    assert.deepEqual(
      { images: r.images, correctTop1: r.correctTop1, correctTop5: r.correctTop5 },
      { images: 6, correctTop1: 1, correctTop5: 5 },
    );
    assert.equal(r.top1, 1 / 6);
  });

  it('a model without its top is refused, not scored as if its features were classes', async () => {
    const index = await readClassIndex(sharedPath('data/imagenet_class_index.json'));
    const images = await listLabelledImages(sharedPath('data/imagenet-sample'), index, 2);
    const features: Predictor = {
      inputShape: [32, 32, 3],
      async predict(batch) {
        const n = batch.shape[0];
        return { data: new Float32Array(n * 7 * 7 * 576), shape: [n, 7, 7, 576] };
      },
    };
    await assert.rejects(evaluateImages(features, images), /outputs \[7, 7, 576\] per image, not class scores/);
  });

  it('bad folders and class indexes: one-line errors', async () => {
    await writeFile(`${OUT}/bad-index.json`, '["n01440764"]');
    await assert.rejects(readClassIndex(`${OUT}/bad-index.json`), /not in Keras format/);
    await mkdir(`${OUT}/unlabelled`, { recursive: true });
    await writeFile(`${OUT}/unlabelled/cat.jpg`, 'x');
    const index = await readClassIndex(sharedPath('data/imagenet_class_index.json'));
    await assert.rejects(
      listLabelledImages(`${OUT}/unlabelled`, index),
      /cat\.jpg: "cat\.jpg" is not a class|cat\.jpg: "cat" is not a class/,
    );
    await mkdir(`${OUT}/empty`, { recursive: true });
    await assert.rejects(listLabelledImages(`${OUT}/empty`, index), /no images in/);
  });
});
