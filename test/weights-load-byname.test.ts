/**
 * `loadWeights(backbone, source, { byName: true, skipMismatch: false })`, as `train` loads its
 * backbone (no top, pooling 'avg'): from a Keras 3 `.keras` (full model or with a Dense head), a
 * `.weights.h5`, and a torchvision `.pth` into a backbone built for it; a `.pth` or
 * `torchvision` into a Keras-padded backbone is refused in one line before anything is read or
 * downloaded.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import { buildModel, type ModelOptions } from '../src/index.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { attachClassifier } from '../src/train/classifier.js';
import { saveKerasArchive } from '../src/weights/keras3/file.js';
import { writeKeras3WeightsH5 } from '../src/weights/keras3/weights-h5.js';
import { loadWeights } from '../src/weights/load.js';
import { buildModelFromPth } from '../src/weights/pth/file.js';
import { randomizeWeights } from './helpers.js';

await useTfBackend('wasm');

const OUT = join(fileURLToPath(new URL('..', import.meta.url)), 'test-output', 'weights-load-byname');
mkdirSync(OUT, { recursive: true });
const PTH = fileURLToPath(new URL('fixtures/pth/small-5class.pth', import.meta.url));
const BACKBONE: ModelOptions = { arch: 'small', alpha: 0.75, includeTop: false, pooling: 'avg' };

/** Every weighted layer of `backbone` holds the values of the layer of the same name in `source`. */
function sameByName(backbone: tf.LayersModel, source: tf.LayersModel): void {
  let layers = 0;
  for (const layer of backbone.layers.filter((l) => l.weights.length > 0)) {
    const theirs = source.getLayer(layer.name).getWeights();
    layer.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), theirs[i].dataSync(), layer.name));
    layers++;
  }
  assert.ok(layers > 50);
}

describe('loadWeights by name into a backbone (train)', () => {
  const sources: [string, () => tf.LayersModel, (m: tf.LayersModel, path: string) => Promise<void>][] = [
    ['.keras with Keras top (7 classes)', () => buildModel({ arch: 'small', alpha: 0.75, classes: 7 }), (m, p) => saveKerasArchive(m, p)],
    [
      '.keras with a Dense head',
      () => attachClassifier(buildModel(BACKBONE), { classes: ['x', 'y'], dropout: 0.1 }),
      (m, p) => saveKerasArchive(m, p),
    ],
    [
      '.weights.h5 with Keras top (7 classes)',
      () => buildModel({ arch: 'small', alpha: 0.75, classes: 7 }),
      async (m, p) => writeFileAtomic(p, await writeKeras3WeightsH5(m)),
    ],
  ];
  for (const [name, make, save] of sources) {
    it(name, async () => {
      const source = make();
      randomizeWeights(source, 21);
      const path = join(OUT, name.startsWith('.keras') ? `${name.length}.keras` : 'top.weights.h5');
      await save(source, path);
      const backbone = buildModel(BACKBONE);
      const report = await loadWeights(backbone, path, { byName: true, skipMismatch: false });
      assert.deepEqual(report.missing, []);
      assert.deepEqual(report.skipped, []);
      sameByName(backbone, source);
      backbone.dispose();
      source.dispose();
    });
  }

  it("a torchvision .pth into a backbone built for it (symmetric padding, no Rescaling), its card gets torchvision's mean/std", async () => {
    const backbone = buildModel({ arch: 'small', includeTop: false, pooling: 'avg', padding: 'symmetric', includePreprocessing: false });
    const report = await loadWeights(backbone, PTH, { byName: true, skipMismatch: false });
    assert.deepEqual(report.missing, []);
    assert.ok(report.unused.some((u) => u.startsWith('classifier.')));
    const full = (await buildModelFromPth(PTH)).model;
    sameByName(backbone, full);
    const { readModelCard } = await import('../src/architecture/card.js');
    assert.deepEqual(readModelCard(backbone)?.input.mean, [0.485, 0.456, 0.406]);
    assert.deepEqual(readModelCard(backbone)?.input.offset, readModelCard(full)?.input.offset);
    backbone.dispose();
    full.dispose();
  });

  it('refuses a .pth or torchvision into a Keras-padded backbone in one line, before reading or downloading', async () => {
    const backbone = buildModel({ arch: 'small', includeTop: false, pooling: 'avg' });
    for (const source of [PTH, 'torchvision']) {
      await assert.rejects(
        loadWeights(backbone, source, { byName: true, skipMismatch: false, baseUrl: 'http://127.0.0.1:9/' } as never),
        (e: Error) =>
          e.name === 'WeightsError' &&
          /holds PyTorch-trained weights, which need a model built with padding 'symmetric'/.test(e.message) &&
          !e.message.includes('\n'),
      );
    }
    backbone.dispose();
  });
});
