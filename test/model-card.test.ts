/**
 * The model card (src/architecture/card.ts): defaults from the options, what loading weights and
 * training write into it, how it travels through TF.js files and ONNX metadata (and the 0.1
 * fallback), and one-line errors for a damaged card.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildModel } from '../src/architecture/builder.js';
import {
  defaultModelCard,
  meanStdContract,
  parseModelCard,
  readModelCard,
  recordWeights,
  trainedModelCard,
  updateModelCard,
} from '../src/architecture/card.js';
import { resolveOptions } from '../src/architecture/options.js';
import { classNames } from '../src/classify/class-names.js';
import { IMAGENET_CLASSES } from '../src/classify/imagenet-classes.js';
import { exportOnnx } from '../src/export/onnx/export.js';
import { cardOf, readOnnxMetadata } from '../src/export/onnx/metadata.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { attachClassifier, readLabels } from '../src/train/classifier.js';
import { loadTfjsModel, saveTfjsModel } from '../src/weights/tfjs-files.js';

const OUT = join(import.meta.dirname, '..', 'test-output', 'model-card');

describe('model card', () => {
  before(async () => {
    await useTfBackend('cpu');
    mkdirSync(OUT, { recursive: true });
  });

  it('defaults: raw pixels with the Rescaling layer, [-1, 1] without, crop 0.875, no labels', () => {
    const withLayer = defaultModelCard(resolveOptions({ arch: 'small', inputShape: [160, 192, 3] }));
    assert.deepEqual(withLayer.input.size, [160, 192]);
    assert.deepEqual([withLayer.input.scale, withLayer.input.offset, withLayer.input.crop], [[1, 1, 1], [0, 0, 0], 0.875]);
    assert.deepEqual(withLayer.input.inModel, { scale: 1 / 127.5, offset: -1 });
    const without = defaultModelCard(resolveOptions({ includePreprocessing: false }));
    assert.deepEqual(
      [without.input.scale, without.input.offset, without.input.inModel],
      [[1 / 127.5, 1 / 127.5, 1 / 127.5], [-1, -1, -1], null],
    );
    assert.equal(withLayer.labels, null);
  });

  it('mean/std as scale/offset on 0..255 pixels: (x / 255 - mean) / std', () => {
    const { scale, offset } = meanStdContract([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    const pixel = 200;
    assert.ok(Math.abs(pixel * scale[1] + offset[1] - (pixel / 255 - 0.456) / 0.224) < 1e-12);
  });

  it('recordWeights keeps labels only when they fit the outputs', () => {
    const top = buildModel({ arch: 'small', inputShape: [32, 32, 3] });
    recordWeights(top, { source: 'imagenet', id: 'x' }, { labels: IMAGENET_CLASSES, input: { crop: 0.9 } });
    assert.equal(readModelCard(top)?.labels?.[386], IMAGENET_CLASSES[386]);
    assert.equal(readModelCard(top)?.input.crop, 0.9);
    const five = buildModel({ arch: 'small', inputShape: [32, 32, 3], classes: 5 });
    recordWeights(five, { source: 'imagenet' }, { labels: IMAGENET_CLASSES });
    assert.equal(readModelCard(five)?.labels, null);
    assert.equal(readModelCard(five)?.weights?.source, 'imagenet');
  });

  it('a trained model carries its class names in its card, through model.json and ONNX', async () => {
    const backbone = buildModel({ arch: 'small', inputShape: [32, 32, 3], includeTop: false, pooling: 'avg', includePreprocessing: false });
    const model = attachClassifier(backbone, { classes: ['cat', 'dog', 'eel'], dropout: 0.2, seed: 1 });
    const card = readModelCard(model)!;
    assert.deepEqual(card.labels, ['cat', 'dog', 'eel']);
    assert.equal(card.weights?.source, 'trained');
    assert.deepEqual(card.input.offset, [-1, -1, -1], "the backbone's contract");
    assert.deepEqual(readLabels(model), ['cat', 'dog', 'eel']);
    await saveTfjsModel(model, join(OUT, 'model.json'));
    const loaded = await loadTfjsModel(join(OUT, 'model.json'));
    assert.deepEqual(readModelCard(loaded), card);
    const fromOnnx = cardOf(readOnnxMetadata(exportOnnx(loaded)));
    assert.deepEqual(fromOnnx, card);
    assert.deepEqual(classNames(fromOnnx, 3), ['cat', 'dog', 'eel']);
  });

  it('travels in a Keras .h5 written here (root attribute mobilenetv3_card) and comes back with the weights', async () => {
    const { kerasWeightsFromModel } = await import('../src/weights/apply.js');
    const { readKerasH5, writeKerasH5 } = await import('../src/weights/keras-h5.js');
    const { loadWeights } = await import('../src/weights/load.js');
    const { writeFile } = await import('node:fs/promises');
    const source = buildModel({ arch: 'small', inputShape: [32, 32, 3], classes: 2, includePreprocessing: false });
    updateModelCard(source, {
      input: { ...readModelCard(source)!.input, ...meanStdContract([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]), crop: 0.9 },
      labels: ['yes', 'no'],
      weights: { source: 'trained' },
    });
    const bytes = await writeKerasH5(kerasWeightsFromModel(source));
    assert.equal(JSON.parse((await readKerasH5(bytes)).modelCard!).labels[1], 'no');
    const file = join(OUT, 'carded.h5');
    await writeFile(file, bytes);
    const target = buildModel({ arch: 'small', inputShape: [48, 48, 3], classes: 2, includePreprocessing: false });
    await loadWeights(target, file);
    const card = readModelCard(target)!;
    assert.deepEqual(
      [card.labels, card.input.crop, card.input.mean, card.weights?.source],
      [['yes', 'no'], 0.9, [0.5, 0.5, 0.5], 'trained'],
    );
    assert.deepEqual(card.input.size, [48, 48], 'the model keeps its own input size');
  });

  it('reads a 0.1 ONNX export (options and labels only) as the card those options give', () => {
    const options = resolveOptions({ arch: 'small', includePreprocessing: false });
    const card = cardOf({ options: JSON.stringify(options), labels: '["a","b"]' });
    assert.deepEqual(card?.input.offset, [-1, -1, -1]);
    assert.deepEqual(card?.labels, ['a', 'b']);
    assert.equal(cardOf({ producer: 'someone else' }), undefined);
  });

  it('a damaged card is one line naming what is wrong', () => {
    assert.throws(() => cardOf({ 'mobilenetv3.card': '{"version":' }, 'x.onnx'), /^Error: the model card in x\.onnx is not valid JSON$/);
    const good = defaultModelCard(resolveOptions({}));
    assert.throws(() => parseModelCard({ ...good, version: 7 }, 'm'), /m has version 7; this mobilenetv3 reads version 1/);
    assert.throws(() => parseModelCard({ ...good, input: { ...good.input, scale: [1, 1] } }, 'm'), /m has an invalid input\.scale/);
    assert.throws(() => parseModelCard({ ...good, input: { ...good.input, crop: 0 } }, 'm'), /invalid input\.crop/);
    assert.throws(() => parseModelCard({ ...good, labels: [1, 2] }, 'm'), /invalid labels/);
    assert.equal(parseModelCard(JSON.parse(JSON.stringify(good))).input.crop, 0.875);
  });

  it("class names: the card's when they fit, ImageNet's for 1000 classes, else numbered", () => {
    assert.deepEqual(classNames({ labels: ['a', 'b'] }, 2), ['a', 'b']);
    assert.equal(classNames({ labels: null }, 1000), IMAGENET_CLASSES);
    assert.deepEqual(classNames({ labels: ['a'] }, 2), ['class 0', 'class 1']);
  });

  it('updateModelCard keeps the block map and options', () => {
    const model = buildModel({ arch: 'small', inputShape: [32, 32, 3] });
    updateModelCard(model, { labels: null, weights: { source: 'none' } });
    const meta = model.getUserDefinedMetadata() as { mobilenetv3: { blocks: unknown[]; options: unknown } };
    assert.ok(meta.mobilenetv3.blocks.length > 10 && meta.mobilenetv3.options);
    assert.deepEqual(trainedModelCard(readModelCard(model)!, ['x']).weights, { source: 'trained', id: 'from none' });
  });
});
