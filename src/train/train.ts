/**
 * `train()`: from a folder of class sub-folders to a trained, exported classifier.
 *
 * Stage 1 (always): the frozen backbone runs once per image view on ONNX Runtime (the model
 * exported in memory, without top, average-pooled); the pooled features are kept and only the new
 * classifier (dropout + dense softmax) trains, with TF.js, for `epochs` epochs.
 * Stage 2 (`fineTune: n`): the model is cut at the input of its n-th last bneck (from the block
 * map); the bottom runs once per view on ONNX Runtime and its activations are kept; the top (the
 * last n bnecks, the head conv, the classifier) trains on them, BN in inference mode.
 * Stage 2 (`fineTune: 'all'`): every layer trains, batch norm with batch statistics (unless
 * `freezeBn`), on photos decoded and augmented for every step.
 * Both stage 2s run the training-step graph on ONNX Runtime (src/train/network-stage.ts). With `weights: 'none'` the network starts from Keras's
 * initialisers: there is no stage 1 (a head on random features means nothing) and the whole
 * network trains for `epochs` epochs at `learningRate`.
 */
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as tf from '../runtime/tf.js';
import { readMetadata } from '../architecture/blocks.js';
import { defaultModelCard, readModelCard } from '../architecture/card.js';
import { buildModel } from '../architecture/builder.js';
import { writeFileAtomic } from '../io/atomic.js';
import { createEngine } from '../runtime/create-engine.js';
import type { Engine } from '../runtime/engine.js';
import { useTfBackend } from '../runtime/tfjs.js';
import { WeightsError } from '../weights/errors.js';
import { loadWeights } from '../weights/load.js';
import { CHECKPOINT_FILE, readCheckpoint, restoreLayers, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { attachClassifier } from './classifier.js';
import { resolveConfig, type TrainConfig, type TrainOptions } from './config.js';
import { DataError, scanDataset, splitDataset, withoutUnreadable, type Sample } from './dataset.js';
import { extractFeatures, Interrupted, type FeatureTable, type ViewItem } from './features.js';
import { evaluate, runEpochs, type EpochRecord } from './loop.js';
import { confusionMatrix, perClassMetrics } from './metrics.js';
import { evaluateNetwork, trainNetwork } from './network-stage.js';
import { checkOutputFolder, LABELS_FILE, prepareOutputFolder } from './output-folder.js';
import { curvesTitle, writeMetrics, writeModelFiles, type TrainResult } from './outputs.js';
import { svgToPng } from '../visualize/render.js';
import { curvesSvg } from './plots.js';
import { bottomModel, lastBnecks, topSegment, type TopSegment } from './split-model.js';
import { cachedData, fingerprint, foldedBatchNorm, namedSlots, optimizerStateOf, tableExamples } from './stage-inputs.js';

export type { TrainConfig, TrainModelOptions, TrainOptions, TrainProgress } from './config.js';
export type { TrainResult } from './outputs.js';

/**
 * Train a classifier on a folder of class sub-folders and write it (model.json, .h5, .keras, .onnx,
 * labels, metrics, curves) to `options.output`: the head, the last N bnecks, or every layer.
 *
 * @example
 * ```ts
 * import { train } from 'mobilenetv3';
 * const result = await train({
 *   data: 'photos', output: 'my-model', arch: 'small', weights: 'imagenet',
 *   fineTune: 'all', optimizer: 'adamw', weightDecay: 0.01, warmupEpochs: 1,
 *   onProgress: (e) => { if (e.phase === 'epoch') console.log(e.record.epoch, e.record.valAccuracy); },
 * });
 * console.log(result.valAccuracy, result.imagesPerSecond);
 * ```
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const seconds = { features: 0, stage1: 0, stage2: 0, export: 0, total: 0 };
  const emit = options.onProgress ?? (() => {});
  const signal = options.signal;
  // Before the checkpoint is read: its tensors need a backend.
  await useTfBackend('wasm');
  const run = await openRun(options, emit);
  const { scanned, dataFingerprint, checkpoint } = run;
  let config = run.config;
  const { backbone, model, bnFolded, input } = await buildTrainModel(config, scanned.classes);
  const head = topSegment(model, 'classifier');
  const fineTop =
    typeof config.fineTune === 'number' && config.fineTune > 0 ? topSegment(model, lastBnecks(model, config.fineTune)[0]) : undefined;
  await prepareOutputFolder(options.output);

  const engines: Engine[] = [];
  const engineOptions = { engine: options.engine ?? 'onnx' } as const;
  const size = config.inputSize;
  try {
    // --- the evaluation view of every image: pooled features (+ cut activations) -------------
    engines.push(await createEngine(backbone, engineOptions));
    if (fineTop) engines.push(await createEngine(bottomModel(model, fineTop), engineOptions));
    const t0 = performance.now();
    const extraction = {
      size,
      input,
      seed: config.seed,
      signal,
      batchSize: 32,
      onProgress: (done: number, total: number) => emit({ phase: 'features', stage: 1, done, total }),
    };
    const centre = await extractFeatures(
      scanned.samples.map((s, i) => ({ sample: i, path: s.path, view: 0 })),
      engines,
      extraction,
    );
    const skipped = [
      ...(scanned.skipped ?? []),
      ...[...centre.unreadable].map(([path, reason]) => ({ path: relative(options.data, path), reason })),
    ];
    const dataset = withoutUnreadable(scanned, new Set(centre.unreadable.keys()));
    const split = splitDataset(dataset, config.valSplit, config.seed);
    const index = new Map(scanned.samples.map((s, i) => [s.path, i]));

    // --- augmented views of the training images ---------------------------------------------
    const extraItems: ViewItem[] = [];
    for (const s of split.train)
      for (let v = 1; v <= config.augment; v++) extraItems.push({ sample: index.get(s.path)!, path: s.path, view: v });
    const extra = extraItems.length ? await extractFeatures(extraItems, engines, extraction) : undefined;
    seconds.features = (performance.now() - t0) / 1000;

    // Row layout per table: centre rows (one per scanned sample), then the augmented rows.
    const merged = engines.map((_, e) => {
      const a = centre.tables[e];
      if (!extra) return a;
      const data = new Float32Array(a.data.length + extra.tables[e].data.length);
      data.set(a.data);
      data.set(extra.tables[e].data, a.data.length);
      return { ...a, data };
    });
    const centreCount = scanned.samples.length;
    const trainRows = split.train.map((s, i) => {
      const rows = [index.get(s.path)!];
      for (let v = 0; v < config.augment; v++) {
        const row = centreCount + i * config.augment + v;
        if (!extra?.unreadable.has(s.path)) rows.push(row);
      }
      return rows;
    });
    const valRows = split.val.map((s) => [index.get(s.path)!]);
    const trainLabels = Int32Array.from(split.train.map((s) => s.label));
    const valLabels = Int32Array.from(split.val.map((s) => s.label));
    const classes = dataset.classes.length;

    // --- state: fresh or from the checkpoint --------------------------------------------------
    let history: EpochRecord[] = checkpoint?.header.history ?? [];
    let stage: 1 | 2 = checkpoint?.header.stage ?? 1;
    let epochsDone = checkpoint?.header.epochsDone ?? 0;
    if (checkpoint) restoreLayers(model, checkpoint.layers);

    const trainedLayers = (segment: TopSegment) =>
      segment.blocks
        .flatMap((b) => b.layers)
        .map((n) => model.getLayer(n))
        .filter((l) => l.trainableWeights.length > 0);
    const header = () => ({ version: 1 as const, config, classes: dataset.classes, dataFingerprint, stage, epochsDone, history });
    const writeProgress = async (optimizer: tf.Optimizer, segment: TopSegment) => {
      await writeCheckpoint(join(options.output, CHECKPOINT_FILE), header(), trainedLayers(segment), optimizer);
      await writeFileAtomic(join(options.output, LABELS_FILE), JSON.stringify(dataset.classes, null, 2) + '\n');
      await writeFileAtomic(
        join(options.output, 'curves.png'),
        await svgToPng(curvesSvg(history, curvesTitle(config, dataset.classes.length))),
      );
    };

    const runStage = async (
      which: 1 | 2,
      segment: TopSegment,
      table: FeatureTable,
      epochs: number,
      learningRate: number,
    ): Promise<boolean> => {
      const optimizer = tf.train.adam(learningRate);
      const firstEpoch = stage === which ? epochsDone : 0;
      if (checkpoint && checkpoint.header.stage === which && checkpoint.optimizer.length) await optimizer.setWeights(checkpoint.optimizer);
      stage = which;
      epochsDone = firstEpoch;
      const stageStart = performance.now();
      const done = await runEpochs({
        stage: which,
        forward: (x, training, seed) => segment.run(x, training, seed),
        variables: segment.variables,
        optimizer,
        train: tableExamples(table, trainRows, trainLabels),
        val: tableExamples(table, valRows, valLabels),
        classes,
        firstEpoch,
        epochs,
        epochOffset: which === 2 ? config.epochs : 0,
        batchSize: config.batchSize,
        seed: config.seed,
        stopRequested: () => Boolean(signal?.aborted),
        onStep: (d, total, loss, accuracy, epoch) =>
          emit({ phase: 'step', stage: which, done: d, total, epoch, epochs: (which === 2 ? config.epochs : 0) + epochs, loss, accuracy }),
        onEpoch: async (record) => {
          history = [...history, record];
          epochsDone = record.epoch - (which === 2 ? config.epochs : 0);
          await writeProgress(optimizer, segment);
          emit({ phase: 'epoch', record });
        },
      });
      optimizer.dispose();
      const elapsed = (performance.now() - stageStart) / 1000;
      if (which === 1) seconds.stage1 += elapsed;
      else seconds.stage2 += elapsed;
      return done;
    };

    const images = (set: Sample[]) => ({
      paths: set.map((s) => s.path),
      labels: Int32Array.from(set.map((s) => s.label)),
      samples: set.map((s) => index.get(s.path)!),
    });
    let batchNormMode: 'train' | 'frozen' = 'frozen';
    const finish = (completed: boolean): TrainResult => {
      seconds.total = (performance.now() - started) / 1000;
      return {
        output: options.output,
        classes: dataset.classes,
        completed,
        history,
        valAccuracy: history.at(-1)?.valAccuracy ?? null,
        stage1ValAccuracy: history.filter((r) => r.stage === 1).at(-1)?.valAccuracy ?? null,
        perClass: [],
        confusion: [],
        skipped,
        counts: { train: split.train.length, val: split.val.length },
        seconds,
        fineTuneImagesPerSecond: null,
        imagesPerSecond: speeds(),
        batchNorm: batchNormMode,
      };
    };
    const stageSpeed = (which: 1 | 2) => {
      const records = history.filter((r) => r.stage === which);
      const time = records.reduce((a, r) => a + r.trainSeconds, 0);
      return records.length && time > 0 ? (records.length * split.train.length) / time : null;
    };
    const speeds = () => ({ stage1: stageSpeed(1), stage2: stageSpeed(2) });

    // From scratch, the head has nothing to learn from: straight to the whole network.
    if (stage === 1 && config.weights === 'none') stage = 2;
    if (stage === 1 && !(await runStage(1, head, merged[0], config.epochs, config.learningRate))) return finish(false);
    let fineTuneImagesPerSecond: number | null = null;
    let networkPredicted: Int32Array | undefined;
    if (config.fineTune === 'all' || fineTop) {
      if (stage === 1) {
        stage = 2;
        epochsDone = 0;
      }
      const whole = config.fineTune === 'all';
      const freezeBn = config.freezeBn === 'auto' ? bnFolded : config.freezeBn;
      if (whole && config.freezeBn === 'auto' && bnFolded) {
        emit({
          phase: 'notice',
          message: `${config.weights} has batch norm folded into the convolutions (identity statistics): batch norm stays frozen (train it anyway with freezeBn: false)`,
        });
      }
      batchNormMode = whole && !freezeBn ? 'train' : 'frozen';
      // Whole network: the cached features are of the old backbone; free their engines first.
      if (whole) await Promise.all(engines.splice(0).map((e) => e.dispose()));
      const scratch = config.weights === 'none';
      const epochOffset = scratch ? 0 : config.epochs;
      const epochs = scratch ? config.epochs : config.fineTuneEpochs;
      const stageStart = performance.now();
      // What the checkpoint keeps: every weighted layer (with batch norm's statistics), or the top's.
      const kept = whole ? model.layers.filter((l) => l.weights.length > 0) : trainedLayers(fineTop!);
      const result = await trainNetwork({
        model,
        fromLayer: whole ? undefined : fineTop!.blocks[0].layers[0],
        // The last n blocks train on cached activations with batch norm frozen (it saw every view once).
        data: whole ? undefined : cachedData(fineTop!, merged[1], trainRows, tableExamples(merged[1], valRows, valLabels), classes),
        batchNorm: whole && !freezeBn ? 'train' : 'frozen',
        augment: config.augmentNetwork,
        train: images(split.train),
        val: images(split.val),
        classes,
        size,
        input,
        seed: config.seed,
        batchSize: config.batchSize,
        firstEpoch: epochsDone,
        epochs,
        epochOffset,
        stage: 2,
        optimizer: {
          name: config.optimizer,
          learningRate: scratch ? config.learningRate : config.fineTuneLearningRate,
          weightDecay: config.weightDecay,
          momentum: config.momentum,
          nesterov: config.nesterov,
        },
        schedule: { name: config.schedule, warmupEpochs: config.warmupEpochs },
        labelSmoothing: config.labelSmoothing,
        clipNorm: config.clipNorm,
        optimizerState: checkpoint?.header.stage === 2 ? optimizerStateOf(checkpoint) : undefined,
        threads: options.threads,
        signal,
        onStep: (d, total, loss, accuracy, epoch, imagesPerSecond) =>
          emit({ phase: 'step', stage: 2, done: d, total, epoch, epochs: epochOffset + epochs, loss, accuracy, imagesPerSecond }),
        onEpoch: async (record, state) => {
          history = [...history, record];
          epochsDone = record.epoch - epochOffset;
          await writeCheckpoint(
            join(options.output, CHECKPOINT_FILE),
            { ...header(), optimizerSteps: state.steps },
            kept,
            namedSlots(state),
          );
          await writeFileAtomic(join(options.output, LABELS_FILE), JSON.stringify(dataset.classes, null, 2) + '\n');
          await writeFileAtomic(
            join(options.output, 'curves.png'),
            await svgToPng(curvesSvg(history, curvesTitle(config, dataset.classes.length))),
          );
          emit({ phase: 'epoch', record });
        },
      });
      seconds.stage2 += (performance.now() - stageStart) / 1000;
      if (!result.completed) return finish(false);
      networkPredicted = result.predicted;
      fineTuneImagesPerSecond = stageSpeed(2);
    }

    // --- final evaluation and outputs --------------------------------------------------------
    emit({ phase: 'export' });
    const t3 = performance.now();
    const finalSegment = fineTop ?? head;
    const finalTable = fineTop ? merged[1] : merged[0];
    const valExamples = tableExamples(finalTable, valRows, valLabels);
    const predicted = networkPredicted
      ? networkPredicted
      : config.fineTune === 'all'
        ? valExamples.count
          ? (
              await evaluateNetwork(model, images(split.val), {
                classes,
                size,
                input,
                seed: config.seed,
                batchSize: config.batchSize,
                threads: options.threads,
              })
            )?.predicted
          : undefined
        : valExamples.count
          ? evaluate((x, t) => finalSegment.run(x, t), valExamples, classes, 64).predicted
          : undefined;
    const confusion = predicted ? confusionMatrix(valLabels, predicted, classes) : [];
    const perClass = predicted ? perClassMetrics(confusion, dataset.classes) : [];
    const result: TrainResult = { ...finish(true), perClass, confusion, fineTuneImagesPerSecond, imagesPerSecond: speeds() };
    await writeModelFiles(model, options.output, result, dataset.classes);
    seconds.export = (performance.now() - t3) / 1000;
    seconds.total = (performance.now() - started) / 1000;
    // Last, so it holds the export time; labels.json and curves.png are current from the last epoch.
    await writeMetrics(options.output, config, result, split.train, split.val, dataset.classes);
    return result;
  } catch (error) {
    if (error instanceof Interrupted) {
      seconds.total = (performance.now() - started) / 1000;
      return {
        output: options.output,
        classes: scanned.classes,
        completed: false,
        history: checkpoint?.header.history ?? [],
        valAccuracy: null,
        stage1ValAccuracy: null,
        perClass: [],
        confusion: [],
        skipped: [],
        counts: { train: 0, val: 0 },
        seconds,
        fineTuneImagesPerSecond: null,
        imagesPerSecond: { stage1: null, stage2: null },
        batchNorm: 'frozen',
      };
    }
    throw error;
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
    model.dispose();
  }
}

type Emit = (event: import('./config.js').TrainProgress) => void;

/**
 * Step 1: the settings, the data (scanned and fingerprinted) and the output folder checked; with
 * --resume, the checkpoint and its settings (refusing changed data).
 */
async function openRun(options: TrainOptions, emit: Emit) {
  let config = resolveConfig(options);
  const scanned = await scanDataset(options.data, { exclude: options.output });
  // Of the files found (readable or not), so --resume can refuse changed data before any work.
  const dataFingerprint = await fingerprint(scanned.root, scanned.samples);
  emit({ phase: 'scan', images: scanned.samples.length, classes: scanned.classes.length });
  const previous = await checkOutputFolder(options.output, scanned.classes, config.arch, Boolean(options.resume));
  let checkpoint: Checkpoint<TrainConfig> | undefined;
  if (options.resume && previous?.hasCheckpoint) {
    checkpoint = await readCheckpoint<TrainConfig>(join(options.output, CHECKPOINT_FILE));
    config = checkpoint.header.config;
    if (checkpoint.header.dataFingerprint !== dataFingerprint) {
      throw new DataError(`the images in ${options.data} changed since the checkpoint in ${options.output}: train again without --resume`);
    }
    emit({ phase: 'resume', epoch: checkpoint.header.history.at(-1)?.epoch ?? 0, stage: checkpoint.header.stage });
  } else if (previous?.hasCheckpoint) {
    await rm(join(options.output, CHECKPOINT_FILE), { force: true });
  }
  return { config, scanned, dataFingerprint, checkpoint };
}

/**
 * Step 2: the backbone with its weights (every layer must get them), the new classifier on it, and
 * the input contract from the model card (ImageNet's range, or torchvision's mean/std and crop).
 */
async function buildTrainModel(config: TrainConfig, classes: string[]) {
  const backbone = buildModel({
    arch: config.arch,
    flavor: config.flavor,
    alpha: config.alpha,
    minimalistic: config.minimalistic,
    padding: config.padding,
    includeTop: false,
    pooling: 'avg',
    inputShape: [...config.inputSize, 3],
    includePreprocessing: config.includePreprocessing ?? true,
  });
  // By name, so a file with a top (or a trained model.json with its classifier) fits the headless
  // backbone; but every backbone layer must get its weights, shapes checked: a partly loaded one
  // would silently train a head on random features.
  if (config.weights !== 'none') {
    const { missing } = await loadWeights(backbone, config.weights, { byName: true, skipMismatch: false });
    if (missing.length) {
      throw new WeightsError(
        `${config.weights} has no weights for ${missing.length} backbone layers (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}): check --arch, --alpha, --minimalistic, --flavor`,
      );
    }
  }
  const bnFolded = config.weights !== 'none' && foldedBatchNorm(backbone);
  const card = readModelCard(backbone) ?? defaultModelCard(readMetadata(backbone)!.options);
  const input = { scale: card.input.scale, offset: card.input.offset, crop: card.input.crop };
  const model = attachClassifier(backbone, { classes, dropout: config.dropout, seed: config.seed });
  return { backbone, model, bnFolded, input };
}
