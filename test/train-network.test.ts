/**
 * Whole-network training (issue 12), small versions of scripts/train-superclasses.ts: from scratch
 * a model overfits a fixed batch; from the real Small weights every layer trains with batch norm
 * learning its statistics (the saved model carries them); interrupt-and-resume gives the numbers
 * of an uninterrupted run; bad settings are refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeSuperclassFolder, SUPERCLASSES } from '../scripts/imagenet-superclasses.js';
import { InvalidValueError } from '../src/errors.js';
import { buildModel } from '../src/architecture/builder.js';
import { readKerasH5File } from '../src/weights/h5-file.js';
import { loadWeights } from '../src/weights/load.js';
import { train, type TrainOptions } from '../src/train/train.js';
import { sharedPath } from './shared.js';

const ROOT = 'test-output/train-network';
const WEIGHTS = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
const GROUPS = { dogs: SUPERCLASSES.dogs, birds: SUPERCLASSES.birds, 'fish-aquatic': SUPERCLASSES['fish-aquatic'] };

async function dataset(name: string, perClass: number): Promise<string> {
  const dir = join(ROOT, name);
  await rm(dir, { recursive: true, force: true });
  return makeSuperclassFolder(GROUPS, perClass, dir);
}

async function fresh(name: string): Promise<string> {
  const dir = join(ROOT, name);
  await rm(dir, { recursive: true, force: true });
  return dir;
}

describe('train every layer', () => {
  it('from scratch (weights none) overfits a fixed batch of 30 photos: training loss below 0.05', async () => {
    const data = await dataset('scratch', 10);
    const output = await fresh('scratch-out');
    const result = await train({
      data,
      output,
      arch: 'small',
      weights: 'none',
      inputSize: 64,
      epochs: 60,
      batchSize: 32,
      valSplit: 0,
      augment: 0,
      dropout: 0,
      learningRate: 3e-3,
      schedule: 'constant',
      seed: 1,
    });
    assert.equal(result.completed, true);
    const losses = result.history.map((r) => r.loss);
    assert.ok(
      losses.every((_, i) => result.history[i].stage === 2),
      'no stage 1 from scratch',
    );
    const first = losses.findIndex((l) => l < 0.05);
    assert.ok(first >= 0, `loss went ${losses[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}, never below 0.05`);
    assert.ok(losses[0] > 0.5, `it started untrained (${losses[0]})`);
    const metrics = JSON.parse(await readFile(join(output, 'metrics.json'), 'utf8'));
    assert.equal(metrics.config.weights, 'none');
    assert.ok(metrics.imagesPerSecond.stage2 > 0);
    assert.equal(metrics.imagesPerSecond.stage1, null);
    assert.equal(metrics.batchNorm, 'train', 'from scratch, batch norm learns');
  });

  it('from the real Small weights: every layer and batch norm train, the saved model carries the new statistics, resume repeats the run', async () => {
    const data = await dataset('pretrained', 8);
    const options = (output: string): TrainOptions => ({
      data,
      output,
      arch: 'small',
      weights: WEIGHTS,
      inputSize: 96,
      epochs: 2,
      batchSize: 8,
      learningRate: 0.01,
      valSplit: 0.25,
      seed: 5,
      fineTune: 'all',
      fineTuneEpochs: 3,
      fineTuneLearningRate: 1e-4,
      freezeBn: false,
      optimizer: 'adamw',
      weightDecay: 0.01,
      warmupEpochs: 1,
      labelSmoothing: 0.1,
      clipNorm: 5,
    });
    const whole = await fresh('whole');
    const result = await train(options(whole));
    assert.equal(result.completed, true);
    assert.deepEqual(
      result.history.map((r) => [r.epoch, r.stage]),
      [
        [1, 1],
        [2, 1],
        [3, 2],
        [4, 2],
        [5, 2],
      ],
    );
    assert.ok(result.imagesPerSecond.stage2! > 0 && result.imagesPerSecond.stage1! > 0);
    assert.equal(result.batchNorm, 'train');
    assert.equal(
      result.confusion.flat().reduce((a, b) => a + b, 0),
      result.counts.val,
    );
    for (const f of ['model.json', 'model.h5', 'model.keras', 'model.onnx', 'labels.json', 'metrics.json', 'curves.png', 'confusion.png'])
      assert.ok(existsSync(join(whole, f)), f);

    // Every layer moved, and batch norm's moving statistics too (against the weights as loaded).
    const start = buildModel({ arch: 'small', includeTop: false, pooling: 'avg', inputShape: [96, 96, 3] });
    await loadWeights(start, WEIGHTS, { byName: true });
    const after = await readKerasH5File(join(whole, 'model.h5'));
    const changed = (layer: string, weight: string) => {
      const l = start.getLayer(layer);
      const a = l.getWeights()[l.weights.findIndex((w) => w.originalName.endsWith(`/${weight}`))]?.dataSync();
      const b = after.layers.find((x) => x.name === layer)?.weights.find((w) => w.name.endsWith(`${weight}:0`))?.data;
      assert.ok(a && b, `${layer}/${weight} in both`);
      return a.some((v, i) => Math.abs(v - b[i]) > 1e-7);
    };
    assert.ok(changed('conv', 'kernel'), 'the stem conv trained');
    assert.ok(changed('expanded_conv_depthwise', 'depthwise_kernel'), 'the first depthwise conv trained');
    assert.ok(changed('conv_bn', 'moving_mean'), 'the stem batch norm learned its mean');
    assert.ok(changed('expanded_conv_10_project_bn', 'moving_variance'), 'the last bneck batch norm learned its variance');
    start.dispose();

    // Interrupted after the first whole-network epoch, then resumed: the same numbers.
    const parted = await fresh('parted');
    const controller = new AbortController();
    const first = await train({
      ...options(parted),
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'epoch' && e.record.epoch === 3) controller.abort();
      },
    });
    assert.equal(first.completed, false);
    assert.equal(first.history.length, 3);
    const resumed = await train({ ...options(parted), resume: true });
    assert.equal(resumed.completed, true);
    const numbers = (r: typeof result) => r.history.map((h) => [h.loss, h.accuracy, h.valLoss, h.valAccuracy]);
    assert.deepEqual(numbers(resumed), numbers(result));

    // These weights came from TFLite with batch norm folded (identity statistics): by default it
    // stays frozen, and the run says so.
    const notices: string[] = [];
    const auto = await train({
      ...options(await fresh('auto')),
      freezeBn: undefined,
      fineTuneEpochs: 1,
      onProgress: (e) => {
        if (e.phase === 'notice') notices.push(e.message);
      },
    });
    assert.equal(auto.batchNorm, 'frozen');
    assert.match(notices.join('\n'), /batch norm folded into the convolutions .*stays frozen/);
  });

  it('refuses bad settings before any work', async () => {
    const base = { data: 'nowhere', output: join(ROOT, 'never'), arch: 'small' as const };
    await assert.rejects(
      train({ ...base, fineTune: 12 }),
      (e: Error) =>
        e instanceof InvalidValueError &&
        e.option === 'fineTune' &&
        /^fineTune must be 'all' or a number of blocks from 1 to 11 .*got 12$/.test(e.message),
    );
    await assert.rejects(train({ ...base, fineTune: -1 }), InvalidValueError);
    await assert.rejects(
      train({ ...base, fineTune: 'all', optimizer: 'lion' as 'adam' }),
      /optimizer must be one of adam, adamw, sgd, rmsprop, got "lion"/,
    );
    await assert.rejects(train({ ...base, fineTune: 'all', labelSmoothing: 1 }), /labelSmoothing must be in \[0, 1\), got 1/);
    await assert.rejects(train({ ...base, epochs: 0 }), /^InvalidValueError: epochs must be a whole number of at least 1, got 0$/);
    await assert.rejects(
      train({ ...base, fineTune: 'all', schedule: 'linear' as 'cosine' }),
      /schedule must be one of constant, cosine, step/,
    );
    assert.equal(existsSync(base.output), false);
  });

  it('the CLI refuses bad training options with one line and exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['--fine-tune', '0'], /--fine-tune must be all or a number of blocks from 1 to 11 \(MobileNetV3-Small has 11\), got "0"/],
      [['--fine-tune', '999'], /from 1 to 11 .*got "999"/],
      [['--fine-tune', 'all', '--optimizer', 'lion'], /'lion' is invalid\. Allowed choices are adam, adamw, sgd, rmsprop/],
      [['--fine-tune', 'all', '--lr', '-0.1'], /--lr must be a positive number, got "-0.1"/],
      [['--fine-tune', 'all', '--fine-tune-lr', '0'], /--fine-tune-lr must be a positive number, got "0"/],
      [['--fine-tune', 'all', '--label-smoothing', '1'], /--label-smoothing must be in \[0, 1\), got "1"/],
      [['--fine-tune', 'all', '--weight-decay', '-1'], /--weight-decay must be a number of at least 0, got "-1"/],
      [['--fine-tune', 'all', '--threads', '0'], /--threads must be a whole number from 1 to \d+ \(the CPU cores here\), got "0"/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'train', 'nowhere', '-o', join(ROOT, 'never'), '--arch', 'small', ...args],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status} (${r.stderr})`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(existsSync(join(ROOT, 'never')), false);
  });

  it('a PyTorch .pth trains: symmetric padding, no Rescaling, and its mean/std from the card go into the trained model', async () => {
    const data = await dataset('pth', 4);
    const output = await fresh('pth-out');
    const result = await train({
      data,
      output,
      arch: 'small',
      weights: 'test/fixtures/pth/small-5class.pth',
      inputSize: 64,
      epochs: 1,
      batchSize: 8,
      valSplit: 0.25,
      seed: 2,
      fineTune: 'all',
      fineTuneEpochs: 1,
    });
    assert.equal(result.completed, true);
    const metrics = JSON.parse(await readFile(join(output, 'metrics.json'), 'utf8'));
    assert.equal(metrics.config.padding, 'symmetric');
    assert.equal(metrics.config.includePreprocessing, false);
    const card = JSON.parse(await readFile(join(output, 'model.json'), 'utf8')).userDefinedMetadata.mobilenetv3.card;
    assert.deepEqual(card.input.mean, [0.485, 0.456, 0.406]);
    assert.deepEqual(card.labels, ['birds', 'dogs', 'fish-aquatic']);
  });

  it('with the real Small weights, training every layer reaches at least the accuracy of the last 3 blocks', async () => {
    const data = await dataset('compare', 10);
    const run = async (fineTune: 3 | 'all') =>
      train({
        data,
        output: await fresh(`compare-${fineTune}`),
        arch: 'small',
        weights: WEIGHTS,
        inputSize: 224,
        epochs: 10,
        batchSize: 8,
        learningRate: 0.01,
        fineTuneLearningRate: 1e-4,
        valSplit: 0.3,
        seed: 4,
        fineTune,
        fineTuneEpochs: 3,
      });
    const last3 = await run(3);
    const all = await run('all');
    assert.equal(all.batchNorm, 'frozen', 'the folded weights keep batch norm frozen');
    assert.equal(all.stage1ValAccuracy, last3.stage1ValAccuracy, 'both start from the same stage 1');
    if (process.env.MOBILENETV3_VERBOSE) console.error({ stage1: all.stage1ValAccuracy, last3: last3.valAccuracy, all: all.valAccuracy });
    assert.ok(all.valAccuracy! >= last3.valAccuracy!, `every layer ${all.valAccuracy} vs last 3 blocks ${last3.valAccuracy}`);
    assert.ok(all.valAccuracy! >= 0.8, `every layer: ${all.valAccuracy}`);
  });
});
