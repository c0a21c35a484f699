import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/architecture/builder.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { attachClassifier, readLabels } from '../src/train/classifier.js';
import { bottomModel, lastBnecks, topSegment } from '../src/train/split-model.js';
import { randomizeWeights } from './helpers.js';

describe('splitting a model at a block from its block map', () => {
  it('bottom then top equals the whole model, for a cut in the bnecks and at the classifier', async () => {
    await useTfBackend('wasm');
    const backbone = buildModel({ arch: 'small', includeTop: false, pooling: 'avg', inputShape: [96, 96, 3] });
    randomizeWeights(backbone, 3);
    const model = attachClassifier(backbone, { classes: ['a', 'b', 'c'], dropout: 0.2, seed: 1 });
    assert.deepEqual(readLabels(model), ['a', 'b', 'c']);
    assert.deepEqual(lastBnecks(model, 3), ['expanded_conv_8', 'expanded_conv_9', 'expanded_conv_10']);
    const image = tf.randomUniform([2, 96, 96, 3], 0, 255, 'float32', 9);
    const whole = model.predict(image) as tf.Tensor;
    for (const first of ['expanded_conv_8', 'classifier']) {
      const top = topSegment(model, first);
      const cut = bottomModel(model, top).predict(image) as tf.Tensor;
      assert.deepEqual(cut.shape.slice(1), top.inputShape);
      const probabilities = tf.softmax(top.run(cut, false));
      const diff = tf.max(tf.abs(tf.sub(probabilities, whole))).dataSync()[0];
      assert.ok(diff < 1e-5, `cut at ${first}: differs by ${diff}`);
      // Dropout is the only thing `training` switches: with it on, the output changes.
      const dropped = tf.softmax(top.run(cut, true));
      assert.ok(tf.max(tf.abs(tf.sub(dropped, whole))).dataSync()[0] > 1e-4);
    }
    const top = topSegment(model, 'expanded_conv_8');
    const names = new Set(top.variables.map((v) => v.name));
    assert.ok(
      [...names].some((n) => n.includes('expanded_conv_8_expand')),
      'the first cut block trains',
    );
    assert.ok(![...names].some((n) => n.includes('expanded_conv_7')), 'nothing below the cut trains');
    assert.ok(![...names].some((n) => n.includes('moving_')), 'BN statistics are not trainable');
  });

  it('fineTune out of range says how many blocks there are (the library names its option; the CLI its flag)', async () => {
    const model = attachClassifier(buildModel({ arch: 'small', includeTop: false, pooling: 'avg', inputShape: [64, 64, 3] }), {
      classes: ['a', 'b'],
      dropout: 0,
    });
    assert.throws(
      () => lastBnecks(model, 12),
      /^InvalidValueError: fineTune must be a number of blocks from 1 to 11 \(this model has 11 bneck blocks\), got 12$/,
    );
    const { cliMessage } = await import('../src/cli/errors.js');
    let error: unknown;
    try {
      lastBnecks(model, 12);
    } catch (e) {
      error = e;
    }
    assert.equal(cliMessage(error), '--fine-tune must be a number of blocks from 1 to 11 (this model has 11 bneck blocks), got 12');
  });
});
