import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { buildModel, readImage } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { loadKerasH5Weights, readKerasH5File } from '../src/weights/h5-file.js';
import { sharedPath } from './shared.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'test-output/weights-cli';
const SMALL_H5 = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
const LARGE_MIN_H5 = sharedPath('weights/mobilenet_v3_large_minimalistic_224_1.0_float.h5');
const SAMPLE = sharedPath('data/imagenet-sample');
const CLASS_INDEX = sharedPath('data/imagenet_class_index.json');
await mkdir(OUT, { recursive: true });
await useTfBackend('wasm');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, MOBILENETV3_CACHE: `${ROOT}/${OUT}/cache` },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('real weights classify', () => {
  for (const [path, options] of [
    [SMALL_H5, { arch: 'small' }],
    [LARGE_MIN_H5, { arch: 'large', minimalistic: true }],
  ] as const) {
    it(`elephant.jpg is an elephant (${path.split('/').pop()})`, async () => {
      const model = buildModel(options);
      await loadKerasH5Weights(model, path);
      const image = await readImage(sharedPath('data/elephant.jpg'), { size: 224 });
      const probs = tf.tidy(() => (model.predict(tf.tensor4d(image.data, [1, 224, 224, 3])) as tf.Tensor).dataSync());
      const top = probs.indexOf(Math.max(...probs));
      assert.ok([386, 101].includes(top), `top class ${top} is African elephant (386) or tusker (101)`);
      assert.ok(probs[top] > 0.3);
    });
  }
  it('evaluate: top-1 >= 80% on 100 of the ImageNet sample photos, centre crop 0.875 (--json)', () => {
    const r = cli(
      'evaluate',
      SAMPLE,
      '--arch',
      'small',
      '--weights',
      SMALL_H5,
      '--class-index',
      CLASS_INDEX,
      '--crop',
      '0.875',
      '--limit',
      '100',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.images, 100);
    assert.ok(result.top1 >= 0.8, `top-1 ${result.top1}`);
    assert.ok(result.top5 >= result.top1 && result.top5 >= 0.9, `top-5 ${result.top5}`);
    assert.ok(result.imagesPerSecond > 0);
  });
});

describe('mobilenetv3 weights inspect / convert', () => {
  it('inspect lists layers, shapes, totals and the model the file fits', () => {
    const r = cli('weights', 'inspect', SMALL_H5, '--json');
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.format, 'keras-h5');
    assert.equal(info.layerCount, 239);
    assert.equal(info.layers.length, 88);
    assert.equal(info.totalParams, 2_554_968);
    assert.equal(info.fitsFlags, '--arch small');
    assert.deepEqual(info.layers[0], {
      name: 'Conv',
      weights: [{ name: 'Conv/kernel:0', shape: [3, 3, 3, 16], params: 432 }],
      params: 432,
    });
    const table = cli('weights', 'inspect', LARGE_MIN_H5);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /Total params: 3,948,688/);
    assert.match(table.stdout, /Fits: --arch large --minimalistic/);
  });

  it('convert .h5 -> TF.js -> .h5 keeps every weight bit for bit', async () => {
    await rm(`${OUT}/conv`, { recursive: true, force: true });
    const a = cli('weights', 'convert', SMALL_H5, `${OUT}/conv/model.json`);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /wrote .*model\.json \(TF\.js, --arch small, 2,554,968 params\)/);
    const b = cli('weights', 'convert', `${OUT}/conv/model.json`, `${OUT}/conv/back.h5`, '--json');
    assert.equal(b.code, 0, b.stderr);
    assert.equal(JSON.parse(b.stdout).to, 'h5');
    const [original, back] = [await readKerasH5File(SMALL_H5), await readKerasH5File(`${OUT}/conv/back.h5`)];
    assert.equal(back.layers.length, original.layers.length);
    back.layers.forEach((l, i) =>
      l.weights.forEach((w, j) => {
        assert.ok(
          Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).equals(
            Buffer.from(
              original.layers[i].weights[j].data.buffer,
              original.layers[i].weights[j].data.byteOffset,
              original.layers[i].weights[j].data.byteLength,
            ),
          ),
        );
      }),
    );
  });

  it("convert: typed model options override what the file's shapes say", async () => {
    const r = cli('weights', 'convert', SMALL_H5, `${OUT}/conv160/model.json`, '--input-size', '160');
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(await readFile(`${OUT}/conv160/model.json`, 'utf8'));
    assert.deepEqual(json.modelTopology.config.layers[0].config.batch_input_shape, [null, 160, 160, 3]);
    const bad = cli('weights', 'convert', SMALL_H5, `${OUT}/conv160/large.json`, '--arch', 'large');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /the model has 110.*; the file fits --arch small\n$/);
  });

  it('--weights works on other commands (summary) through the shared helper', () => {
    const r = cli('summary', '--arch', 'small', '--weights', `${OUT}/conv/back.h5`, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).totalParams, 2_554_968);
    assert.equal(r.stderr, '');
    // A model.json brings its own architecture: the default --arch large is not used.
    const j = cli('summary', '--weights', `${OUT}/conv/model.json`, '--json');
    assert.equal(j.code, 0, j.stderr);
    assert.equal(JSON.parse(j.stdout).totalParams, 2_554_968);
  });
});

describe('weights and evaluate: bad input gives one line and a non-zero exit', () => {
  const cases: [string, () => Promise<string[]> | string[], RegExp][] = [
    [
      'mismatched file and model (names the fitting flags)',
      () => ['summary', '--weights', SMALL_H5],
      /has 88 layers with weights but the model has 110.*the file fits --arch small/,
    ],
    [
      'a file with its top into a model without (names the flag to drop)',
      () => ['summary', '--arch', 'small', '--no-top', '--weights', SMALL_H5],
      /has 88 layers with weights but the model has 86.*the file fits --arch small without --no-top\n/,
    ],
    ['missing file', () => ['summary', '--weights', `${OUT}/none.h5`], /weights file not found: .*none\.h5/],
    [
      'truncated file',
      async () => {
        await writeFile(`${OUT}/cut.h5`, (await readFile(SMALL_H5)).subarray(0, 3_000_000));
        return ['weights', 'inspect', `${OUT}/cut.h5`];
      },
      /cut\.h5 .*truncated or corrupt/,
    ],
    ['imagenet for alpha 0.5', () => ['summary', '--alpha', '0.5', '--weights', 'imagenet'], /no ImageNet weights for large alpha 0\.5/],
    ['convert to an unknown format', () => ['weights', 'convert', SMALL_H5, `${OUT}/x.txt`], /must end in \.h5 .* or \.json/],
    ['evaluate without weights', () => ['evaluate', SAMPLE, '--class-index', CLASS_INDEX], /evaluate needs --weights/],
    [
      'evaluate with a bad crop',
      () => ['evaluate', SAMPLE, '--weights', SMALL_H5, '--crop', '1.5'],
      /--crop must be a fraction in \(0, 1\], got "1\.5"/,
    ],
    ['evaluate with a bad limit', () => ['evaluate', SAMPLE, '--weights', SMALL_H5, '--limit', '0'], /--limit must be a whole number/],
    [
      'evaluate a missing folder',
      () => ['evaluate', `${OUT}/no-dir`, '--arch', 'small', '--weights', SMALL_H5, '--class-index', CLASS_INDEX],
      /image folder not found/,
    ],
    // Without --class-index the folder is still checked first, before any class index download.
    [
      'evaluate a missing folder, default class index',
      () => ['evaluate', `${OUT}/no-dir`, '--arch', 'small', '--weights', SMALL_H5],
      /image folder not found/,
    ],
    [
      'evaluate with a missing class index',
      () => ['evaluate', SAMPLE, '--weights', SMALL_H5, '--class-index', `${OUT}/none.json`],
      /class index not found/,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const r = cli(...(await args()));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    });
  }
});
