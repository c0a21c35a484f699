import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { applyKerasWeights, canonicalLayerName, kerasWeightsFromModel } from '../src/weights/apply.js';
import { loadKerasH5Weights, readKerasH5File, saveKerasH5Weights } from '../src/weights/h5-file.js';
import { readKerasH5, writeKerasH5, type KerasWeights } from '../src/weights/keras-h5.js';
import { randomizeWeights } from './helpers.js';
import { sharedPath } from './shared.js';

await useTfBackend('wasm');

const SMALL_H5 = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
const LARGE_MIN_H5 = sharedPath('weights/mobilenet_v3_large_minimalistic_224_1.0_float.h5');
const OUT = 'test-output/weights';
await mkdir(OUT, { recursive: true });

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const modelBytes = (m: tf.LayersModel) => m.getWeights().map((w) => bytesOf(w.dataSync() as Float32Array));

describe('Keras legacy .h5: reading', () => {
  it('reads the real Small file through its attrs (names nest groups)', async () => {
    const w = await readKerasH5File(SMALL_H5);
    assert.equal(w.layerNames.length, 239);
    assert.equal(w.layers.length, 88);
    assert.equal(w.kerasVersion, '2.4.0');
    assert.equal(w.backend, 'tensorflow');
    assert.equal(
      w.layers.reduce((n, l) => n + l.weights.reduce((m, x) => m + x.data.length, 0), 0),
      2_554_968,
    );
    const bn = w.layers.find((l) => l.name === 'expanded_conv_3/depthwise/BatchNorm')!;
    assert.deepEqual(
      bn.weights.map((x) => x.name),
      ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((r) => `expanded_conv_3/depthwise/BatchNorm/${r}:0`),
    );
    assert.deepEqual(bn.weights[3].shape, [96]);
    // Folded BN as the README says: identity statistics, the bias in beta.
    assert.ok(bn.weights[0].data.every((v) => v === 1));
    assert.ok(bn.weights[1].data.some((v) => v !== 0));
  });

  it('loads Small and Large-minimalistic by order with every name cross-checked', async () => {
    for (const [path, options, values] of [
      [SMALL_H5, { arch: 'small' }, 2_554_968],
      [LARGE_MIN_H5, { arch: 'large', minimalistic: true }, 3_948_688],
    ] as const) {
      const model = buildModel(options);
      const report = await loadKerasH5Weights(model, path);
      assert.equal(report.values, values);
      assert.equal(model.countParams(), values);
      assert.deepEqual(report.nameMismatches, [], 'tf.keras 2 names map onto Keras 3 names');
      assert.ok(
        report.loaded.some(
          (l) => l.layer === 'expanded_conv_3_squeeze_excite_conv_1' && l.from === 'expanded_conv_3/squeeze_excite/Conv_1',
        ) || options.arch === 'large',
      );
    }
  });

  it('reads what h5py writes the Keras way: chunked layer_names0/1, nested groups, empty weight_names', async () => {
    const w = await readKerasH5File('test/fixtures/keras2-chunked.h5');
    assert.equal(w.layerNames.length, 662);
    assert.equal(w.layerNames[661], `layer_0659_${'x'.repeat(100)}`);
    assert.deepEqual(
      w.layers.map((l) => l.name),
      ['expanded_conv/depthwise', 'expanded_conv/depthwise/BatchNorm'],
    );
    assert.deepEqual(
      w.layers[1].weights.map((x) => [x.name, x.shape, Array.from(x.data)]),
      [
        ['expanded_conv/depthwise/BatchNorm/kernel:0', [2, 3], [0, 2, 4, 6, 8, 10]],
        ['expanded_conv/depthwise/BatchNorm/bias:0', [3], [-1, -1, -1]],
      ],
    );
  });

  it('canonical names: tf.keras 2 and Keras 3 spellings agree', () => {
    for (const [a, b] of [
      ['expanded_conv_3/depthwise/BatchNorm', 'expanded_conv_3_depthwise_bn'],
      ['Conv_1', 'conv_1'],
      ['Logits', 'logits'],
      ['Conv/BatchNorm', 'conv_bn'],
      ['expanded_conv/squeeze_excite/Conv', 'expanded_conv_squeeze_excite_conv'],
    ]) {
      assert.equal(canonicalLayerName(a), canonicalLayerName(b));
    }
    assert.notEqual(canonicalLayerName('Conv_1'), canonicalLayerName('Conv_2'));
  });
});

describe('Keras legacy .h5: writing and round trips', () => {
  it('h5 -> model -> h5 gives bit-identical weights, and the file loads back', async () => {
    const original = await readKerasH5File(SMALL_H5);
    const model = buildModel({ arch: 'small' });
    applyKerasWeights(model, original);
    const path = `${OUT}/small-roundtrip.h5`;
    await saveKerasH5Weights(model, path);
    const written = await readKerasH5File(path);
    assert.equal(written.layerNames.length, model.layers.length);
    assert.equal(written.layers.length, 88);
    written.layers.forEach((layer, i) => {
      assert.equal(canonicalLayerName(layer.name), canonicalLayerName(original.layers[i].name));
      layer.weights.forEach((w, j) => {
        assert.deepEqual(w.shape, original.layers[i].weights[j].shape);
        assert.ok(bytesOf(w.data).equals(bytesOf(original.layers[i].weights[j].data)), `${w.name} bit-identical`);
      });
    });
    const again = buildModel({ arch: 'small' });
    const report = await loadKerasH5Weights(again, path);
    assert.deepEqual(report.nameMismatches, []);
    modelBytes(again).forEach((b, i) => assert.ok(b.equals(modelBytes(model)[i])));
  });

  it('writes weightless layers, nested groups and long name lists in chunks as Keras does', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => `block_${i}/with/a/rather/long/name`);
    const weights: KerasWeights = {
      layerNames: ['input', ...many],
      layers: many.slice(0, 2).map((name, i) => ({
        name,
        weights: [{ name: `${name}/kernel:0`, shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, k) => k * (i + 1) - 2.5) }],
      })),
    };
    const back = await readKerasH5(await writeKerasH5(weights));
    assert.deepEqual(back.layerNames, weights.layerNames);
    assert.deepEqual(back.layers, weights.layers);
  });

  it('a model of the blog flavour round-trips through its own .h5', async () => {
    const model = buildModel({ arch: 'small', flavor: 'blog', inputShape: [64, 64, 3] });
    randomizeWeights(model, 3);
    const back = buildModel({ arch: 'small', flavor: 'blog', inputShape: [64, 64, 3] });
    const report = applyKerasWeights(back, await readKerasH5(await writeKerasH5(kerasWeightsFromModel(model))));
    assert.deepEqual(report.nameMismatches, []);
    modelBytes(back).forEach((b, i) => assert.ok(b.equals(modelBytes(model)[i])));
  });
});

describe('Keras legacy .h5: transfer learning (by name)', () => {
  it('a 1000-class file into a 5-class model: the head is skipped and reported', async () => {
    const model = buildModel({ arch: 'small', classes: 5 });
    randomizeWeights(model, 5);
    const logitsBefore = model.getLayer('logits').getWeights()[0].dataSync().slice();
    const report = await loadKerasH5Weights(model, SMALL_H5, { byName: true });
    assert.deepEqual(
      report.skipped.map((s) => s.layer),
      ['logits'],
    );
    assert.match(report.skipped[0].reason, /kernel \[1, 1, 1024, 5\].*\[1, 1, 1024, 1000\]/);
    assert.equal(report.loaded.length, 87);
    assert.deepEqual(Array.from(model.getLayer('logits').getWeights()[0].dataSync()), Array.from(logitsBefore));
    assert.equal(model.getLayer('conv').getWeights()[0].dataSync()[0], (await readKerasH5File(SMALL_H5)).layers[0].weights[0].data[0]);
  });

  it('a file with top into a no-top model: the top is unused and reported', async () => {
    const model = buildModel({ arch: 'small', includeTop: false, pooling: 'avg' });
    const report = await loadKerasH5Weights(model, SMALL_H5, { byName: true });
    assert.deepEqual(report.unused, ['Conv_2', 'Logits']);
    assert.deepEqual(report.missing, []);
    assert.equal(report.values, model.countParams());
  });

  it('refuses by-name mismatches when skipMismatch is false', async () => {
    const model = buildModel({ arch: 'small', classes: 5 });
    await assert.rejects(loadKerasH5Weights(model, SMALL_H5, { byName: true, skipMismatch: false }), /logits.*expects kernel/);
  });
});

describe('Keras legacy .h5: bad input gives one-line errors', () => {
  const oneLine = (pattern: RegExp) => (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'WeightsError');
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  };
  it('truncated file', async () => {
    const bytes = await readFile(SMALL_H5);
    const path = `${OUT}/truncated.h5`;
    await writeFile(path, bytes.subarray(0, 4_000_000));
    await assert.rejects(readKerasH5File(path), oneLine(/truncated\.h5 .*truncated or corrupt/));
  });
  it('not an HDF5 file', async () => {
    const path = `${OUT}/not-hdf5.h5`;
    await writeFile(path, 'hello, I am not HDF5\n'.repeat(100));
    await assert.rejects(readKerasH5File(path), oneLine(/not-hdf5\.h5 is not an HDF5 file/));
  });
  it('HDF5 without Keras attrs', async () => {
    const path = `${OUT}/plain.h5`;
    const bytes = await writeKerasH5({ layerNames: [], layers: [] });
    await writeFile(path, bytes);
    // An empty layer list is valid Keras; a model with weights then does not fit it.
    await assert.rejects(
      loadKerasH5Weights(buildModel({ arch: 'small' }), path),
      oneLine(/has 0 layers with weights but the model has 88/),
    );
  });
  it('a Keras 3 .weights.h5 or plain HDF5 file says what it is', async () => {
    await assert.rejects(
      readKerasH5File('test/fixtures/keras3-format.weights.h5'),
      oneLine(/is a Keras 3 \.weights\.h5 file, not the legacy layout/),
    );
    await assert.rejects(readKerasH5File('test/fixtures/plain.h5'), oneLine(/plain\.h5 is HDF5 but not Keras weights/));
  });
  it('missing file', async () => {
    await assert.rejects(readKerasH5File(`${OUT}/no-such.h5`), oneLine(/weights file not found: .*no-such\.h5/));
  });
  it('file of another architecture', async () => {
    await assert.rejects(
      loadKerasH5Weights(buildModel({ arch: 'large' }), SMALL_H5),
      oneLine(/has 88 layers with weights but the model has 110.*--arch/),
    );
  });
  it('file of another width: the first misfit named, model left untouched', async () => {
    const model = buildModel({ arch: 'small', alpha: 0.75 });
    const before = modelBytes(model);
    await assert.rejects(
      loadKerasH5Weights(model, SMALL_H5),
      oneLine(/expanded_conv_3_project.*\[1, 1, 96, 32\].*expanded_conv_3\/project.*\[1, 1, 96, 40\]/),
    );
    modelBytes(model).forEach((b, i) => assert.ok(b.equals(before[i])));
  });
});
