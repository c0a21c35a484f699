import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type * as tf from '@tensorflow/tfjs';
import { buildModel, readMetadata } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { loadKerasH5Weights } from '../src/weights/h5-file.js';
import { loadWeights } from '../src/weights/load.js';
import { loadTfjsModel, saveTfjsModel } from '../src/weights/tfjs-files.js';
import { randomizeWeights } from './helpers.js';
import { sharedPath } from './shared.js';

await useTfBackend('wasm');
const OUT = 'test-output/weights-tfjs';
await mkdir(OUT, { recursive: true });
const bytes = (m: tf.LayersModel) => m.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer.slice(0)));

describe('TF.js model.json on the file system', () => {
  it('model -> TF.js -> model: bit-identical weights, metadata and layers, Netron-style files', async () => {
    const model = buildModel({ arch: 'small' });
    await loadKerasH5Weights(model, sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5'));
    await saveTfjsModel(model, `${OUT}/small/model.json`);
    const json = JSON.parse(await readFile(`${OUT}/small/model.json`, 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.deepEqual(json.weightsManifest[0].paths, ['model.weights.bin']);
    assert.equal((await readFile(`${OUT}/small/model.weights.bin`)).length, 2_554_968 * 4);
    const loaded = await loadTfjsModel(`${OUT}/small/model.json`);
    assert.deepEqual(
      loaded.layers.map((l) => l.name),
      model.layers.map((l) => l.name),
    );
    assert.deepEqual(readMetadata(loaded), readMetadata(model));
    const [a, b] = [bytes(model), bytes(loaded)];
    assert.equal(a.length, b.length);
    a.forEach((x, i) => assert.ok(x.equals(b[i]), `weight ${i} bit-identical`));
  });

  it('a fine-tuned head (5 classes, blog flavour) round-trips too, and loads into a built model', async () => {
    const model = buildModel({ arch: 'small', flavor: 'blog', classes: 5, inputShape: [96, 96, 3] });
    randomizeWeights(model, 9);
    await saveTfjsModel(model, `${OUT}/blog5/model.json`);
    const loaded = await loadTfjsModel(`${OUT}/blog5/model.json`);
    bytes(model).forEach((x, i) => assert.ok(x.equals(bytes(loaded)[i])));
    const target = buildModel({ arch: 'small', flavor: 'blog', classes: 5, inputShape: [96, 96, 3] });
    const report = await loadWeights(target, `${OUT}/blog5/model.json`);
    assert.deepEqual(report.nameMismatches, []);
    bytes(model).forEach((x, i) => assert.ok(x.equals(bytes(target)[i])));
  });

  it('bad input: truncated weights, missing weights, not a model.json', async () => {
    const model = buildModel({ arch: 'small', inputShape: [64, 64, 3] });
    await saveTfjsModel(model, `${OUT}/bad/model.json`);
    const bin = await readFile(`${OUT}/bad/model.weights.bin`);
    await writeFile(`${OUT}/bad/model.weights.bin`, bin.subarray(0, 1000));
    await assert.rejects(loadTfjsModel(`${OUT}/bad/model.json`), /model\.json have 1000 bytes, the manifest needs 10219872 \(truncated/);
    await rm(`${OUT}/bad/model.weights.bin`);
    await assert.rejects(loadTfjsModel(`${OUT}/bad/model.json`), /weights file not found: .*model\.weights\.bin/);
    await writeFile(`${OUT}/bad/other.json`, '{"hello": 1}');
    await assert.rejects(loadTfjsModel(`${OUT}/bad/other.json`), /not a TF\.js model\.json/);
    await writeFile(`${OUT}/bad/cut.json`, '{"modelTopology": {');
    await assert.rejects(loadTfjsModel(`${OUT}/bad/cut.json`), /not valid JSON/);
    await assert.rejects(loadTfjsModel(`${OUT}/bad/none.json`), /model file not found: .*none\.json/);
  });
});
