import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClassifier } from '../src/classify/classifier.js';
import { IMAGENET_CLASSES } from '../src/classify/imagenet-classes.js';
import { topK } from '../src/classify/top-k.js';
import { readOnnxMetadata } from '../src/export/onnx/metadata.js';
import { sharedPath } from './shared.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'test-output/classify');
const SMALL = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
const ELEPHANT = sharedPath('data/elephant.jpg');
const ENV = { ...process.env, MOBILENETV3_CACHE: join(OUT, 'cache') };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: ENV });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ImageNet class names', () => {
  it('are the 1000 torchvision names in class-index order', () => {
    assert.equal(IMAGENET_CLASSES.length, 1000);
    assert.equal(IMAGENET_CLASSES[0], 'tench');
    assert.equal(IMAGENET_CLASSES[386], 'African elephant');
    assert.equal(IMAGENET_CLASSES[999], 'toilet tissue');
    assert.equal(new Set(IMAGENET_CLASSES).size, 1000);
  });
  it('top-k sorts by probability, ties by index', () => {
    const p = topK(new Float32Array([0.1, 0.5, 0.1, 0.3]), 3, ['a', 'b', 'c', 'd']);
    assert.deepEqual(
      p.map((x) => [x.rank, x.index, x.label]),
      [
        [1, 1, 'b'],
        [2, 3, 'd'],
        [3, 0, 'a'],
      ],
    );
  });
});

describe('mobilenetv3 classify', () => {
  before(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(join(OUT, 'photos/nested'), { recursive: true });
    await copyFile(ELEPHANT, join(OUT, 'photos/nested/elephant.jpg'));
    await writeFile(join(OUT, 'photos/broken.jpg'), 'not a jpeg');
    await writeFile(join(OUT, 'photos/readme.txt'), 'ignored: not an image name');
  });

  for (const engine of ['onnx', 'tfjs']) {
    it(`says elephant with the real Small weights on ${engine}`, () => {
      const r = cli('classify', ELEPHANT, '--arch', 'small', '--weights', SMALL, '--engine', engine, '--top', '3');
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0], /elephant\.jpg$/);
      assert.match(lines[1], /rank\s+class\s+probability/);
      assert.match(lines[2], /^\s+1\s+African elephant\s+0\.6\d{3}$/);
      assert.equal(lines.length, 5);
    });
  }

  it('walks folders, reports and skips unreadable files, exits non-zero; --json gives JSON lines', () => {
    const r = cli('classify', join(OUT, 'photos'), join(OUT, 'missing.png'), '--arch', 'small', '--weights', SMALL, '--json', '--top', '2');
    assert.equal(r.code, 1);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const ok = rows.filter((x) => x.predictions);
    assert.equal(ok.length, 1);
    assert.match(ok[0].source, /nested\/elephant\.jpg$/);
    assert.equal(ok[0].predictions[0].label, 'African elephant');
    assert.equal(ok[0].predictions.length, 2);
    const errors = rows
      .filter((x) => x.error)
      .map((x) => x.error)
      .join('\n');
    assert.match(errors, /broken\.jpg: not an image/);
    assert.match(errors, /missing\.png: no such file/);
    assert.doesNotMatch(errors, /readme/);
    // One line per bad input, no summary line on top.
    assert.deepEqual(
      r.stderr
        .trim()
        .split('\n')
        .map((l) => l.replace(/^mobilenetv3: .*(broken\.jpg|missing\.png).*$/, '$1'))
        .sort(),
      ['broken.jpg', 'missing.png'],
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('exports ONNX with ImageNet labels in the metadata and classifies with --model', async () => {
    const file = join(OUT, 'small.onnx');
    const e = cli('export', '--arch', 'small', '--weights', SMALL, '--format', 'onnx', '-o', file);
    assert.equal(e.code, 0, e.stderr);
    const meta = readOnnxMetadata(new Uint8Array(await readFile(file)));
    assert.equal(meta.arch, 'small');
    assert.equal(JSON.parse(meta.labels)[386], 'African elephant');
    const r = cli('classify', ELEPHANT, '--model', file, '--top', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).predictions[0].label, 'African elephant');
  });

  it('exports a TF.js model (format from the folder name) and classifies with --model <folder>', () => {
    const dir = join(OUT, 'tfjs-small');
    const e = cli('export', '--arch', 'small', '--weights', SMALL, '-o', dir);
    assert.equal(e.code, 0, e.stderr);
    const r = cli('classify', ELEPHANT, '--model', dir, '--top', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).predictions[0].label, 'African elephant');
  });

  it('export takes the format from .h5 and refuses names it cannot place, writing nothing', async () => {
    const h5 = join(OUT, 'small-weights.h5');
    const e = cli('export', '--arch', 'small', '--weights', SMALL, '-o', h5);
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual([...(await readFile(h5)).subarray(0, 8)], [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]); // HDF5 signature
    for (const [args, pattern] of [
      [['-o', join(OUT, 'model.foo')], /cannot tell the export format from ".*model\.foo": end it in \.onnx, \.h5 or \.json/],
      [['--format', 'onnx', '-o', join(OUT, 'model.h5')], /--format onnx does not match the output name ".*model\.h5" \(that is h5\)/],
    ] as [string[], RegExp][]) {
      const r = cli('export', '--arch', 'small', ...args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      await assert.rejects(readFile(args[args.length - 1]), /ENOENT/);
    }
  });

  it('a train folder with corrupt model files: one line naming the file, on either engine (labels come from the model card)', async () => {
    const dir = join(OUT, 'corrupt-labels');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.onnx'), '');
    await writeFile(join(dir, 'model.json'), '');
    // Not read: the class names are in each model's card.
    await writeFile(join(dir, 'labels.json'), '["cat", "do');
    for (const [engine, file] of [
      ['onnx', 'model.onnx'],
      ['tfjs', 'model.json'],
    ]) {
      const r = cli('classify', ELEPHANT, '--model', dir, '--engine', engine);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`corrupt-labels/${file.replace('.', '\\.')}`));
      assert.doesNotMatch(r.stderr, /labels\.json/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  for (const [args, pattern] of [
    [['--arch', 'small'], /needs trained weights/],
    [['--top', '0', '--weights', SMALL], /--top must be a whole number/],
    [['--crop', '2', '--weights', SMALL], /--crop must be a fraction/],
    [['--model', 'x.onnx', '--weights', SMALL], /either --weights or --model/],
    [['--model', 'test-output/none.onnx'], /cannot read model file/],
    [['--weights', 'test-output/none.h5'], /cannot read weights file/],
  ] as [string[], RegExp][]) {
    it(`rejects ${args.join(' ')} with one line`, () => {
      const r = cli('classify', ELEPHANT, ...args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }
});

describe('createClassifier', () => {
  it('classifies a Buffer; the cached ONNX export gives the same answer as a fresh one', async () => {
    process.env.MOBILENETV3_CACHE = join(OUT, 'api-cache');
    const bytes = await readFile(ELEPHANT);
    const results = [];
    for (const cache of [true, true, false]) {
      const c = await createClassifier({ arch: 'small', weights: SMALL, top: 2, cache });
      results.push(await c.classify(bytes));
      await c.dispose();
    }
    assert.equal(results[0].source, '<buffer 0>');
    assert.equal(results[0].predictions[0].label, 'African elephant');
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
    // A model without its Rescaling layer gets [-1, 1] pixels: same answer.
    const bare = await createClassifier({ arch: 'small', weights: SMALL, top: 2, includePreprocessing: false });
    const r = await bare.classify(bytes);
    await bare.dispose();
    assert.equal(r.predictions[0].label, 'African elephant');
    assert.ok(Math.abs(r.predictions[0].probability - results[0].predictions[0].probability) < 1e-4);
  });
});

describe('mobilenetv3 evaluate --engine', () => {
  it('gives the same top-1/top-5 on ONNX Runtime as on TF.js (real Small weights, 24 photos)', () => {
    const run = (engine: string) => {
      const r = cli(
        'evaluate',
        sharedPath('data/imagenet-sample'),
        '--arch',
        'small',
        '--weights',
        SMALL,
        '--class-index',
        sharedPath('data/imagenet_class_index.json'),
        '--crop',
        '0.875',
        '--limit',
        '24',
        '--engine',
        engine,
        '--json',
      );
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    const onnx = run('onnx');
    const tfjs = run('tfjs');
    assert.equal(onnx.engine, 'onnx');
    assert.equal(onnx.images, 24);
    assert.ok(onnx.correctTop1 >= 15, `top-1 ${onnx.correctTop1}/24 is too low for real weights`);
    assert.deepEqual([onnx.correctTop1, onnx.correctTop5], [tfjs.correctTop1, tfjs.correctTop5]);
  });
});
