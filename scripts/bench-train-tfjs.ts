/**
 * Training speed, printed as tables (numbers from here, never from tests):
 * 1. Stage 1 end to end: all 1000 ImageNet sample photos as 10 classes (class index / 100),
 *    MobileNetV3-Small with the real weights, 20 epochs, wall time including feature extraction.
 * 2. Stage 2 training steps: the top of Small at 224 from the input of its 3rd-last bneck (last 3
 *    bnecks + head conv + new classifier) on cached activations, images/s by batch size, with this
 *    package's wasm gradient kernels, against the TF.js cpu backend (the only stock backend here
 *    that has the convolution gradients) in the same run.
 * Usage: npx tsx scripts/bench-train-tfjs.ts [--skip-stage1] [--blocks 3]
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/architecture/builder.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { attachClassifier } from '../src/train/classifier.js';
import { lastBnecks, topSegment } from '../src/train/split-model.js';
import { train } from '../src/train/train.js';
import { registerWasmGradients } from '../src/train/wasm-gradients.js';
import { loadWeights } from '../src/weights/load.js';
import { sharedPath } from '../test/shared.js';
import { makeSuperclassFolder } from './imagenet-superclasses.js';

const { values } = parseArgs({ options: { 'skip-stage1': { type: 'boolean' }, blocks: { type: 'string', default: '3' } } });
const weights = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');

if (!values['skip-stage1']) {
  // All 1000 photos as 10 classes of 100 consecutive class indices.
  const groups = Object.fromEntries(
    Array.from({ length: 10 }, (_, k) => [
      `classes-${String(k * 100).padStart(3, '0')}`,
      Array.from({ length: 100 }, (_, i) => k * 100 + i),
    ]),
  );
  const data = await makeSuperclassFolder(groups);
  const output = join(data, 'out');
  const started = performance.now();
  const r = await train({ data, output, arch: 'small', weights, epochs: 20 });
  const wall = (performance.now() - started) / 1000;
  console.log('\nStage 1, 1000 photos, 10 classes, Small, 20 epochs\n');
  console.log('| wall (all) | features (ONNX Runtime) | 20 epochs | export + plots | val accuracy |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| ${wall.toFixed(1)} s | ${r.seconds.features.toFixed(1)} s | ${r.seconds.stage1.toFixed(1)} s | ${r.seconds.export.toFixed(1)} s | ${(100 * r.valAccuracy!).toFixed(1)}% |`,
  );
  await rm(data, { recursive: true, force: true });
}

/**
 * Training images per second of the top segment at a batch size: per wall second, and per CPU
 * second of this process (TF.js wasm is single-threaded here, so on a quiet machine the two agree;
 * on a shared one the CPU figure is the one that says what the code does).
 */
async function throughput(batch: number, steps: number): Promise<{ wall: number; cpu: number }> {
  const backbone = buildModel({ arch: 'small', includeTop: false, pooling: 'avg' });
  await loadWeights(backbone, weights, { byName: true });
  const model = attachClassifier(backbone, { classes: ['a', 'b', 'c', 'd', 'e', 'f'], dropout: 0.2 });
  const top = topSegment(model, lastBnecks(model, Number(values.blocks))[0]);
  const optimizer = tf.train.adam(1e-4);
  const x = tf.randomNormal([batch, ...top.inputShape]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 6, 'int32'), 6);
  const step = () =>
    tf.tidy(() => {
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, top.run(x, true)) as tf.Scalar, true, top.variables);
      loss!.dataSync();
    });
  step(); // warm-up (kernel set-up, XNNPACK operators)
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpuStart);
  const cpuSeconds = (used.user + used.system) / 1e6;
  model.dispose();
  optimizer.dispose();
  tf.dispose([x, y]);
  return { wall: (batch * steps) / seconds, cpu: (batch * steps) / cpuSeconds };
}

const blocks = Number(values.blocks);
console.log(`\nStage 2 training steps, Small 224, last ${blocks} bnecks + head + classifier, on cached activations\n`);
console.log('| backend | batch | images/s (wall) | images per CPU-second | vs cpu backend |');
console.log('|---|---|---|---|---|');
await useTfBackend('cpu');
const cpu = await throughput(8, 1);
console.log(`| TF.js cpu (stock) | 8 | ${cpu.wall.toFixed(2)} | ${cpu.cpu.toFixed(2)} | 1x |`);
await useTfBackend('wasm');
registerWasmGradients();
for (const batch of [16, 32, 64]) {
  const rate = await throughput(batch, batch === 64 ? 3 : 5);
  console.log(
    `| TF.js wasm + src/train/wasm-gradients.ts | ${batch} | ${rate.wall.toFixed(1)} | ${rate.cpu.toFixed(1)} | ${(rate.cpu / cpu.cpu).toFixed(0)}x |`,
  );
}
