import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { buildModel } from '../src/architecture/builder.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { loadKerasH5Weights } from '../src/weights/h5-file.js';
import { activationGrid, featureGrid, featureMaps } from '../src/visualize/activations.js';
import { defaultCamLayer, explainImage, gradCam, upsample } from '../src/visualize/explain.js';
import { imageBatchFor } from '../src/visualize/model-input.js';
import { findLayer, frontModel, NotACutError, runTail, tailLayers } from '../src/visualize/split.js';
import { randomizeWeights } from './helpers.js';
import { sharedPath } from './shared.js';
import { ROOT, runCli } from './visualize-helpers.js';

const OUT = join(ROOT, 'test-output', 'visualize');
const SMALL = sharedPath('weights', 'mobilenet_v3_small_224_1.0_float.h5');
const ELEPHANT = sharedPath('data', 'elephant.jpg');
const hasWeights = existsSync(SMALL) && existsSync(ELEPHANT);

/**
 * Share of the heat inside the centred box holding half the image's area (sides x 1/sqrt 2): a
 * uniform heatmap gives 0.5, so "more inside than outside" means the heat sits in the centre.
 */
function centralShare(heat: Float32Array, width: number, height: number): number {
  const f = Math.SQRT1_2;
  const [x0, x1, y0, y1] = [(width * (1 - f)) / 2, (width * (1 + f)) / 2, (height * (1 - f)) / 2, (height * (1 + f)) / 2];
  let inside = 0;
  let total = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = heat[y * width + x];
      total += v;
      if (x >= x0 && x < x1 && y >= y0 && y < y1) inside += v;
    }
  }
  return inside / total;
}

describe('what the network sees', () => {
  before(async () => {
    await useTfBackend('wasm');
    mkdirSync(OUT, { recursive: true });
  });

  it('feature grid: one tile per channel, each scaled to its own range', () => {
    // Two 2x2 channels: the second is the first times 1000 plus 5, so their tiles must be equal.
    const data = new Float32Array([0, 5, 1, 1005, 2, 2005, 3, 3005]);
    const grid = featureGrid({ layer: 'x', height: 2, width: 2, channels: 2, data }, { tile: 2 });
    assert.equal(grid.columns * grid.rows >= 2, true);
    const pixel = (tile: number, x: number, y: number): number[] => {
      const ox = 2 + tile * (2 + 2);
      const o = ((2 + y) * grid.width + ox + x) * 3;
      return [...grid.data.slice(o, o + 3)];
    };
    for (const [x, y] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ])
      assert.deepEqual(pixel(0, x, y), pixel(1, x, y));
    assert.notDeepEqual(pixel(0, 0, 0), pixel(0, 1, 1), 'min and max get different colours');
  });

  it('split: the front plus the tail is the model, and a layer inside a residual block is not a cut', async () => {
    const model = buildModel({ arch: 'small' });
    const cut = defaultCamLayer(model);
    assert.equal(cut.name, 'activation_17');
    const x = tf.randomUniform([1, 224, 224, 3], 0, 255, 'float32', 3);
    const whole = model.predict(x) as tf.Tensor;
    const split = runTail(tailLayers(model, cut), cut, frontModel(model, cut).predict(x) as tf.Tensor);
    assert.ok(tf.max(tf.abs(whole.sub(split))).dataSync()[0] < 1e-6);
    assert.throws(() => tailLayers(model, findLayer(model, 'expanded_conv_4_expand')), NotACutError);
    assert.throws(() => findLayer(model, 'expanded_conv_3_projct'), /did you mean expanded_conv_3_project/);
  });

  it('Grad-CAM differentiates the score before the softmax also where the softmax is inside a conv (blog flavour)', {
    skip: existsSync(ELEPHANT) ? false : 'no ../shared/data/elephant.jpg',
  }, async () => {
    // The blog's classifier conv applies the softmax itself; its Grad-CAM must equal that of the
    // same weights built to output logits.
    const probabilities = buildModel({ arch: 'small', flavor: 'blog' });
    randomizeWeights(probabilities, 7);
    // A confident classifier (random weights give near-uniform probabilities, where the softmax
    // barely changes the heatmap's shape): scale the classifier conv's kernel up.
    const classifier = probabilities.layers.find((l) => l.getConfig().activation === 'softmax')!;
    classifier.setWeights(classifier.getWeights().map((w, i) => (i === 0 ? w.mul(40) : w)));
    const logits = buildModel({ arch: 'small', flavor: 'blog', classifierActivation: null });
    logits.setWeights(probabilities.getWeights());
    for (const method of ['gradcam', 'gradcam++'] as const) {
      const a = await gradCam(probabilities, ELEPHANT, { method });
      const b = await gradCam(logits, ELEPHANT, { method });
      assert.ok(Math.max(...b.cam) > 0, 'a heatmap with some heat');
      const diff = Math.max(...a.cam.map((v, i) => Math.abs(v - b.cam[i])));
      assert.ok(diff < 1e-4, `${method}: heatmaps differ by ${diff}`);
      assert.ok(Math.abs(a.target.probability - b.target.probability) < 1e-6);
    }
  });

  describe('with the Small ImageNet weights', { skip: hasWeights ? false : 'no ../shared weights' }, () => {
    let model: tf.LayersModel;
    before(async () => {
      model = buildModel({ arch: 'small' });
      await loadKerasH5Weights(model, SMALL);
    });

    it('explain elephant.jpg: an elephant class, with more heat in the central half of the image than outside it', async () => {
      const output = join(OUT, 'elephant-gradcam.png');
      // crop null: the whole photo, so the heat can be compared with its centre.
      const result = await explainImage(model, ELEPHANT, output, {
        crop: null,
        labels: Array.from({ length: 1000 }, (_, i) => (i === 386 ? 'African elephant' : `c${i}`)),
      });
      assert.equal(result.target.index, 386);
      assert.equal(result.target.label, 'African elephant');
      assert.ok(result.target.probability > 0.5);
      assert.deepEqual([result.camHeight, result.camWidth], [7, 7]);
      const heat = upsample(result.cam, 7, 7, 552, 700);
      const share = centralShare(heat, 700, 552);
      assert.ok(share > 0.5, `central share ${share.toFixed(3)}`);
      const meta = await sharp(output).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', 640, Math.round((640 * 552) / 700) + 28]);
    });

    it('explain takes its crop from the model card by default (the square 0.875 centre crop classify uses)', async () => {
      const output = join(OUT, 'elephant-gradcam-card.png');
      const result = await explainImage(model, ELEPHANT, output);
      assert.equal(result.target.index, 386);
      const meta = await sharp(output).metadata();
      assert.deepEqual([meta.width, meta.height], [640, 640 + 28]);
    });

    it('Grad-CAM weights are the gradient of the class logit (checked against finite differences)', async () => {
      const cut = defaultCamLayer(model);
      const tail = tailLayers(model, cut, model.layers[model.layers.length - 2]);
      const x = await imageBatchFor(model, ELEPHANT);
      const map = frontModel(model, cut).predict(x) as tf.Tensor4D;
      await tf.setBackend('cpu');
      try {
        const score = (a: tf.Tensor): tf.Scalar => runTail(tail, cut, a).reshape([-1]).gather([386]).sum();
        const gradient = tf.grad(score)(map).sum([0, 1, 2]).dataSync();
        for (const k of [0, 100, 300]) {
          const delta = tf.oneHot([k], 576).reshape([1, 1, 1, 576]).mul(1e-2);
          const fd = (score(map.add(delta)).dataSync()[0] - score(map.sub(delta)).dataSync()[0]) / 2e-2;
          assert.ok(Math.abs(fd - gradient[k]) < 2e-3 + 0.02 * Math.abs(fd), `channel ${k}: ${fd} vs ${gradient[k]}`);
        }
      } finally {
        await tf.setBackend('wasm');
      }
      const plain = await gradCam(model, ELEPHANT, { method: 'gradcam' });
      const plus = await gradCam(model, ELEPHANT, { method: 'gradcam++' });
      assert.equal(plain.target.index, plus.target.index);
      assert.notDeepEqual([...plain.cam], [...plus.cam]);
      assert.equal(Math.max(...plain.cam), 1);
      const tusker = await gradCam(model, ELEPHANT, { classIndex: 101 });
      assert.equal(tusker.target.index, 101);
      assert.ok(tusker.target.probability < plus.target.probability);
    });

    it('activations: the stem conv of elephant.jpg as a 4x4 grid of 112x112 maps', async () => {
      const output = join(OUT, 'elephant-activations-conv.png');
      const result = await activationGrid(model, ELEPHANT, 'conv', output);
      assert.deepEqual([result.height, result.width, result.channels, result.columns, result.rows], [112, 112, 16, 4, 4]);
      const meta = await sharp(output).metadata();
      assert.deepEqual([meta.width, meta.height], [result.image.width, result.image.height]);
      const maps = await featureMaps(model, ELEPHANT, 'expanded_conv_5_add');
      assert.deepEqual([maps.height, maps.width, maps.channels], [14, 14, 40]);
      await assert.rejects(featureMaps(model, ELEPHANT, 'predictions'), /outputs \(None, 1000\), not a feature map/);
    });

    it('CLI: explain writes the PNG and reports the class; bad input is one line and writes nothing', () => {
      const output = join(OUT, 'cli-explain.png');
      rmSync(output, { force: true });
      const r = runCli('explain', ELEPHANT, '-o', output, '--arch', 'small', '--weights', SMALL, '--json');
      assert.equal(r.code, 0, r.stderr);
      const json = JSON.parse(r.stdout);
      assert.deepEqual(json.target.label, 'African elephant');
      assert.equal(json.method, 'gradcam++');
      assert.ok(existsSync(output));

      const missing = join(OUT, 'cli-missing.png');
      const bad = runCli('explain', join(OUT, 'no-such-image.jpg'), '-o', missing, '--arch', 'small', '--weights', SMALL);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^mobilenetv3: cannot read image .*no-such-image\.jpg: no such file\n$/);
      assert.ok(!existsSync(missing));
      const noWeights = runCli('explain', ELEPHANT, '-o', missing);
      assert.equal(noWeights.code, 2);
      assert.match(noWeights.stderr, /explain needs trained weights/);
      const notPng = runCli('activations', ELEPHANT, '--layer', 'conv', '-o', join(OUT, 'grid.gif'));
      assert.equal(notPng.code, 2);
      assert.match(notPng.stderr, /use a file ending in \.png, \.jpg or \.webp/);
    });
  });
});
