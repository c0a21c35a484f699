import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { classCounts, DataError, scanDataset, splitDataset, withoutUnreadable } from '../src/train/dataset.js';
import { accuracyOf, confusionMatrix, perClassMetrics } from '../src/train/metrics.js';
import { checkOutputFolder } from '../src/train/output-folder.js';
import { sharedPath } from './shared.js';

const ROOT = 'test-output/train-data';

/** A folder tree from { 'cats/a.jpg': 'bytes', 'empty/': '' }. */
async function tree(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(ROOT, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    if (path.endsWith('/')) await mkdir(join(dir, path), { recursive: true });
    else {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
  }
  return dir;
}

const images = (cls: string, n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`${cls}/img${String(i).padStart(2, '0')}.jpg`, 'x']));

describe('training data folder', () => {
  it('reads classes in sorted order, images recursively, ignores hidden and non-image files', async () => {
    const dir = await tree('ok', {
      ...images('zebra', 2),
      ...images('ant', 3),
      'ant/sub/deep.PNG': 'x',
      'ant/notes.txt': 'x',
      'ant/.hidden.jpg': 'x',
      '.cache/a.jpg': 'x',
    });
    const data = await scanDataset(dir);
    assert.deepEqual(data.classes, ['ant', 'zebra']);
    assert.deepEqual(classCounts(2, data.samples), [4, 2]);
    assert.ok(data.samples.some((s) => s.path.endsWith(join('sub', 'deep.PNG'))));
  });

  it('missing folder, a file, no class folders, a single class, empty classes: one clear line each', async () => {
    await assert.rejects(
      scanDataset(join(ROOT, 'nope')),
      (e: Error) => e instanceof DataError && /data folder .*nope does not exist/.test(e.message),
    );
    const file = await tree('file', { 'f.jpg': 'x' });
    await assert.rejects(scanDataset(join(file, 'f.jpg')), /is not a folder: give a folder with one sub-folder of images per class/);
    await assert.rejects(
      scanDataset(await tree('flat', { 'a.jpg': 'x' })),
      /has no class folders: put the images of each class in its own sub-folder/,
    );
    await assert.rejects(
      scanDataset(await tree('single', images('cats', 5))),
      /has a single class folder \(cats\): a classifier needs at least two classes/,
    );
    await assert.rejects(
      scanDataset(await tree('empty', { ...images('cats', 5), 'dogs/': '', 'owls/readme.txt': 'x' })),
      (e: Error) => /^empty class folders in .*: dogs, owls \(every class needs images/.test(e.message) && !e.message.includes('\n'),
    );
  });

  it('splits per class, deterministic for a seed, different for another', async () => {
    const data = await scanDataset(await tree('split', { ...images('a', 10), ...images('b', 5) }));
    const s1 = splitDataset(data, 0.2, 7);
    assert.deepEqual(classCounts(2, s1.val), [2, 1]);
    assert.deepEqual(classCounts(2, s1.train), [8, 4]);
    assert.deepEqual(splitDataset(data, 0.2, 7), s1);
    const others = [1, 2, 3, 4, 5].map((seed) =>
      splitDataset(data, 0.2, seed)
        .val.map((s) => s.path)
        .join(),
    );
    assert.ok(
      others.some((v) => v !== s1.val.map((s) => s.path).join()),
      'the seed changes the split',
    );
    assert.equal(splitDataset(data, 0, 7).val.length, 0);
  });

  it('too few images for the split names the class', async () => {
    const data = await scanDataset(await tree('few', { ...images('a', 10), ...images('b', 1) }));
    assert.throws(
      () => splitDataset(data, 0.2, 1),
      /class b has 1 image: with --val-split 0.2 each class needs at least 2 \(one to train, one to validate\)$/,
    );
    assert.doesNotThrow(() => splitDataset(data, 0, 1));
  });

  it('dropping unreadable images that empty a class is an error naming it', async () => {
    const data = await scanDataset(await tree('unreadable', { ...images('a', 3), ...images('b', 1) }));
    const b = data.samples.filter((s) => s.label === 1).map((s) => s.path);
    assert.throws(() => withoutUnreadable(data, new Set(b)), /no readable image left in class folder b of/);
    assert.equal(withoutUnreadable(data, new Set([data.samples[0].path])).samples.length, 3);
  });
});

describe('output folder', () => {
  it('accepts a new or empty folder, refuses foreign files and a different model', async () => {
    assert.equal(await checkOutputFolder(join(ROOT, 'out-new'), ['a', 'b'], 'small', false), undefined);
    const empty = await tree('out-empty', {});
    assert.equal(await checkOutputFolder(empty, ['a', 'b'], 'small', false), undefined);
    const foreign = await tree('out-foreign', { 'thesis.docx': 'x' });
    await assert.rejects(
      checkOutputFolder(foreign, ['a', 'b'], 'small', false),
      /is not empty and holds no training run of mobilenetv3: choose a new or empty folder/,
    );
    const other = await tree('out-other', { 'labels.json': '["cat","dog"]', 'metrics.json': '{"config":{"arch":"small"}}' });
    await assert.rejects(
      checkOutputFolder(other, ['a', 'b'], 'small', false),
      /already holds a different model \(small, classes cat, dog\): choose another output folder or delete it/,
    );
    await assert.rejects(checkOutputFolder(other, ['cat', 'dog'], 'large', false), /already holds a different model \(small/);
    const same = await checkOutputFolder(other, ['cat', 'dog'], 'small', false);
    assert.deepEqual(same?.classes, ['cat', 'dog']);
  });

  it('labels.json / metrics.json that a run did not write make the folder foreign, not a crash', async () => {
    for (const [name, labels] of [
      ['out-garbage', 'garbage'],
      ['out-object', '{"a":1}'],
    ]) {
      const dir = await tree(name, { 'labels.json': labels, 'metrics.json': '{}' });
      await assert.rejects(
        checkOutputFolder(dir, ['a', 'b'], 'small', false),
        (e: Error) => e instanceof DataError && /is not empty and holds no training run of mobilenetv3/.test(e.message),
        name,
      );
    }
  });

  it('--resume needs a checkpoint', async () => {
    await assert.rejects(checkOutputFolder(join(ROOT, 'out-none'), ['a'], 'small', true), /nothing to resume: .* does not exist/);
    const done = await tree('out-done', { 'labels.json': '["a","b"]', 'metrics.json': '{"config":{"arch":"small"}}' });
    await assert.rejects(checkOutputFolder(done, ['a', 'b'], 'small', true), /nothing to resume: .* has no checkpoint.bin/);
  });
});

describe('checkpoint in an output folder', () => {
  it('is recognised from its header alone: checking the folder makes no tensors', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { CHECKPOINT_FILE, writeCheckpoint } = await import('../src/train/checkpoint.js');
    const dir = await tree('with-checkpoint', {});
    const layer = tf.layers.dense({ units: 3, inputShape: [4], name: 'logits' });
    tf.sequential({ layers: [layer] });
    const optimizer = tf.train.adam(1e-3);
    const history = [
      { epoch: 1, stage: 1 as const, loss: 1, accuracy: 0.5, valLoss: null, valAccuracy: null, seconds: 1, trainSeconds: 1 },
    ];
    await writeCheckpoint(
      join(dir, CHECKPOINT_FILE),
      { version: 1, config: { arch: 'small' }, classes: ['a', 'b', 'c'], dataFingerprint: 'x', stage: 1, epochsDone: 1, history },
      [layer],
      optimizer,
    );
    const before = tf.memory().numTensors;
    const previous = await checkOutputFolder(dir, ['a', 'b', 'c'], 'small', true);
    assert.deepEqual(previous, { classes: ['a', 'b', 'c'], arch: 'small', hasCheckpoint: true });
    assert.equal(tf.memory().numTensors, before);
    layer.dispose();
    optimizer.dispose();
  });

  it('--resume on changed data is refused before any image is read', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { CHECKPOINT_FILE, writeCheckpoint } = await import('../src/train/checkpoint.js');
    const { train } = await import('../src/train/train.js');
    const data = await tree('resume-changed-data', { ...images('a', 3), ...images('b', 3) });
    const output = await tree('resume-changed-out', {});
    const layer = tf.layers.dense({ units: 2, inputShape: [4], name: 'logits' });
    tf.sequential({ layers: [layer] });
    const optimizer = tf.train.adam(1e-3);
    await writeCheckpoint(
      join(output, CHECKPOINT_FILE),
      { version: 1, config: { arch: 'small' }, classes: ['a', 'b'], dataFingerprint: 'other data', stage: 1, epochsDone: 1, history: [] },
      [layer],
      optimizer,
    );
    layer.dispose();
    optimizer.dispose();
    const phases = new Set<string>();
    await assert.rejects(
      train({ data, output, resume: true, onProgress: (e) => phases.add(e.phase) }),
      (e: Error) => e instanceof DataError && /changed since the checkpoint .*: train again without --resume$/.test(e.message),
    );
    assert.deepEqual([...phases], ['scan']);
  });
});

describe('metrics', () => {
  it('confusion matrix, accuracy, per-class precision and recall', () => {
    const truth = [0, 0, 0, 1, 1, 2];
    const predicted = [0, 0, 1, 1, 0, 0];
    const m = confusionMatrix(truth, predicted, 3);
    assert.deepEqual(m, [
      [2, 1, 0],
      [1, 1, 0],
      [1, 0, 0],
    ]);
    assert.equal(accuracyOf(m), 3 / 6);
    const [a, b, c] = perClassMetrics(m, ['a', 'b', 'c']);
    assert.deepEqual([a.precision, a.recall, a.support], [2 / 4, 2 / 3, 3]);
    assert.deepEqual([b.precision, b.recall], [1 / 2, 1 / 2]);
    assert.equal(c.precision, null, 'never predicted: precision undefined, not 0');
    assert.equal(c.recall, 0);
  });
});

describe('mobilenetv3 train (CLI) on bad data', () => {
  it('prints one line and exits non-zero, writing nothing', async () => {
    const dir = await tree('cli-single', images('cats', 3));
    const out = join(ROOT, 'cli-single-out');
    await rm(out, { recursive: true, force: true });
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', dir, '-o', out, '--weights', 'none.h5'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 1);
    assert.equal(
      run.stderr
        .trim()
        .split('\n')
        .filter((l) => !/tfjs-node|={5}|Hi, looks/.test(l))
        .join('\n'),
      `mobilenetv3: ${dir} has a single class folder (cats): a classifier needs at least two classes`,
    );
    assert.equal(run.stdout, '');
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(out), false);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', dir, '-o', out, '--val-split', '1.5'], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /mobilenetv3: --val-split must be a fraction in \[0, 1\), got "1.5"/);
  });

  it("bad model options are refused by the builder's rules before the data is read", async () => {
    const { train } = await import('../src/train/train.js');
    const base = { data: join(ROOT, 'never-read'), output: join(ROOT, 'never-written') };
    await assert.rejects(train({ ...base, alpha: 0 }), /^OptionError: alpha must be a number in \(0, 4\], got 0$/);
    await assert.rejects(
      train({ ...base, inputSize: [224, 16] }),
      /^OptionError: input size must be a whole number of at least 32, got 16$/,
    );
    await assert.rejects(train({ ...base, dropout: 1 }), /^OptionError: dropout rate must be in \[0, 1\), got 1$/);
  });

  it("--fine-tune beyond the model's bnecks is refused before the output folder is made", async () => {
    const { train } = await import('../src/train/train.js');
    const data = await tree('fine-tune-too-many', { ...images('cats', 3), ...images('dogs', 3) });
    const output = join(ROOT, 'fine-tune-too-many-out');
    await rm(output, { recursive: true, force: true });
    await assert.rejects(
      train({ data, output, arch: 'small', weights: sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5'), fineTune: 99 }),
      /fineTune must be 'all' or a number of blocks from 1 to 11 \(MobileNetV3-Small has 11 bnecks\), got 99/,
    );
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(output), false);
  });

  it('an output that cannot be created fails before any image is read', async () => {
    const { train } = await import('../src/train/train.js');
    const dir = await tree('unwritable', { ...images('cats', 3), ...images('dogs', 3), 'a-file': 'x' });
    const phases = new Set<string>();
    await assert.rejects(
      train({
        data: dir,
        output: join(dir, 'a-file', 'out'),
        arch: 'small',
        weights: sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5'),
        onProgress: (e) => phases.add(e.phase),
      }),
      (e: Error) =>
        e instanceof DataError && e.message === `cannot write to output folder ${join(dir, 'a-file', 'out')}: part of the path is a file`,
    );
    assert.deepEqual([...phases], ['scan']);
  });

  it('weights of another architecture are refused before any work, not partly loaded by name', async () => {
    const dir = await tree('cli-wrong-arch', { ...images('cats', 3), ...images('dogs', 3) });
    const out = join(ROOT, 'cli-wrong-arch-out');
    await rm(out, { recursive: true, force: true });
    const weights = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'train', dir, '-o', out, '--arch', 'large', '--weights', weights],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 1);
    assert.equal(
      run.stderr
        .trim()
        .split('\n')
        .filter((l) => !/tfjs-node|={5}|Hi, looks/.test(l))
        .at(-1),
      `mobilenetv3: ${weights} does not fit the model: layer "expanded_conv_1_expand" expects kernel [1, 1, 16, 64], file layer "expanded_conv_1/expand" has [1, 1, 16, 72]`,
    );
    assert.equal(run.stdout, '');
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(out), false);
  });
});
