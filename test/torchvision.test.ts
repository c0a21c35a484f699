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
import { loadTorchvisionStateDict, transpose, type TorchStateDict } from '../src/weights/torchvision.js';
import { recipeInput, recipeStateDict } from './torchvision-recipe.js';

await useTfBackend('wasm');

interface Fixture {
  gain: Record<'large' | 'small', number>;
  inputSeed: number;
  batch: number;
  stateDicts: Record<'large' | 'small', { name: string; shape: number[] }[]>;
  cases: { arch: 'large' | 'small'; padding: Padding; inputShape: [number, number, number]; logits: number[][] }[];
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('fixtures/torchvision-reference.json', import.meta.url), 'utf8'));

/**
 * The tolerance of every equivalence check: max |ours - torch| / max |torch logit| <= 1e-4
 * (float32 through ~60 layers in two libraries; measured ~1e-6).
 */
const TOLERANCE = 1e-4;

const stateDict = (arch: 'large' | 'small') => recipeStateDict(fixture.stateDicts[arch], fixture.gain[arch]);

function torchvisionModel(
  arch: 'large' | 'small',
  padding: Padding,
  inputShape: [number, number, number],
  tensors: TorchStateDict = stateDict(arch),
) {
  const model = buildModel({ arch, padding, inputShape, includePreprocessing: false, classifierActivation: null });
  const report = loadTorchvisionStateDict(model, tensors);
  return { model, report };
}

/** max |ours - torch| / max |torch logit| on the fixture's inputs. */
function relativeError(model: tf.LayersModel, c: Fixture['cases'][number]): { error: number; scale: number; ours: number[][] } {
  const [h, w] = c.inputShape;
  const x = tf.tensor4d(recipeInput(fixture.inputSeed, [fixture.batch, 3, h, w]), [fixture.batch, h, w, 3]);
  const y = model.predict(x) as tf.Tensor;
  const ours = y.arraySync() as number[][];
  tf.dispose([x, y]);
  const scale = Math.max(...c.logits.flat().map(Math.abs));
  const error = Math.max(...ours.flatMap((row, b) => row.map((v, k) => Math.abs(v - c.logits[b][k]))));
  return { error: error / scale, scale, ours };
}

const caseOf = (arch: 'large' | 'small', padding: Padding) =>
  fixture.cases.find((k) => k.arch === arch && k.padding === padding && k.inputShape[0] === 224)!;

describe('torchvision equivalence', () => {
  for (const c of fixture.cases) {
    it(`${c.arch}, padding ${c.padding}, input ${c.inputShape.join('x')}: logits within ${TOLERANCE} of the logit scale`, () => {
      const { model } = torchvisionModel(c.arch, c.padding, c.inputShape);
      const { error, scale } = relativeError(model, c);
      if (process.env.MOBILENETV3_VERBOSE)
        console.error(
          `${c.arch} ${c.padding} ${c.inputShape.join('x')}: max |Δ| / max |logit| = ${error.toExponential(2)} (logit scale ${scale.toFixed(3)})`,
        );
      assert.ok(error <= TOLERANCE, `max |Δ| / max |logit| = ${error.toExponential(2)} on logit scale ${scale}`);
      // The two images must give different logits, or the comparison would prove nothing about the input path.
      const spread = Math.max(...c.logits[0].map((v, k) => Math.abs(v - c.logits[1][k])));
      assert.ok(spread / scale > 0.1, `images distinguishable: ${spread} vs ${scale}`);
      model.dispose();
    });
  }

  it('the other padding convention would fail the same check (the test can tell them apart)', () => {
    const { model } = torchvisionModel('small', 'symmetric', [224, 224, 3]);
    const { error } = relativeError(model, caseOf('small', 'same'));
    assert.ok(error > 100 * TOLERANCE, `symmetric vs same: ${error}`);
    model.dispose();
  });

  it('maps every weight of the model to exactly one state-dict entry and uses every entry once', () => {
    for (const arch of ['large', 'small'] as const) {
      const { model, report } = torchvisionModel(arch, 'symmetric', [224, 224, 3]);
      const weighted = model.layers.filter((l) => l.weights.length > 0).map((l) => l.name);
      assert.deepEqual([...report.pairs.map((p) => p.layer)].sort(), [...weighted].sort());
      const modules = report.pairs.map((p) => p.module);
      assert.equal(new Set(modules).size, modules.length, 'no torchvision module feeds two layers');
      assert.deepEqual(report.unused, []);
      const expectedValues = fixture.stateDicts[arch].reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
      assert.equal(report.values, expectedValues);
      assert.equal(report.values, model.countParams(), 'every weight of the model is loaded');
      const pair = (layer: string) => report.pairs.find((p) => p.layer === layer)?.module;
      assert.equal(pair('conv'), 'features.0.0');
      assert.equal(pair('conv_bn'), 'features.0.1');
      assert.equal(pair('conv_2'), 'classifier.0');
      assert.equal(pair('logits'), 'classifier.3');
      if (arch === 'large') {
        assert.equal(pair('expanded_conv_3_expand'), 'features.4.block.0.0');
        assert.equal(pair('expanded_conv_3_depthwise_bn'), 'features.4.block.1.1');
        assert.equal(pair('expanded_conv_3_squeeze_excite_conv'), 'features.4.block.2.fc1');
        assert.equal(pair('expanded_conv_3_squeeze_excite_conv_1'), 'features.4.block.2.fc2');
        assert.equal(pair('expanded_conv_3_project_bn'), 'features.4.block.3.1');
        assert.equal(pair('conv_1'), 'features.16.0');
      }
      model.dispose();
    }
  });

  it('loads by name: a state dict in another key order gives the same weights', () => {
    const inOrder = torchvisionModel('small', 'symmetric', [224, 224, 3]).model;
    const sorted = [...stateDict('small')].sort((a, b) => (a.name < b.name ? -1 : 1)); // as safetensors lists keys
    const record = Object.fromEntries(sorted.map((t) => [t.name, t]));
    const byName = torchvisionModel('small', 'symmetric', [224, 224, 3], record).model;
    const a = inOrder.getWeights();
    const b = byName.getWeights();
    a.forEach((w, i) => assert.deepEqual(w.dataSync(), b[i].dataSync(), inOrder.weights[i].name));
    inOrder.dispose();
    byName.dispose();
  });

  it('a mis-mapped layer fails the equivalence check (two same-shaped BNs swapped)', () => {
    const swap = new Map([
      ['features.5.block.0.1', 'features.5.block.1.1'],
      ['features.5.block.1.1', 'features.5.block.0.1'],
    ]);
    const swapped = stateDict('large').map((t) => {
      const module = t.name.slice(0, t.name.lastIndexOf('.'));
      return swap.has(module) ? { ...t, name: swap.get(module)! + t.name.slice(module.length) } : t;
    });
    const { model } = torchvisionModel('large', 'symmetric', [224, 224, 3], swapped);
    const { error } = relativeError(model, caseOf('large', 'symmetric'));
    assert.ok(error > 100 * TOLERANCE, `swapped BNs: ${error}`);
    model.dispose();
  });

  it('refuses a state dict of the other arch, the blog flavour, or a wrong shape, with one line', () => {
    const small = buildModel({ arch: 'small', includePreprocessing: false });
    const one = (f: () => unknown, re: RegExp) =>
      assert.throws(f, (e: Error) => e.name === 'WeightsError' && re.test(e.message) && !e.message.includes('\n'));
    one(() => loadTorchvisionStateDict(small, stateDict('large')), /no features\.1\.block\.1\.fc1\.\* .*same arch/);
    one(
      () =>
        loadTorchvisionStateDict(
          small,
          stateDict('small').filter((t) => !t.name.startsWith('features.3.')),
        ),
      /no features\.3\.block\.0\.0\.\* for layer expanded_conv_2_expand/,
    );
    one(
      () => loadTorchvisionStateDict(small, [...stateDict('small'), { name: 'fc.weight', shape: [1], data: new Float32Array(1) }]),
      /1 entries the model has no layer for \(fc\.weight\)/,
    );
    const blog = buildModel({ arch: 'small', flavor: 'blog' });
    one(() => loadTorchvisionStateDict(blog, stateDict('small')), /keras flavour/);
    const ten = buildModel({ arch: 'small', classes: 10 });
    one(() => loadTorchvisionStateDict(ten, stateDict('small')), /classifier\.3 has shapes .* needs/);
    // Nothing was set before the error: the model keeps its initial weights.
    assert.notDeepEqual(ten.getLayer('conv').getWeights()[0].dataSync().slice(0, 4), stateDict('small')[0].data.slice(0, 4));
  });

  it('loads the backbone of a model without top when told to ignore the classifier (strict: false)', () => {
    const backbone = buildModel({ arch: 'small', includeTop: false, padding: 'symmetric', includePreprocessing: false });
    assert.throws(() => loadTorchvisionStateDict(backbone, stateDict('small')), /classifier\.0\.weight.*strict: false/);
    const report = loadTorchvisionStateDict(backbone, stateDict('small'), { strict: false });
    assert.deepEqual(report.unused, ['classifier.0.weight', 'classifier.0.bias', 'classifier.3.weight', 'classifier.3.bias']);
    assert.equal(report.values, backbone.countParams());
  });

  it('transpose matches numpy', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => i);
    // numpy: np.arange(24).reshape(2,3,4).transpose(2,0,1).ravel()[:6] == [0, 4, 8, 12, 16, 20]
    assert.deepEqual(Array.from(transpose(data, [2, 3, 4], [2, 0, 1])).slice(0, 6), [0, 4, 8, 12, 16, 20]);
  });
});
