/**
 * What a finished (or stopped) run returns and writes: the result, metrics.json, the curves
 * title, and the model files (TF.js, Keras .h5 and .keras, ONNX) with the confusion matrix.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '../runtime/tf.js';
import { writeFileAtomic } from '../io/atomic.js';
import { svgToPng } from '../visualize/render.js';
import type { TrainConfig } from './config.js';
import { classCounts, type Sample } from './dataset.js';
import type { EpochRecord } from './loop.js';
import type { ClassMetrics } from './metrics.js';
import { METRICS_FILE } from './output-folder.js';
import { confusionSvg } from './plots.js';

export interface TrainResult {
  output: string;
  classes: string[];
  /** false when stopped by the signal (Ctrl-C): the checkpoint holds the last complete epoch. */
  completed: boolean;
  history: EpochRecord[];
  valAccuracy: number | null;
  /** Validation accuracy at the end of stage 1 (before fine-tuning). */
  stage1ValAccuracy: number | null;
  perClass: ClassMetrics[];
  confusion: number[][];
  skipped: { path: string; reason: string }[];
  counts: { train: number; val: number };
  seconds: { features: number; stage1: number; stage2: number; export: number; total: number };
  /** Stage 2 training speed (images per second over its training steps). */
  fineTuneImagesPerSecond: number | null;
  /** Training speed of each stage (images per second over its training steps; null if it did not run). */
  imagesPerSecond: { stage1: number | null; stage2: number | null };
  /** How batch norm ran in stage 2: statistics learned ('train') or inference mode ('frozen'). */
  batchNorm: 'train' | 'frozen';
}

export function curvesTitle(config: TrainConfig, classes: number): string {
  const arch = `MobileNetV3-${config.arch === 'small' ? 'Small' : 'Large'}`;
  if (config.weights === 'none') return `${arch} trained from scratch, ${classes} classes (every layer)`;
  const ft =
    config.fineTune === 'all'
      ? ', then every layer'
      : config.fineTune
        ? `, then the last ${config.fineTune === 1 ? 'block' : `${config.fineTune} blocks`} fine-tuned`
        : '';
  return `${arch} transfer learning, ${classes} classes (head only${ft})`;
}

export async function writeMetrics(
  dir: string,
  config: TrainConfig,
  r: TrainResult,
  trainSet: Sample[],
  valSet: Sample[],
  classes: string[],
): Promise<void> {
  const trainCounts = classCounts(classes.length, trainSet);
  const valCounts = classCounts(classes.length, valSet);
  const metrics = {
    classes: classes.map((name, i) => ({ name, train: trainCounts[i], val: valCounts[i] })),
    config,
    history: r.history,
    final: {
      valAccuracy: r.valAccuracy,
      stage1ValAccuracy: r.stage1ValAccuracy,
      valLoss: r.history.at(-1)?.valLoss ?? null,
      perClass: r.perClass,
      confusion: r.confusion,
    },
    skipped: r.skipped,
    seconds: r.seconds,
    fineTuneImagesPerSecond: r.fineTuneImagesPerSecond,
    imagesPerSecond: r.imagesPerSecond,
    batchNorm: r.batchNorm,
  };
  await writeFileAtomic(join(dir, METRICS_FILE), JSON.stringify(metrics, null, 2) + '\n');
}

export async function writeModelFiles(model: tf.LayersModel, dir: string, r: TrainResult, classes: string[]): Promise<void> {
  const [{ saveTfjsModel }, { saveKerasH5Weights }, { saveKerasArchive }, { exportOnnx }] = await Promise.all([
    import('../weights/tfjs-files.js'),
    import('../weights/h5-file.js'),
    import('../weights/keras3/file.js'),
    import('../export/onnx/export.js'),
  ]);
  await saveTfjsModel(model, join(dir, 'model.json'));
  await saveKerasH5Weights(model, join(dir, 'model.h5'));
  await saveKerasArchive(model, join(dir, 'model.keras'), { labels: classes });
  await writeFileAtomic(join(dir, 'model.onnx'), exportOnnx(model, { labels: classes }));
  if (r.confusion.length) {
    const accuracy = r.valAccuracy === null ? '' : ` (accuracy ${(100 * r.valAccuracy).toFixed(1)}%)`;
    await writeFileAtomic(
      join(dir, 'confusion.png'),
      await svgToPng(confusionSvg(r.confusion, classes, `Validation confusion matrix${accuracy}`)),
    );
  } else {
    // No validation set: an earlier run's matrix in this folder would describe another model.
    await rm(join(dir, 'confusion.png'), { force: true });
  }
}
