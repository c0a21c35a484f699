/**
 * Training the whole network (`fineTune: 'all'`): every layer, batch norm in training mode (or
 * frozen), from photos decoded and augmented for every step, since a trained backbone leaves
 * nothing to cache. Each step is one ONNX Runtime run of the step graph (src/train/step/: forward,
 * cross-entropy, backward of every layer, on every core) and one optimiser update of the shared
 * parameter arrays; the next batch is decoded (sharp, libuv threads) while the step runs.
 *
 * Everything random comes from the seed and the epoch number (batch order, random-resized crop and
 * flip, dropout masks), so a run resumed at an epoch boundary repeats the interrupted one exactly.
 * Validation after each epoch runs the model (weights and moving statistics written back) on ONNX
 * Runtime with the evaluation view.
 */
import type * as tf from '../runtime/tf.js';
import { stackImages } from '../images/index.js';
import { createEngine } from '../runtime/create-engine.js';
import { extractFeatures, Interrupted, readView, type InputPrep } from './features.js';
import type { EpochRecord } from './loop.js';
import { argmaxRow } from './metrics.js';
import {
  clipGradientNorm,
  createOptimizer,
  learningRateAt,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerState,
  type ScheduleName,
} from './optim/index.js';
import { Random } from './random.js';
import { StepRunner } from './step/runner.js';
import type { BatchNormMode } from './step/step-graph.js';

export interface LabelledImages {
  paths: string[];
  labels: Int32Array;
  /** Index of each image in the scanned dataset (seeds its augmented views). */
  samples: number[];
}

/** Where a step's inputs come from and how an epoch is validated (photos, or cached activations). */
export interface StageData {
  /** The trained part's inputs for these training examples, NHWC, for this (global) epoch. */
  batch(indices: number[], epoch: number, random: Random): Promise<Float32Array>;
  /** Loss, accuracy and predictions on the validation set of the model as written back. */
  validate(): Promise<{ loss: number; accuracy: number; predicted: Int32Array } | undefined>;
}

export interface NetworkStageOptions {
  model: tf.LayersModel;
  /** The first layer trained (default: the model's first; its input is the step's input). */
  fromLayer?: string;
  /** Default: photos decoded per step, validated on ONNX Runtime. */
  data?: StageData;
  batchNorm: BatchNormMode;
  /** A random-resized crop + flip of each image every epoch; false: the evaluation view. */
  augment: boolean;
  train: LabelledImages;
  val: LabelledImages;
  classes: number;
  size: [number, number];
  input: InputPrep;
  seed: number;
  batchSize: number;
  /** Epochs of this stage already done (resume) and its total. */
  firstEpoch: number;
  epochs: number;
  /** Added to epoch numbers in records (the stage continues stage 1's count). */
  epochOffset: number;
  stage: 1 | 2;
  optimizer: OptimizerConfig;
  schedule: { name: ScheduleName; warmupEpochs: number };
  labelSmoothing: number;
  /** Global gradient-norm clipping (0: none). */
  clipNorm: number;
  /** The optimiser's state at the end of `firstEpoch` (resume). */
  optimizerState?: OptimizerState;
  threads?: number;
  signal?: AbortSignal;
  onStep?(done: number, total: number, loss: number, accuracy: number, epoch: number, imagesPerSecond: number): void;
  /** After each epoch; the model holds the epoch's weights and moving statistics. */
  onEpoch(record: EpochRecord, optimizer: OptimizerState): Promise<void>;
}

export interface NetworkStageResult {
  completed: boolean;
  /** Predicted class of each validation image after the last epoch run. */
  predicted?: Int32Array;
  imagesPerSecond: number | null;
}

/** A view number per epoch, apart from stage 1's --augment views (1..k). */
const epochView = (epoch: number) => 1_000_000 + epoch;

export function smoothedTargets(labels: readonly number[], classes: number, smoothing: number): Float32Array {
  const targets = new Float32Array(labels.length * classes).fill(smoothing / classes);
  labels.forEach((label, i) => {
    targets[i * classes + label] += 1 - smoothing;
  });
  return targets;
}

async function decodeBatch(o: NetworkStageOptions, indices: number[], epoch: number): Promise<Float32Array> {
  const view = o.augment ? epochView(epoch) : 0;
  const images = await Promise.all(indices.map((i) => readView({ sample: o.train.samples[i], path: o.train.paths[i], view }, o)));
  return stackImages(images).data;
}

export interface EvaluateOptions {
  classes: number;
  size: [number, number];
  input: InputPrep;
  seed: number;
  batchSize: number;
  threads?: number;
  signal?: AbortSignal;
}

/** Loss, accuracy and predictions of `model` (softmax output) on `images`, evaluation view, on ONNX Runtime. */
export async function evaluateNetwork(
  model: tf.LayersModel,
  images: LabelledImages,
  o: EvaluateOptions,
): Promise<{ loss: number; accuracy: number; predicted: Int32Array } | undefined> {
  if (images.paths.length === 0) return undefined;
  const engine = await createEngine(model, { engine: 'onnx', threads: o.threads });
  try {
    const items = images.paths.map((path, i) => ({ sample: images.samples[i], path, view: 0 }));
    const { tables } = await extractFeatures(items, [engine], {
      size: o.size,
      input: o.input,
      seed: o.seed,
      batchSize: Math.max(o.batchSize, 32),
      signal: o.signal,
    });
    const probs = tables[0].data;
    const predicted = new Int32Array(items.length);
    let loss = 0;
    let hits = 0;
    for (let i = 0; i < items.length; i++) {
      const best = argmaxRow(probs, i, o.classes);
      predicted[i] = best;
      if (best === images.labels[i]) hits++;
      loss -= Math.log(Math.max(probs[i * o.classes + images.labels[i]], 1e-12));
    }
    return { loss: loss / items.length, accuracy: hits / items.length, predicted };
  } finally {
    await engine.dispose();
  }
}

/** The default data: photos, decoded (and augmented) for every step; validation on ONNX Runtime. */
function photoData(o: NetworkStageOptions): StageData {
  return {
    batch: (indices, epoch) => decodeBatch(o, indices, epoch),
    validate: () => evaluateNetwork(o.model, o.val, o),
  };
}

export async function trainNetwork(o: NetworkStageOptions): Promise<NetworkStageResult> {
  const count = o.train.labels.length;
  const steps = Math.ceil(count / o.batchSize);
  const data = o.data ?? photoData(o);
  const runner = await StepRunner.create(o.model, {
    batch: Math.min(o.batchSize, count),
    fromLayer: o.fromLayer,
    batchNorm: o.batchNorm,
    threads: o.threads,
  });
  const decays = new Set(runner.graph.params.filter((p) => p.decay).map((p) => p.key));
  const optimizer: Optimizer = createOptimizer(o.optimizer, (key) => decays.has(key));
  if (o.optimizerState) optimizer.restore(o.optimizerState);
  const schedule = {
    name: o.schedule.name,
    base: o.optimizer.learningRate,
    totalSteps: steps * o.epochs,
    warmupSteps: Math.round(o.schedule.warmupEpochs * steps),
  };
  let trainSeconds = 0;
  let trainedImages = 0;
  let predicted: Int32Array | undefined;
  try {
    for (let epoch = o.firstEpoch + 1; epoch <= o.epochs; epoch++) {
      const started = performance.now();
      const global = o.epochOffset + epoch;
      const random = new Random(o.seed * 1009 + global * 7919 + 3);
      const order = random.shuffle(Array.from({ length: count }, (_, i) => i));
      const batches = Array.from({ length: steps }, (_, s) => order.slice(s * o.batchSize, (s + 1) * o.batchSize));
      let lossSum = 0;
      let hits = 0;
      let seen = 0;
      let epochTrainSeconds = 0;
      // Batches are drawn in order from their own generator, so decoding ahead keeps the numbers.
      const views = new Random(o.seed * 7 + global * 104729 + 11);
      let next = data.batch(batches[0], global, views);
      for (let s = 0; s < steps; s++) {
        if (o.signal?.aborted) return { completed: false, imagesPerSecond: rate(trainedImages, trainSeconds) };
        const stepStart = performance.now();
        const indices = batches[s];
        const input = await next;
        if (s + 1 < steps) next = data.batch(batches[s + 1], global, views);
        const labels = indices.map((i) => o.train.labels[i]);
        const result = await runner.step(input, smoothedTargets(labels, o.classes, o.labelSmoothing), (size) =>
          Float32Array.from({ length: size }, () => random.next()),
        );
        if (!Number.isFinite(result.loss))
          throw new Error(
            `the training loss became ${result.loss} at epoch ${global}, step ${s + 1}: lower the learning rate or clip gradients (clipNorm)`,
          );
        if (o.clipNorm > 0) clipGradientNorm(result.gradients, o.clipNorm);
        optimizer.step(runner.params, result.gradients, learningRateAt(schedule, (epoch - 1) * steps + s));
        epochTrainSeconds += (performance.now() - stepStart) / 1000;
        lossSum += result.loss * indices.length;
        seen += indices.length;
        labels.forEach((label, row) => {
          if (argmaxRow(result.logits, row, o.classes) === label) hits++;
        });
        o.onStep?.(
          (epoch - 1) * steps + s + 1,
          o.epochs * steps,
          lossSum / seen,
          hits / seen,
          global,
          rate(trainedImages + seen, trainSeconds + epochTrainSeconds) ?? 0,
        );
        // Let a SIGINT handler run between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
      trainSeconds += epochTrainSeconds;
      trainedImages += seen;
      await runner.writeBack();
      let val: Awaited<ReturnType<StageData['validate']>>;
      try {
        val = await data.validate();
      } catch (error) {
        if (error instanceof Interrupted) return { completed: false, imagesPerSecond: rate(trainedImages, trainSeconds) };
        throw error;
      }
      predicted = val?.predicted;
      await o.onEpoch(
        {
          epoch: global,
          stage: o.stage,
          loss: lossSum / seen,
          accuracy: hits / seen,
          valLoss: val?.loss ?? null,
          valAccuracy: val?.accuracy ?? null,
          seconds: (performance.now() - started) / 1000,
          trainSeconds: epochTrainSeconds,
        },
        optimizer.state(),
      );
    }
    return { completed: true, predicted, imagesPerSecond: rate(trainedImages, trainSeconds) };
  } finally {
    await runner.dispose();
  }
}

const rate = (images: number, seconds: number) => (seconds > 0 ? images / seconds : null);
