/**
 * The .pth reader against files written by torch.save itself (tools/make_pth_fixtures.py, Debian
 * python3-torch 1.13 / torchvision 0.14): torchvision mobilenet_v3_large (bfloat16, pickle
 * protocol 2), mobilenet_v3_small (float16, protocol 4) and a small with a 5-class head (float32,
 * protocol 5), every conv weight an overlapping strided view, with torch's logits for three PNGs;
 * a pickle that calls os.system, and a legacy (non-zip) file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readModelCard } from '../src/architecture/card.js';
import { readImage } from '../src/images/read.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { buildModelWithWeights } from '../src/weights/load.js';
import { buildModel } from '../src/architecture/builder.js';
import { applyTorchvisionStateDict, buildTorchvisionModel } from '../src/weights/pth/model.js';
import { readPth } from '../src/weights/pth/read.js';

await useTfBackend('wasm');

const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/pth/${name}`, import.meta.url));
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(fixture(name)));
interface Case {
  arch: string;
  classes: number;
  images: string[];
  logits: number[][];
}
const caseOf = (name: string): Case => JSON.parse(readFileSync(fixture(`${name}.json`), 'utf8'));

function oneLine(message: RegExp): (e: Error) => boolean {
  return (e) => e.name === 'WeightsError' && message.test(e.message) && !e.message.includes('\n');
}

/** The card's input contract applied to the fixture's PNGs (no crop: they are 224x224 already). */
async function inputs(model: tf.LayersModel, images: string[]): Promise<tf.Tensor4D> {
  const card = readModelCard(model);
  assert.ok(card);
  const data = new Float32Array(images.length * 224 * 224 * 3);
  for (const [n, name] of images.entries()) {
    const img = await readImage(fixture(name), { size: [224, 224] });
    for (let i = 0; i < img.data.length; i++)
      data[n * img.data.length + i] = img.data[i] * card.input.scale[i % 3] + card.input.offset[i % 3];
  }
  return tf.tensor4d(data, [images.length, 224, 224, 3]);
}

describe('readPth', () => {
  it('reads a legacy (non-zip) torch.save file: float32, float16 and a strided slice', () => {
    const expected: Record<string, { shape: number[]; values: number[] }> = JSON.parse(readFileSync(fixture('legacy.json'), 'utf8'));
    const { tensors, format } = readPth(bytes('legacy.pth'));
    assert.equal(format, 'legacy');
    assert.deepEqual(
      tensors.map((t) => t.name),
      Object.keys(expected),
    );
    for (const t of tensors) {
      assert.deepEqual(t.shape, expected[t.name].shape);
      assert.deepEqual(Array.from(t.data), expected[t.name].values);
    }
  });

  it('reads the zip format, skipping num_batches_tracked', () => {
    const { tensors, skipped, format } = readPth(bytes('small-fp16.pth'));
    assert.equal(format, 'zip');
    assert.ok(skipped.length > 0 && skipped.every((n) => n.endsWith('num_batches_tracked')));
    assert.deepEqual(tensors.find((t) => t.name === 'features.0.0.weight')?.shape, [16, 3, 3, 3]);
    assert.deepEqual(tensors.find((t) => t.name === 'classifier.3.weight')?.shape, [1000, 1024]);
  });

  it('refuses a pickle that calls os.system, without running it', () => {
    const marker = '/tmp/mobilenetv3-pth-pwned';
    rmSync(marker, { force: true });
    assert.throws(
      () => readPth(bytes('malicious.pth'), 'malicious.pth'),
      oneLine(/^malicious\.pth: refused: its pickle names posix\.system/),
    );
    assert.equal(existsSync(marker), false);
  });

  it('refuses truncated and foreign files with one line', () => {
    const full = bytes('small-5class.pth');
    assert.throws(() => readPth(full.subarray(0, full.length - 100), 'x.pth'), oneLine(/^x\.pth is truncated or not a zip archive/));
    assert.throws(() => readPth(full.subarray(0, 10), 'x.pth'), oneLine(/truncated or not a zip archive \(10 bytes\)/));
    assert.throws(() => readPth(new TextEncoder().encode('hello world'), 'x.pth'), oneLine(/is not a PyTorch file/));
    const legacy = bytes('legacy.pth');
    assert.throws(() => readPth(legacy.subarray(0, legacy.length - 4), 'x.pth'), oneLine(/^x\.pth is truncated \(storage/));
  });
});

describe('torchvision .pth -> our model', () => {
  for (const name of ['large-bf16', 'small-fp16', 'small-5class']) {
    it(`${name}: reproduces torch's logits within 1e-4`, async () => {
      const expected = caseOf(name);
      const { model } = await buildModelWithWeights({ weights: fixture(`${name}.pth`), classifierActivation: null });
      try {
        const meta = model.getUserDefinedMetadata() as { mobilenetv3: { options: { arch: string; classes: number; padding: string } } };
        assert.equal(meta.mobilenetv3.options.arch, expected.arch);
        assert.equal(meta.mobilenetv3.options.classes, expected.classes);
        assert.equal(meta.mobilenetv3.options.padding, 'symmetric');
        const card = readModelCard(model);
        assert.deepEqual(card?.input.mean, [0.485, 0.456, 0.406]);
        assert.equal(card?.input.inModel, null);
        const x = await inputs(model, expected.images);
        const y = model.predict(x) as tf.Tensor;
        const got = (await y.array()) as number[][];
        tf.dispose([x, y]);
        let worst = 0;
        got.forEach((row, i) =>
          row.forEach((v, j) => {
            worst = Math.max(worst, Math.abs(v - expected.logits[i][j]));
          }),
        );
        assert.ok(worst < 1e-4, `max |ours - torch| = ${worst}`);
      } finally {
        model.dispose();
      }
    });
  }

  it('refuses a wrong tensor shape and a missing key with one line', () => {
    const { tensors } = readPth(bytes('small-5class.pth'));
    const provenance = { source: 'file', id: 'x.pth' };
    const thousand = buildModel({ arch: 'small', padding: 'symmetric', includePreprocessing: false });
    assert.throws(
      () => applyTorchvisionStateDict(thousand, tensors, provenance),
      oneLine(/torchvision classifier\.3 has shapes .* but layer .* needs/),
    );
    thousand.dispose();
    const bent = tensors.map((t) =>
      t.name === 'features.0.0.weight' ? { ...t, shape: [t.shape[0], t.shape[1], 1, t.data.length / t.shape[0] / t.shape[1]] } : t,
    );
    assert.throws(() => buildTorchvisionModel(bent, {}, provenance), oneLine(/torchvision features\.0\.0 has shapes/));
    const missing = tensors.filter((t) => t.name !== 'features.5.block.1.1.running_var');
    assert.throws(() => buildTorchvisionModel(missing, {}, provenance), oneLine(/features\.5\.block\.1\.1 has no "running_var"/));
  });
});
