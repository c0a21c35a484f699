/**
 * Transfer learning end to end on real photos and real weights (a small version of
 * scripts/train-superclasses.ts): outputs, classify with the result, unreadable images,
 * interrupt and resume (API and Ctrl-C), stage 2, and the output-folder rule.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { makeSuperclassFolder, SUPERCLASSES } from '../scripts/imagenet-superclasses.js';
import { createClassifier } from '../src/classify/classifier.js';
import { CHECKPOINT_FILE, readCheckpoint } from '../src/train/checkpoint.js';
import { train, type TrainConfig, type TrainOptions } from '../src/train/train.js';
import { sharedPath } from './shared.js';

const ROOT = 'test-output/train';
const WEIGHTS = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
const GROUPS = { dogs: SUPERCLASSES.dogs, birds: SUPERCLASSES.birds, 'fish-aquatic': SUPERCLASSES['fish-aquatic'] };

async function dataset(name: string, perClass = 12): Promise<string> {
  const dir = join(ROOT, name);
  await rm(dir, { recursive: true, force: true });
  return makeSuperclassFolder(GROUPS, perClass, dir);
}

async function fresh(name: string): Promise<string> {
  const dir = join(ROOT, name);
  await rm(dir, { recursive: true, force: true });
  return dir;
}

const base = (data: string, output: string): TrainOptions => ({
  data,
  output,
  arch: 'small',
  weights: WEIGHTS,
  epochs: 6,
  batchSize: 16,
  learningRate: 0.01,
  valSplit: 0.25,
  seed: 3,
});

describe('train (stage 1) on ImageNet photos grouped into dogs / birds / fish', () => {
  it('learns the task, writes every output, skips and lists an unreadable image, and classify uses the result', async () => {
    const data = await dataset('task');
    await writeFile(join(data, 'birds', 'zz-corrupt.jpg'), 'this is not a JPEG');
    const output = await fresh('task-out');
    const result = await train(base(data, output));

    assert.equal(result.completed, true);
    assert.deepEqual(result.classes, ['birds', 'dogs', 'fish-aquatic']);
    assert.deepEqual(
      result.skipped.map((s) => s.path),
      [join('birds', 'zz-corrupt.jpg')],
    );
    assert.deepEqual(result.counts, { train: 27, val: 9 });
    assert.ok(result.valAccuracy! >= 8 / 9, `validation accuracy ${result.valAccuracy}`);

    for (const f of [
      'model.json',
      'model.weights.bin',
      'model.h5',
      'model.onnx',
      'labels.json',
      'metrics.json',
      'curves.png',
      'confusion.png',
      CHECKPOINT_FILE,
    ]) {
      assert.ok(existsSync(join(output, f)), `${f} written`);
    }
    assert.deepEqual(JSON.parse(await readFile(join(output, 'labels.json'), 'utf8')), ['birds', 'dogs', 'fish-aquatic']);
    const metrics = JSON.parse(await readFile(join(output, 'metrics.json'), 'utf8'));
    assert.equal(metrics.history.length, 6);
    for (const r of metrics.history) for (const k of ['loss', 'accuracy', 'valLoss', 'valAccuracy']) assert.equal(typeof r[k], 'number', k);
    assert.ok(metrics.history[5].loss < metrics.history[0].loss, 'training loss falls');
    assert.deepEqual(
      metrics.final.perClass.map((c: { name: string; support: number }) => [c.name, c.support]),
      [
        ['birds', 3],
        ['dogs', 3],
        ['fish-aquatic', 3],
      ],
    );
    for (const c of metrics.final.perClass) assert.ok(c.precision >= 0 && c.precision <= 1 && c.recall >= 0 && c.recall <= 1);
    assert.deepEqual(
      metrics.skipped.map((s: { path: string }) => s.path),
      [join('birds', 'zz-corrupt.jpg')],
    );
    assert.match(metrics.skipped[0].reason, /\S/);
    for (const png of ['curves.png', 'confusion.png']) {
      const meta = await sharp(join(output, png)).metadata();
      assert.equal(meta.format, 'png');
      assert.ok(meta.width! > 500 && meta.height! > 300, `${png} ${meta.width}x${meta.height}`);
    }

    // classify --model <outdir>: the trained model and its labels.
    const classifier = await createClassifier({ model: output, top: 3 });
    try {
      assert.deepEqual([...classifier.labels], ['birds', 'dogs', 'fish-aquatic']);
      const dog = join(data, 'dogs', 'n02085620_Chihuahua.JPEG');
      const { predictions } = await classifier.classify(dog);
      assert.equal(predictions[0].label, 'dogs');
    } finally {
      await classifier.dispose();
    }
  });

  it('refuses an output folder that holds a different model', async () => {
    const output = join(ROOT, 'task-out');
    const other = await makeSuperclassFolder({ dogs: SUPERCLASSES.dogs, insects: SUPERCLASSES.insects }, 4, await fresh('other-task'));
    await assert.rejects(
      train(base(other, output)),
      /task-out already holds a different model \(small, classes birds, dogs, fish-aquatic\): choose another output folder or delete it/,
    );
  });
});

describe('no validation set', () => {
  it("--val-split 0 trains on everything and leaves no confusion matrix, not even an earlier run's", async () => {
    const data = await dataset('no-val', 2);
    const output = await fresh('no-val-out');
    await train({ ...base(data, output), epochs: 1 });
    assert.ok(existsSync(join(output, 'confusion.png')));
    const result = await train({ ...base(data, output), epochs: 1, valSplit: 0 });
    assert.deepEqual([result.counts, result.valAccuracy, result.confusion], [{ train: 6, val: 0 }, null, []]);
    assert.equal(existsSync(join(output, 'confusion.png')), false);
  });
});

describe('augmented views', () => {
  it('are reproducible crops inside the image, and --augment trains on them', async () => {
    const { viewFlip, viewRegion } = await import('../src/train/views.js');
    const a = viewRegion(500, 375, 42, 7, 1);
    assert.deepEqual(viewRegion(500, 375, 42, 7, 1), a, 'same seed, sample and view: same crop (resume re-extracts it)');
    assert.notDeepEqual(viewRegion(500, 375, 42, 7, 2), a);
    for (let v = 1; v < 50; v++) {
      const r = viewRegion(500, 375, 1, v, v);
      assert.ok(r.left >= 0 && r.top >= 0 && r.left + r.width <= 500 && r.top + r.height <= 375 && r.width * r.height >= 0.3 * 500 * 375);
    }
    const flips = Array.from({ length: 40 }, (_, i) => viewFlip(1, i, 1)).filter(Boolean).length;
    assert.ok(flips > 8 && flips < 32, `about half the views are mirrored (${flips}/40)`);

    const data = await dataset('augment', 6);
    const output = await fresh('augment-out');
    const result = await train({ ...base(data, output), epochs: 2, augment: 2 });
    assert.equal(result.completed, true);
    assert.equal(JSON.parse(await readFile(join(output, 'metrics.json'), 'utf8')).config.augment, 2);
  });
});

describe('interrupt and resume', () => {
  it('a stop after epoch 3 leaves that checkpoint; --resume finishes the run from it', async () => {
    const data = await dataset('resume', 8);
    const output = await fresh('resume-out');
    const controller = new AbortController();
    const first = await train({
      ...base(data, output),
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'epoch' && e.record.epoch === 3) controller.abort();
      },
    });
    assert.equal(first.completed, false);
    assert.equal(first.history.length, 3);
    assert.equal(existsSync(join(output, 'model.onnx')), false, 'no final model from a stopped run');
    const checkpoint = await readCheckpoint<TrainConfig>(join(output, CHECKPOINT_FILE));
    assert.equal(checkpoint.header.epochsDone, 3);
    assert.deepEqual(checkpoint.header.history, first.history);
    assert.ok(checkpoint.layers.has('logits') && checkpoint.optimizer.length > 0, 'classifier weights and Adam state saved');

    const resumed: number[] = [];
    const second = await train({
      ...base(data, output),
      arch: undefined,
      epochs: 99,
      resume: true,
      onProgress: (e) => {
        if (e.phase === 'epoch') resumed.push(e.record.epoch);
      },
    });
    assert.equal(second.completed, true);
    assert.deepEqual(resumed, [4, 5, 6], "continues after the checkpoint, with the checkpoint's settings (small, 6 epochs)");
    assert.deepEqual(second.history.slice(0, 3), first.history);
    assert.ok(existsSync(join(output, 'model.onnx')));

    // The same run without the interruption: the same numbers (seeded split, order, dropout).
    const straight = await train(base(data, await fresh('resume-straight')));
    const numbers = (h: typeof straight.history) => h.map((r) => [r.epoch, r.loss, r.accuracy, r.valLoss, r.valAccuracy]);
    assert.deepEqual(numbers(second.history), numbers(straight.history));
  });

  it('Ctrl-C in the CLI stops with exit code 130 and a one-line message; --resume completes', async () => {
    const data = await dataset('sigint', 6);
    const output = await fresh('sigint-out');
    const args = [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'train',
      data,
      '-o',
      output,
      '--arch',
      'small',
      '--weights',
      WEIGHTS,
      '--epochs',
      '40',
      '--batch',
      '4',
      '--val-split',
      '0.34',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!existsSync(join(output, CHECKPOINT_FILE))) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    const last = stderr.trim().split('\n').at(-1)!;
    assert.match(last, /^mobilenetv3: interrupted: the checkpoint in .*sigint-out holds epoch (\d+); continue with --resume$/);
    const epoch = Number(/holds epoch (\d+)/.exec(last)![1]);
    assert.ok(epoch >= 1 && epoch < 40);
    const { header } = await readCheckpoint<TrainConfig>(join(output, CHECKPOINT_FILE));
    assert.equal(header.epochsDone, epoch, 'the checkpoint is the last complete epoch');

    const again = spawn(process.execPath, [...args, '--resume', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    again.stdout.on('data', (d) => {
      stdout += d;
    });
    assert.equal(await new Promise((resolve) => again.on('exit', resolve)), 0);
    const result = JSON.parse(stdout);
    assert.equal(result.completed, true);
    assert.equal(result.history.length, 40);
  });
});

describe('stage 2 (fine-tuning the last blocks)', () => {
  it('trains the last 2 bnecks on cached activations and leaves the blocks below untouched', async () => {
    const data = await dataset('finetune', 8);
    const output = await fresh('finetune-out');
    const result = await train({ ...base(data, output), epochs: 3, fineTune: 2, fineTuneEpochs: 1 });
    assert.equal(result.completed, true);
    assert.deepEqual(
      result.history.map((r) => [r.epoch, r.stage]),
      [
        [1, 1],
        [2, 1],
        [3, 1],
        [4, 2],
      ],
    );
    assert.ok(result.fineTuneImagesPerSecond! > 0);

    const tf = await import('@tensorflow/tfjs');
    const { loadTfjsModel } = await import('../src/weights/tfjs-files.js');
    const { buildModel } = await import('../src/architecture/builder.js');
    const { loadWeights } = await import('../src/weights/load.js');
    const trained = await loadTfjsModel(join(output, 'model.json'));
    const pretrained = buildModel({ arch: 'small', includeTop: false, pooling: 'avg' });
    await loadWeights(pretrained, WEIGHTS, { byName: true });
    const differs = (layer: string) =>
      trained
        .getLayer(layer)
        .getWeights()
        .some((w, i) => tf.max(tf.abs(tf.sub(w, pretrained.getLayer(layer).getWeights()[i]))).dataSync()[0] > 0);
    assert.equal(differs('expanded_conv_8_project'), false, 'block 8 is below the cut');
    assert.equal(differs('expanded_conv_9_project'), true, 'block 9 was fine-tuned');
    assert.equal(differs('conv_1'), true, 'the head conv was fine-tuned');
    const bn = trained.getLayer('expanded_conv_10_expand_bn').getWeights();
    const bnBefore = pretrained.getLayer('expanded_conv_10_expand_bn').getWeights();
    assert.equal(tf.max(tf.abs(tf.sub(bn[2], bnBefore[2]))).dataSync()[0], 0, 'BN moving mean stays (inference mode)');
    trained.dispose();
    pretrained.dispose();
  });

  it('a stop during stage 2 resumes to the same result as an uninterrupted run', async () => {
    const data = join(ROOT, 'finetune');
    const options = { ...base(data, ''), epochs: 2, fineTune: 1, fineTuneEpochs: 3 };
    const output = await fresh('finetune-resume');
    const controller = new AbortController();
    const stopped = await train({
      ...options,
      output,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'epoch' && e.record.epoch === 4) controller.abort();
      },
    });
    assert.deepEqual(
      stopped.history.map((r) => [r.epoch, r.stage]),
      [
        [1, 1],
        [2, 1],
        [3, 2],
        [4, 2],
      ],
    );
    const { header } = await readCheckpoint<TrainConfig>(join(output, CHECKPOINT_FILE));
    assert.deepEqual([header.stage, header.epochsDone], [2, 2]);
    const resumed = await train({ ...options, output, resume: true });
    const straight = await train({ ...options, output: await fresh('finetune-straight') });
    const numbers = (h: typeof straight.history) => h.map((r) => [r.epoch, r.stage, r.loss, r.valLoss]);
    assert.deepEqual(numbers(resumed.history), numbers(straight.history));
  });
});
