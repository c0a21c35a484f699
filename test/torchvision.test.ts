/**
 * Numerical equivalence with torchvision (fixture from tools/torchvision_reference.py): our
 * keras-flavour model, given torchvision's weights, reproduces torchvision's logits with PyTorch
 * padding ('symmetric') and, against a torch model padded the TF way, with our default 'same'.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, type Padding } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { loadTorchvisionStateDict, transpose } from '../src/weights/torchvision.js';
import { recipeInput, recipeStateDict } from './torchvision-recipe.js';

await useTfBackend('wasm');

interface Fixture {
  inputSeed: number;
  batch: number;
  stateDicts: Record<'large' | 'small', { name: string; shape: number[] }[]>;
  cases: { arch: 'large' | 'small'; padding: Padding; inputShape: [number, number, number]; logits: number[][] }[];
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('fixtures/torchvision-reference.json', import.meta.url), 'utf8'));

/** Tolerance: max |ours - torch| / max |torch logit| (float32 through ~60 layers in two libraries). */
const TOLERANCE = 1e-4;

function torchvisionModel(arch: 'large' | 'small', padding: Padding, inputShape: [number, number, number]) {
  const model = buildModel({ arch, padding, inputShape, includePreprocessing: false, classifierActivation: null });
  const report = loadTorchvisionStateDict(model, recipeStateDict(fixture.stateDicts[arch]));
  return { model, report };
}

describe('torchvision equivalence', () => {
  for (const c of fixture.cases) {
    it(`${c.arch}, padding ${c.padding}, input ${c.inputShape.join('x')}: logits within ${TOLERANCE} of the logit scale`, () => {
      const { model } = torchvisionModel(c.arch, c.padding, c.inputShape);
      const [h, w] = c.inputShape;
      const x = tf.tensor4d(recipeInput(fixture.inputSeed, [fixture.batch, 3, h, w]), [fixture.batch, h, w, 3]);
      const ours = (model.predict(x) as tf.Tensor).arraySync() as number[][];
      const scale = Math.max(...c.logits.flat().map(Math.abs));
      const error = Math.max(...ours.flatMap((row, b) => row.map((v, k) => Math.abs(v - c.logits[b][k]))));
      assert.ok(error / scale <= TOLERANCE, `max error ${error} on logit scale ${scale} (${(error / scale).toExponential(2)})`);
      if (process.env.MOBILENETV3_VERBOSE) console.log(`${c.arch} ${c.padding} ${c.inputShape.join("x")}: max error ${error.toExponential(2)}, relative ${(error / scale).toExponential(2)}`);
      // The two images must give different logits, or the comparison would prove nothing about the input path.
      const spread = Math.max(...c.logits[0].map((v, k) => Math.abs(v - c.logits[1][k])));
      assert.ok(spread / scale > 0.1, `images distinguishable: ${spread} vs ${scale}`);
      tf.dispose([x]);
      model.dispose();
    });
  }

  it('the other padding convention would fail the same check (the test can tell them apart)', () => {
    const c = fixture.cases.find((k) => k.arch === 'small' && k.padding === 'same' && k.inputShape[0] === 224)!;
    const { model } = torchvisionModel('small', 'symmetric', c.inputShape);
    const x = tf.tensor4d(recipeInput(fixture.inputSeed, [fixture.batch, 3, 224, 224]), [fixture.batch, 224, 224, 3]);
    const ours = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    const scale = Math.max(...c.logits.flat().map(Math.abs));
    const error = Math.max(...ours.flatMap((row, b) => row.map((v, k) => Math.abs(v - c.logits[b][k]))));
    assert.ok(error / scale > 100 * TOLERANCE, `symmetric vs same: ${error / scale}`);
    model.dispose();
  });

  it('maps every torchvision module to exactly one of our weighted layers, block by block', () => {
    for (const arch of ['large', 'small'] as const) {
      const { model, report } = torchvisionModel(arch, 'symmetric', [224, 224, 3]);
      const weighted = model.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
      assert.deepEqual(report.pairs.map((p) => p.layer), weighted);
      const modules = new Set(fixture.stateDicts[arch].map((e) => e.name.slice(0, e.name.lastIndexOf('.'))).filter((m) => !m.endsWith('num_batches_tracked')));
      assert.equal(new Set(report.pairs.map((p) => p.module)).size, modules.size);
      const expectedValues = fixture.stateDicts[arch].reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
      assert.equal(report.values, expectedValues);
      const pair = (layer: string) => report.pairs.find((p) => p.layer === layer)?.module;
      assert.equal(pair('conv'), 'features.0.0');
      assert.equal(pair('expanded_conv_3_squeeze_excite_conv'), 'features.4.block.2.fc1');
      assert.equal(pair('conv_2'), 'classifier.0');
      assert.equal(pair('logits'), 'classifier.3');
      model.dispose();
    }
  });

  it('refuses a state dict of the other arch, the blog flavour, or a wrong shape, with one line', () => {
    const small = buildModel({ arch: 'small', includePreprocessing: false });
    assert.throws(() => loadTorchvisionStateDict(small, recipeStateDict(fixture.stateDicts.large)), /modules with weights.*same arch/);
    const blog = buildModel({ arch: 'small', flavor: 'blog' });
    assert.throws(() => loadTorchvisionStateDict(blog, recipeStateDict(fixture.stateDicts.small)), /keras flavour/);
    const ten = buildModel({ arch: 'small', classes: 10 });
    assert.throws(() => loadTorchvisionStateDict(ten, recipeStateDict(fixture.stateDicts.small)), /classifier\.3 has shapes .* needs/);
  });

  it('transpose matches numpy', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i);
    // numpy: np.arange(24).reshape(2,3,4).transpose(2,0,1).ravel()[:6] == [0, 4, 8, 12, 16, 20]
    assert.deepEqual(Array.from(transpose(data, [2, 3, 4], [2, 0, 1])).slice(0, 6), [0, 4, 8, 12, 16, 20]);
  });
});
