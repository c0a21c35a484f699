/**
 * One training loop for both stages: mini-batch Adam on a `forward` (inputs -> logits) over the
 * given variables, softmax cross-entropy, a shuffled order per epoch drawn from the seed and the
 * epoch number (so a resumed run sees exactly the batches the interrupted one would have), a
 * validation pass after each epoch, and a hook that checkpoints. Stops cleanly between steps
 * when asked (Ctrl-C): the epoch in progress is dropped, the last checkpoint stays good.
 */
import * as tf from '../runtime/tf.js';
import { argmaxRow } from './metrics.js';
import { Random } from './random.js';

export interface EpochRecord {
  /** 1-based epoch number over the whole run (stage 2 continues stage 1's count). */
  readonly epoch: number;
  readonly stage: 1 | 2;
  readonly loss: number;
  readonly accuracy: number;
  readonly valLoss: number | null;
  readonly valAccuracy: number | null;
  /** Wall time of the epoch (training steps, validation, checkpoint). */
  readonly seconds: number;
  /** Time in the training steps alone (what images/s is computed from). */
  readonly trainSeconds: number;
}

/** Inputs of a set of examples: cached features or cut activations. */
export interface Examples {
  readonly count: number;
  readonly labels: Int32Array;
  /** The inputs of examples `indices` (an augmented view drawn from `random` when there are several). */
  batch(indices: number[], random?: Random): tf.Tensor;
}

export interface LoopOptions {
  stage: 1 | 2;
  /** `seed` (training only) gives seeds for dropout masks, drawn from the epoch's generator. */
  forward(x: tf.Tensor, training: boolean, seed?: () => number): tf.Tensor;
  variables: tf.Variable[];
  optimizer: tf.Optimizer;
  train: Examples;
  val?: Examples;
  classes: number;
  /** Epochs already done in this stage (resume), and the stage's total. */
  firstEpoch: number;
  epochs: number;
  /** Added to epoch numbers in records (stage 2 counts on from stage 1). */
  epochOffset: number;
  batchSize: number;
  seed: number;
  onEpoch(record: EpochRecord): Promise<void>;
  onStep?(done: number, total: number, loss: number, accuracy: number, epoch: number): void;
  stopRequested(): boolean;
}

export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly predicted: Int32Array;
}

export function evaluate(forward: LoopOptions['forward'], examples: Examples, classes: number, batchSize: number): Evaluation {
  const predicted = new Int32Array(examples.count);
  let lossSum = 0;
  let hits = 0;
  for (let start = 0; start < examples.count; start += batchSize) {
    const indices = range(start, Math.min(start + batchSize, examples.count));
    const [loss, probs] = tf.tidy(() => {
      const logits = forward(examples.batch(indices), false);
      const y = tf.oneHot(
        tf.tensor1d(
          indices.map((i) => examples.labels[i]),
          'int32',
        ),
        classes,
      );
      return [
        tf.losses.softmaxCrossEntropy(y, logits, undefined, 0, tf.Reduction.SUM).dataSync()[0],
        tf.softmax(logits).dataSync() as Float32Array,
      ];
    });
    lossSum += loss;
    indices.forEach((i, row) => {
      const best = argmaxRow(probs, row, classes);
      predicted[i] = best;
      if (best === examples.labels[i]) hits++;
    });
  }
  return { loss: lossSum / Math.max(1, examples.count), accuracy: hits / Math.max(1, examples.count), predicted };
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

/** Run epochs `firstEpoch + 1 .. epochs`; returns false when stopped early. */
export async function runEpochs(o: LoopOptions): Promise<boolean> {
  const steps = Math.ceil(o.train.count / o.batchSize);
  for (let epoch = o.firstEpoch + 1; epoch <= o.epochs; epoch++) {
    const started = performance.now();
    const random = new Random(o.seed * 1009 + (o.epochOffset + epoch) * 7919 + o.stage);
    const order = random.shuffle(range(0, o.train.count));
    let lossSum = 0;
    let hits = 0;
    let seen = 0;
    let stepSeconds = 0;
    for (let step = 0; step < steps; step++) {
      if (o.stopRequested()) return false;
      const indices = order.slice(step * o.batchSize, (step + 1) * o.batchSize);
      const stepStart = performance.now();
      const dropoutSeed = () => Math.floor(random.next() * 2 ** 31);
      const [loss, correct] = tf.tidy(() => {
        const x = o.train.batch(indices, random);
        const labels = tf.tensor1d(
          indices.map((i) => o.train.labels[i]),
          'int32',
        );
        const y = tf.oneHot(labels, o.classes);
        let right: tf.Tensor | undefined;
        const cost = o.optimizer.minimize(
          () => {
            const logits = o.forward(x, true, dropoutSeed);
            // Kept: minimize disposes everything made in here but the loss.
            right = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')));
            return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
          },
          true,
          o.variables,
        ) as tf.Scalar;
        const result = [cost.dataSync()[0], right!.dataSync()[0]];
        right!.dispose();
        return result;
      });
      stepSeconds += (performance.now() - stepStart) / 1000;
      lossSum += loss * indices.length;
      hits += correct;
      seen += indices.length;
      o.onStep?.((epoch - 1) * steps + step + 1, o.epochs * steps, lossSum / seen, hits / seen, o.epochOffset + epoch);
      // Yield to the event loop so a SIGINT handler can run between steps.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const val = o.val && o.val.count ? evaluate(o.forward, o.val, o.classes, Math.max(o.batchSize, 64)) : undefined;
    await o.onEpoch({
      epoch: o.epochOffset + epoch,
      stage: o.stage,
      loss: lossSum / seen,
      accuracy: hits / seen,
      valLoss: val?.loss ?? null,
      valAccuracy: val?.accuracy ?? null,
      seconds: (performance.now() - started) / 1000,
      trainSeconds: stepSeconds,
    });
  }
  return true;
}
