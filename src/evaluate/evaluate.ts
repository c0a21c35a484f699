/**
 * Top-1 / top-5 accuracy of a classifier over labelled images. The model is reached through the
 * runtime's Engine interface (src/runtime/engine.ts: a batch in, scores out), so every engine is
 * measured the same way; images are decoded by src/images (the next batch while the current one runs).
 */
import { readImageBatch } from '../images/index.js';
import type { InputContract } from '../architecture/card.js';
import type { Engine } from '../runtime/engine.js';
import type { LabelledImage } from './labelled-folder.js';

/** What evaluation needs of an engine. */
export type Predictor = Pick<Engine, 'inputShape' | 'predict'>;

export interface EvaluateOptions {
  /**
   * The model card's input contract (`readModelCard(model).input`): normalisation and crop. Without
   * it: 0..255 pixels, no crop.
   */
  input?: Pick<InputContract, 'scale' | 'offset' | 'crop'>;
  /** Centre-crop fraction before resizing instead of the card's; null: the whole image. */
  crop?: number | null;
  batchSize?: number;
  onBatch?(done: number, correctTop1: number): void;
}

export interface EvaluationResult {
  /** Fractions in [0, 1]. */
  top1: number;
  top5: number;
  images: number;
  correctTop1: number;
  correctTop5: number;
  seconds: number;
  /** End to end: decoding, resizing and inference. */
  imagesPerSecond: number;
}

/** How many classes score strictly higher than the label (0 = top-1 hit). */
function rankOfLabel(scores: Float32Array, offset: number, classes: number, label: number): number {
  const own = scores[offset + label];
  let higher = 0;
  for (let c = 0; c < classes; c++) if (scores[offset + c] > own) higher++;
  return higher;
}

export async function evaluateImages(
  predictor: Predictor,
  images: readonly LabelledImage[],
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const batchSize = Math.max(1, options.batchSize ?? 16);
  const crop = options.crop !== undefined ? options.crop : (options.input?.crop ?? null);
  const imageOptions = {
    size: [predictor.inputShape[0], predictor.inputShape[1]] as [number, number],
    ...(options.input ? { normalise: options.input } : {}),
    ...(crop !== null ? { crop } : {}),
  };
  const load = (start: number) =>
    start < images.length
      ? readImageBatch(
          images.slice(start, start + batchSize).map((i) => i.path),
          imageOptions,
        )
      : undefined;
  const started = performance.now();
  let correctTop1 = 0;
  let correctTop5 = 0;
  let next = load(0);
  for (let start = 0; start < images.length; start += batchSize) {
    const batch = await next!;
    next = load(start + batchSize);
    next?.catch(() => {}); // its error surfaces when awaited
    const output = await predictor.predict(batch);
    // Features (a model without its top) would otherwise be ranked as if they were class scores.
    if (output.shape.length !== 2)
      throw new RangeError(
        `the model outputs [${output.shape.slice(1).join(', ')}] per image, not class scores: evaluate a model with its top`,
      );
    const scores = output.data;
    const n = batch.shape[0];
    const classes = scores.length / n;
    for (let i = 0; i < n; i++) {
      const label = images[start + i].label;
      if (label >= classes) throw new RangeError(`label ${label} is outside the model's ${classes} classes`);
      const rank = rankOfLabel(scores, i * classes, classes, label);
      if (rank === 0) correctTop1++;
      if (rank < 5) correctTop5++;
    }
    options.onBatch?.(Math.min(start + batchSize, images.length), correctTop1);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    top1: correctTop1 / images.length,
    top5: correctTop5 / images.length,
    images: images.length,
    correctTop1,
    correctTop5,
    seconds,
    imagesPerSecond: images.length / seconds,
  };
}
