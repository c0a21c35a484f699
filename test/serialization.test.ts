import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, readMetadata, type ModelOptions } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { randomizeWeights } from './helpers.js';

await useTfBackend('wasm');

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // Through a JSON string, as a model.json file would carry it.
  const topology = JSON.parse(JSON.stringify(artifacts!.modelTopology));
  return tf.loadLayersModel(tf.io.fromMemory({ ...artifacts!, modelTopology: topology }));
}

describe('TF.js JSON serialization round trip', () => {
  const cases: ModelOptions[] = [
    // Logits: softmax of a random deep net is too peaked to show differences.
    { arch: 'small', inputShape: [96, 96, 3], classifierActivation: null },
    { arch: 'large', inputShape: [64, 80, 3], classifierActivation: null },
    { arch: 'small', flavor: 'blog', inputShape: [64, 64, 3], includePreprocessing: true, classifierActivation: null },
    { arch: 'large', minimalistic: true, includeTop: false, pooling: 'avg', inputShape: [64, 64, 3] },
  ];
  for (const options of cases) {
    it(JSON.stringify(options), async () => {
      const model = buildModel(options);
      randomizeWeights(model);
      const loaded = await roundTrip(model);
      assert.deepEqual(
        loaded.layers.map((l) => l.getClassName()),
        model.layers.map((l) => l.getClassName()),
      );
      assert.deepEqual(readMetadata(loaded)?.blocks, readMetadata(model)?.blocks);
      const [h, w] = options.inputShape!;
      const x = tf.randomUniform([2, h, w, 3], 0, 255, 'float32', 7);
      const a = (model.predict(x) as tf.Tensor).dataSync();
      const b = (loaded.predict(x) as tf.Tensor).dataSync();
      assert.deepEqual(Array.from(b), Array.from(a));
      // Not a trivially constant output: the check above would pass on one.
      assert.ok(new Set(a).size > a.length / 2, 'outputs vary');
    });
  }
});

describe('custom layers compute what MobileNetV3 defines', () => {
  it('hard-swish and hard-sigmoid', async () => {
    const x = tf.tensor1d([-4, -3, -1.5, 0, 1.5, 3, 4]);
    const { hardSigmoid, hardSwish } = await import('../src/index.js');
    const hs = Array.from(hardSigmoid(x).dataSync());
    const expected = [-4, -3, -1.5, 0, 1.5, 3, 4].map((v) => Math.min(Math.max(v + 3, 0), 6) / 6);
    hs.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6));
    const sw = Array.from(hardSwish(x).dataSync());
    sw.forEach((v, i) => assert.ok(Math.abs(v - expected[i] * [-4, -3, -1.5, 0, 1.5, 3, 4][i]) < 1e-6));
  });
});
