/**
 * Keras 3 `.weights.h5`: our naming against saving_lib's, our reader against a file laid out as
 * Keras 3 writes it, and our write -> our read bit-identical for every variant.
 * Provenance of the fixtures (tools/make_keras3_fixtures.py): Keras 3 is not installed here, so
 * the file is written with h5py following keras/src/saving/saving_lib.py (class-name paths with
 * per-class counters, `vars/0..n`), from Keras's published MobileNetV3Small weights; it holds the
 * first 12 weighted layers, and keras3-small-paths.json the path of every weighted layer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildModel, type ModelOptions } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { canonicalLayerName } from '../src/weights/apply.js';
import { readKerasH5File } from '../src/weights/h5-file.js';
import { applyKeras3Weights, keras3LayerPaths, readKeras3WeightsH5, writeKeras3WeightsH5 } from '../src/weights/keras3/weights-h5.js';
import { randomizeWeights } from './helpers.js';
import { sharedPath } from './shared.js';

await useTfBackend('wasm');

const fixtureBytes = new Uint8Array(readFileSync(new URL('fixtures/keras3-small-first.weights.h5', import.meta.url)));
const paths: { first: number; paths: Record<string, string> } = JSON.parse(
  readFileSync(new URL('fixtures/keras3-small-paths.json', import.meta.url), 'utf8'),
);

function oneLine(message: RegExp): (e: Error) => boolean {
  return (e) => e.name === 'WeightsError' && message.test(e.message) && !e.message.includes('\n');
}

describe('Keras 3 .weights.h5', () => {
  it('names every weighted layer as saving_lib does (class name + per-class counter)', () => {
    const model = buildModel({ arch: 'small' });
    const ours = Object.fromEntries(keras3LayerPaths(model).map(({ layer, path }) => [layer.name, path]));
    // Our layer names are Keras's with '/' made TF.js-safe (canonicalLayerName).
    assert.deepEqual(ours, Object.fromEntries(Object.entries(paths.paths).map(([name, path]) => [canonicalLayerName(name), path])));
    model.dispose();
  });

  it("reads a file laid out as Keras 3 writes it: the values of Keras's published weights", async () => {
    const file = await readKeras3WeightsH5(fixtureBytes, 'keras3.weights.h5');
    assert.equal(file.length, paths.first);
    const legacy = await readKerasH5File(sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5'));
    for (const entry of file) {
      const name = Object.keys(paths.paths).find((n) => paths.paths[n] === entry.path);
      const layer = legacy.layers.find((l) => l.name === name);
      assert.ok(layer, entry.path);
      assert.deepEqual(
        entry.vars.map((v) => v.shape),
        layer.weights.map((w) => w.shape),
      );
      entry.vars.forEach((v, i) => assert.deepEqual(v.data, layer.weights[i].data));
    }
  });

  const variants: ModelOptions[] = [
    { arch: 'small' },
    { arch: 'large', alpha: 0.75 },
    { arch: 'small', minimalistic: true, inputShape: [160, 160, 3] },
    { arch: 'large', includeTop: false },
    { arch: 'small', classes: 5, alpha: 0.5 },
  ];
  for (const options of variants) {
    it(`our write -> our read is bit-identical: ${JSON.stringify(options)}`, async () => {
      const a = buildModel(options);
      randomizeWeights(a, 7);
      const bytes = await writeKeras3WeightsH5(a);
      const b = buildModel(options);
      const report = applyKeras3Weights(b, await readKeras3WeightsH5(bytes));
      assert.equal(report.layers, a.layers.filter((l) => l.weights.length > 0).length);
      const wa = a.getWeights();
      const wb = b.getWeights();
      assert.equal(wa.length, wb.length);
      wa.forEach((w, i) => assert.deepEqual(w.dataSync(), wb[i].dataSync(), a.weights[i].name));
      a.dispose();
      b.dispose();
    });
  }

  it('refuses another arch, a truncated file and a non-Keras-3 file with one line', async () => {
    const small = buildModel({ arch: 'small' });
    const large = buildModel({ arch: 'large', minimalistic: true });
    const bytes = await writeKeras3WeightsH5(small);
    assert.throws(
      () => applyKeras3Weights(large, [], 'x.weights.h5'),
      oneLine(/^x\.weights\.h5 has no layers\/conv2d\/vars for layer conv:/),
    );
    await readKeras3WeightsH5(bytes).then((file) =>
      assert.throws(
        () => applyKeras3Weights(large, file, 'x.weights.h5'),
        oneLine(/x\.weights\.h5: layers\/\S+ has shapes .* but layer .* needs/),
      ),
    );
    await assert.rejects(
      readKeras3WeightsH5(bytes.subarray(0, bytes.length >> 1), 'x.weights.h5'),
      oneLine(/^x\.weights\.h5 (is not an HDF5 file|could not be read)/),
    );
    small.dispose();
    large.dispose();
  });
});

describe('CLI: export -o x.weights.h5, --weights x.weights.h5', () => {
  it('writes Keras 3 weights and reads them back to the same values as the legacy file', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('..', import.meta.url));
    const out = join(root, 'test-output', 'weights-keras3');
    mkdirSync(out, { recursive: true });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
    const legacy = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
    const k3 = join(out, 'small.weights.h5');
    const back = join(out, 'back.h5');
    let r = cli('export', '--arch', 'small', '--weights', legacy, '-o', k3);
    assert.equal(r.status, 0, r.stderr);
    r = cli('export', '--arch', 'small', '--weights', k3, '-o', back);
    assert.equal(r.status, 0, r.stderr);
    const [a, b] = [await readKerasH5File(legacy), await readKerasH5File(back)];
    assert.equal(a.layers.length, b.layers.length);
    a.layers.forEach((l, i) => l.weights.forEach((w, j) => assert.deepEqual(b.layers[i].weights[j].data, w.data, l.name)));
    r = cli('weights', 'inspect', k3, '--json');
    assert.equal(r.status, 0, r.stderr);
    const inspected = JSON.parse(r.stdout) as { format: string; layers: { name: string }[]; totalParams: number; fitsFlags: string };
    assert.equal(inspected.format, 'keras3');
    assert.equal(inspected.fitsFlags, '--arch small'); // found from the paths and shapes alone
    assert.equal(inspected.layers[0].name.startsWith('layers/'), true);
    assert.equal(
      inspected.totalParams,
      a.layers.reduce((n, l) => n + l.weights.reduce((m, w) => m + w.data.length, 0), 0),
    );
    r = cli('export', '--arch', 'large', '--weights', k3, '-o', join(out, 'x.h5'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mobilenetv3: .*small\.weights\.h5: layers\/\S+ has shapes .*; the file fits --arch small$/m);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
