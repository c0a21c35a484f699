/**
 * `train()`: from a folder of class sub-folders to a trained, exported classifier.
 *
 * Stage 1 (always): the frozen backbone runs once per image view on ONNX Runtime (the model
 * exported in memory, without top, average-pooled); the pooled features are kept and only the new
 * classifier (dropout + dense softmax) trains, with TF.js, for `epochs` epochs.
 * Stage 2 (`fineTune: n`): the model is cut at the input of its n-th last bneck (from the block
 * map); the bottom runs once per view on ONNX Runtime and its activations are kept; the top (the
 * last n bnecks, the head conv, the classifier) trains on them with TF.js wasm, whose missing
 * convolution gradients src/train/wasm-gradients.ts supplies. BN layers stay in inference mode.
 * Stage 2 (`fineTune: 'all'`): every layer trains, batch norm with batch statistics (unless
 * `freezeBn`), on photos decoded and augmented for every step, on ONNX Runtime
 * (src/train/network-stage.ts). With `weights: 'none'` the network starts from Keras's
 * initialisers: there is no stage 1 (a head on random features means nothing) and the whole
 * network trains for `epochs` epochs at `learningRate`.
 */
import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readMetadata } from '../architecture/blocks.js';
import { defaultModelCard, readModelCard } from '../architecture/card.js';
import { isPthPath } from '../weights/pth/file.js';
import { isTorchvisionWeightsName } from '../weights/torchvision-weights.js';
import { buildModel } from '../architecture/builder.js';
import { OptionError, resolveOptions, type Flavor, type Padding } from '../architecture/options.js';
import { ARCHITECTURES, type ArchName } from '../architecture/tables.js';
import { writeFileAtomic } from '../io/atomic.js';
import { createEngine } from '../runtime/create-engine.js';
import type { Engine, EngineName } from '../runtime/engine.js';
import { useTfBackend } from '../runtime/tfjs.js';
import { WeightsError } from '../weights/errors.js';
import { loadWeights } from '../weights/load.js';
import { CHECKPOINT_FILE, readCheckpoint, restoreLayers, writeCheckpoint, type Checkpoint, type NamedTensor } from './checkpoint.js';
import { attachClassifier } from './classifier.js';
import { classCounts, DataError, scanDataset, splitDataset, withoutUnreadable, type Sample } from './dataset.js';
import { extractFeatures, Interrupted, selectRows, type FeatureTable, type ViewItem } from './features.js';
import { evaluate, runEpochs, type EpochRecord, type Examples } from './loop.js';
import { confusionMatrix, perClassMetrics, type ClassMetrics } from './metrics.js';
import { checkOutputFolder, LABELS_FILE, METRICS_FILE, prepareOutputFolder } from './output-folder.js';
import { svgToPng } from '../visualize/render.js';
import { confusionSvg, curvesSvg } from './plots.js';
import { bottomModel, lastBnecks, topSegment, type TopSegment } from './split-model.js';
import { evaluateNetwork, trainNetwork, type StageData } from './network-stage.js';
import { OPTIMIZER_NAMES, SCHEDULE_NAMES, type OptimizerName, type OptimizerState, type ScheduleName } from './optim/index.js';
import { registerWasmGradients } from './wasm-gradients.js';

export interface TrainOptions {
  /** Folder with one sub-folder of images per class. */
  data: string;
  /** Output folder (created). */
  output: string;
  arch?: ArchName;
  flavor?: Flavor;
  alpha?: number;
  minimalistic?: boolean;
  padding?: Padding;
  /** 'imagenet', a weights file (loaded by layer name, no top), or 'none' / null: train from scratch. */
  weights?: string | null;
  /** Square size or [height, width]; default 224. */
  inputSize?: number | [number, number];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  valSplit?: number;
  /**
   * Stage 1 and fineTune n: augmented views per training image (random-resized crop + flip), cached
   * (default 0). Whole-network training draws a new random-resized crop + flip of every image each
   * epoch unless this is 0.
   */
  augment?: number;
  /**
   * Stage 2 after stage 1: the last n bneck blocks on cached activations (batch norm frozen), or
   * 'all': every layer on augmented photos. 0: stage 1 only.
   */
  fineTune?: number | 'all';
  fineTuneEpochs?: number;
  fineTuneLearningRate?: number;
  /**
   * Whole-network training: true keeps batch norm in inference mode, false trains it (batch
   * statistics, moving averages updated). Default: trained, unless the weights' batch norm is
   * folded into the convolutions (identity statistics, as in weights converted from TFLite):
   * normalising by batch statistics would then undo the pretrained network.
   */
  freezeBn?: boolean;
  /** Whole-network training's optimiser (default adam; stage 1 and fineTune n use Adam). */
  optimizer?: OptimizerName;
  /** sgd/rmsprop momentum (default 0.9); sgd with Nesterov momentum. */
  momentum?: number;
  nesterov?: boolean;
  /** Learning-rate schedule of whole-network training (default cosine) and its warm-up in epochs. */
  schedule?: ScheduleName;
  warmupEpochs?: number;
  /** Weight decay on kernels (L2; decoupled for adamw). */
  weightDecay?: number;
  /** Label smoothing of the targets, in [0, 1). */
  labelSmoothing?: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  clipNorm?: number;
  /** CPU threads for ONNX Runtime (default: every core). */
  threads?: number;
  dropout?: number;
  seed?: number;
  resume?: boolean;
  /** Engine for the frozen part: 'onnx' (default, fast) or 'tfjs'. */
  engine?: EngineName;
  signal?: AbortSignal;
  onProgress?(event: TrainProgress): void;
}

export type TrainProgress =
  | { phase: 'scan'; images: number; classes: number }
  | { phase: 'resume'; epoch: number; stage: 1 | 2 }
  | { phase: 'features'; stage: 1 | 2; done: number; total: number }
  | { phase: 'step'; stage: 1 | 2; done: number; total: number; epoch: number; epochs: number; loss: number; accuracy: number; imagesPerSecond?: number }
  | { phase: 'epoch'; record: EpochRecord }
  | { phase: 'export' }
  | { phase: 'notice'; message: string };

/** The run's settings, all resolved; stored in the checkpoint and metrics.json. */
export interface TrainConfig {
  arch: ArchName;
  flavor: Flavor;
  alpha: number;
  minimalistic: boolean;
  padding: Padding;
  /** The Rescaling layer in the model (Keras); false for PyTorch-trained weights, fed mean/std-normalised pixels. */
  includePreprocessing: boolean;
  weights: string;
  inputSize: [number, number];
  epochs: number;
  batchSize: number;
  learningRate: number;
  valSplit: number;
  augment: number;
  /** Whole-network training: random-resized crop + flip each epoch (false: the evaluation view). */
  augmentNetwork: boolean;
  fineTune: number | 'all';
  fineTuneEpochs: number;
  fineTuneLearningRate: number;
  /** 'auto': decided when the weights are loaded (see TrainOptions.freezeBn). */
  freezeBn: boolean | 'auto';
  optimizer: OptimizerName;
  momentum: number;
  nesterov: boolean;
  schedule: ScheduleName;
  warmupEpochs: number;
  weightDecay: number;
  labelSmoothing: number;
  clipNorm: number;
  dropout: number;
  seed: number;
}

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

function resolveConfig(o: TrainOptions): TrainConfig {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new DataError(`--${name} must be a whole number of at least 1, got ${v}`);
    return v;
  };
  const positive = (name: string, v: number) => {
    if (!(Number.isFinite(v) && v > 0)) throw new DataError(`--${name} must be a positive number, got ${v}`);
    return v;
  };
  const epochs = positiveInt('epochs', o.epochs ?? 20);
  const learningRate = positive('lr', o.learningRate ?? 1e-3);
  const augment = o.augment ?? 0;
  if (!Number.isInteger(augment) || augment < 0) throw new DataError(`--augment takes a number of views of at least 0, got ${augment}`);
  const weights = o.weights === null || o.weights === undefined ? (o.weights === null ? 'none' : 'imagenet') : o.weights;
  // From scratch there is no backbone worth a head of its own: the whole network trains.
  const fineTune = weights === 'none' ? 'all' : o.fineTune ?? 0;
  const bnecks = ARCHITECTURES[o.arch ?? 'large']?.blocks.length ?? 15;
  if (fineTune !== 'all' && (!Number.isInteger(fineTune) || fineTune < 0 || fineTune > bnecks)) {
    throw new OptionError(`fine-tune takes 'all' or a number of blocks from 1 to ${bnecks} (MobileNetV3-${o.arch === 'small' ? 'Small' : 'Large'} has ${bnecks} bnecks), got ${String(fineTune)}`);
  }
  const optimizer = o.optimizer ?? 'adam';
  if (!OPTIMIZER_NAMES.includes(optimizer)) throw new OptionError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(optimizer)}`);
  const schedule = o.schedule ?? 'cosine';
  if (!SCHEDULE_NAMES.includes(schedule)) throw new OptionError(`schedule must be one of ${SCHEDULE_NAMES.join(', ')}, got ${String(schedule)}`);
  const inRange = (name: string, v: number, ok: (v: number) => boolean, what: string) => {
    if (!(Number.isFinite(v) && ok(v))) throw new OptionError(`${name} must be ${what}, got ${v}`);
    return v;
  };
  const momentum = inRange('momentum', o.momentum ?? 0.9, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const warmupEpochs = inRange('warmup epochs', o.warmupEpochs ?? 0, (v) => v >= 0, 'at least 0');
  const weightDecay = inRange('weight decay', o.weightDecay ?? 0, (v) => v >= 0, 'at least 0');
  const labelSmoothing = inRange('label smoothing', o.labelSmoothing ?? 0, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const clipNorm = inRange('clip norm', o.clipNorm ?? 0, (v) => v >= 0, 'at least 0 (0: no clipping)');
  // The model options, checked by the builder's own rules before any work.
  const [height, width] = typeof o.inputSize === 'number' ? [o.inputSize, o.inputSize] : o.inputSize ?? [224, 224];
  // PyTorch-trained weights need PyTorch's padding and no Rescaling (their card brings mean/std).
  const torch = isPthPath(weights) || isTorchvisionWeightsName(weights);
  const model = resolveOptions({
    arch: o.arch, flavor: o.flavor, alpha: o.alpha, minimalistic: o.minimalistic, padding: torch ? 'symmetric' : o.padding,
    inputShape: [height, width, 3], dropoutRate: o.dropout, includeTop: false, pooling: 'avg',
  });
  return {
    arch: model.arch,
    flavor: model.flavor,
    alpha: model.alpha,
    minimalistic: model.minimalistic,
    padding: model.padding,
    includePreprocessing: !torch,
    weights,
    inputSize: [height, width],
    epochs,
    batchSize: positiveInt('batch', o.batchSize ?? 32),
    learningRate,
    valSplit: o.valSplit ?? 0.2,
    augment,
    augmentNetwork: o.augment !== 0,
    fineTune,
    fineTuneEpochs: positiveInt('fine-tune-epochs', o.fineTuneEpochs ?? 5),
    fineTuneLearningRate: positive('fine-tune-lr', o.fineTuneLearningRate ?? learningRate / 10),
    freezeBn: o.freezeBn ?? 'auto',
    optimizer,
    momentum,
    nesterov: Boolean(o.nesterov),
    schedule,
    warmupEpochs,
    weightDecay,
    labelSmoothing,
    clipNorm,
    dropout: model.dropoutRate,
    seed: o.seed ?? 42,
  };
}

/** File names (relative) and sizes of the data: what --resume must find unchanged. */
async function fingerprint(root: string, samples: readonly Sample[]): Promise<string> {
  const hash = createHash('sha256');
  for (const s of samples) hash.update(`${relative(root, s.path)}\t${s.label}\t${(await stat(s.path)).size}\n`);
  return hash.digest('hex').slice(0, 16);
}

/** Examples backed by a feature table with `views` rows per example (view 0 first). */
function tableExamples(table: FeatureTable, rowsOf: number[][], labels: Int32Array): Examples {
  return {
    count: rowsOf.length,
    labels,
    batch(indices, random) {
      const rows = indices.map((i) => {
        const options = rowsOf[i];
        return options.length === 1 || !random ? options[0] : options[Math.floor(random.next() * options.length)];
      });
      const picked = selectRows(table, rows);
      return tf.tensor(picked.data, [rows.length, ...table.rowShape]);
    },
  };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const seconds = { features: 0, stage1: 0, stage2: 0, export: 0, total: 0 };
  const emit = options.onProgress ?? (() => {});
  const signal = options.signal;
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

  await useTfBackend('wasm');
  registerWasmGradients();
  const backbone = buildModel({
    arch: config.arch, flavor: config.flavor, alpha: config.alpha, minimalistic: config.minimalistic, padding: config.padding,
    includeTop: false, pooling: 'avg', inputShape: [...config.inputSize, 3], includePreprocessing: config.includePreprocessing ?? true,
  });
  // By name, so a file with a top (or a trained model.json with its classifier) fits the headless
  // backbone; but every backbone layer must get its weights, shapes checked: the backbone stays
  // frozen, so a partly loaded one would silently train a head on random features.
  if (config.weights !== 'none') {
    const { missing } = await loadWeights(backbone, config.weights, { byName: true, skipMismatch: false });
    if (missing.length) {
      throw new WeightsError(`${config.weights} has no weights for ${missing.length} backbone layers (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}): check --arch, --alpha, --minimalistic, --flavor`);
    }
  }
  const bnFolded = config.weights !== 'none' && foldedBatchNorm(backbone);
  const model = attachClassifier(backbone, { classes: scanned.classes, dropout: config.dropout, seed: config.seed });
  const head = topSegment(model, 'classifier');
  const fineTop = typeof config.fineTune === 'number' && config.fineTune > 0 ? topSegment(model, lastBnecks(model, config.fineTune)[0]) : undefined;
  await prepareOutputFolder(options.output);

  const engines: Engine[] = [];
  const engineOptions = { engine: options.engine ?? 'onnx' } as const;
  const size = config.inputSize;
  // Preprocessing from the model card only (filled when the weights loaded: ImageNet's range, or torchvision's mean/std and crop).
  const card = readModelCard(backbone) ?? defaultModelCard(readMetadata(backbone)!.options);
  const input = { scale: card.input.scale, offset: card.input.offset, crop: card.input.crop };
  try {
    // --- the evaluation view of every image: pooled features (+ cut activations) -------------
    engines.push(await createEngine(backbone, engineOptions));
    if (fineTop) engines.push(await createEngine(bottomModel(model, fineTop), engineOptions));
    const t0 = performance.now();
    const centre = await extractFeatures(scanned.samples.map((s, i) => ({ sample: i, path: s.path, view: 0 })), engines, {
      size, input, seed: config.seed, signal, batchSize: 32,
      onProgress: (done, total) => emit({ phase: 'features', stage: 1, done, total }),
    });
    const skipped = [...(scanned.skipped ?? []), ...[...centre.unreadable].map(([path, reason]) => ({ path: relative(options.data, path), reason }))];
    const dataset = withoutUnreadable(scanned, new Set(centre.unreadable.keys()));
    const split = splitDataset(dataset, config.valSplit, config.seed);
    const index = new Map(scanned.samples.map((s, i) => [s.path, i]));

    // --- augmented views of the training images ---------------------------------------------
    const extraItems: ViewItem[] = [];
    for (const s of split.train) for (let v = 1; v <= config.augment; v++) extraItems.push({ sample: index.get(s.path)!, path: s.path, view: v });
    const extra = extraItems.length
      ? await extractFeatures(extraItems, engines, {
        size, input, seed: config.seed, signal, batchSize: 32,
        onProgress: (done, total) => emit({ phase: 'features', stage: 1, done, total }),
      })
      : undefined;
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

    const trainedLayers = (segment: TopSegment) => segment.blocks.flatMap((b) => b.layers).map((n) => model.getLayer(n)).filter((l) => l.trainableWeights.length > 0);
    const header = () => ({ version: 1 as const, config, classes: dataset.classes, dataFingerprint, stage, epochsDone, history });
    const writeProgress = async (optimizer: tf.Optimizer, segment: TopSegment) => {
      await writeCheckpoint(join(options.output, CHECKPOINT_FILE), header(), trainedLayers(segment), optimizer);
      await writeFileAtomic(join(options.output, LABELS_FILE), JSON.stringify(dataset.classes, null, 2) + '\n');
      await writeFileAtomic(join(options.output, 'curves.png'), await svgToPng(curvesSvg(history, curvesTitle(config, dataset.classes.length))));
    };

    const runStage = async (which: 1 | 2, segment: TopSegment, table: FeatureTable, epochs: number, learningRate: number): Promise<boolean> => {
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
        onStep: (d, total, loss, accuracy, epoch) => emit({ phase: 'step', stage: which, done: d, total, epoch, epochs: (which === 2 ? config.epochs : 0) + epochs, loss, accuracy }),
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

    const images = (set: Sample[]) => ({ paths: set.map((s) => s.path), labels: Int32Array.from(set.map((s) => s.label)), samples: set.map((s) => index.get(s.path)!) });
    let batchNormMode: 'train' | 'frozen' = 'frozen';
    const finish = (completed: boolean): TrainResult => {
      seconds.total = (performance.now() - started) / 1000;
      return {
        output: options.output, classes: dataset.classes, completed, history,
        valAccuracy: history.at(-1)?.valAccuracy ?? null,
        stage1ValAccuracy: history.filter((r) => r.stage === 1).at(-1)?.valAccuracy ?? null,
        perClass: [], confusion: [], skipped, counts: { train: split.train.length, val: split.val.length }, seconds,
        fineTuneImagesPerSecond: null, imagesPerSecond: speeds(), batchNorm: batchNormMode,
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
        emit({ phase: 'notice', message: `${config.weights} has batch norm folded into the convolutions (identity statistics): batch norm stays frozen (train it anyway with freezeBn: false)` });
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
        model, fromLayer: whole ? undefined : fineTop!.blocks[0].layers[0],
        // The last n blocks train on cached activations with batch norm frozen (it saw every view once).
        data: whole ? undefined : cachedData(fineTop!, merged[1], trainRows, tableExamples(merged[1], valRows, valLabels), classes),
        batchNorm: whole && !freezeBn ? 'train' : 'frozen', augment: config.augmentNetwork, train: images(split.train), val: images(split.val), classes, size, input,
        seed: config.seed, batchSize: config.batchSize, firstEpoch: epochsDone, epochs, epochOffset, stage: 2,
        optimizer: {
          name: config.optimizer, learningRate: scratch ? config.learningRate : config.fineTuneLearningRate,
          weightDecay: config.weightDecay, momentum: config.momentum, nesterov: config.nesterov,
        },
        schedule: { name: config.schedule, warmupEpochs: config.warmupEpochs },
        labelSmoothing: config.labelSmoothing, clipNorm: config.clipNorm,
        optimizerState: checkpoint?.header.stage === 2 ? optimizerStateOf(checkpoint) : undefined,
        threads: options.threads, signal,
        onStep: (d, total, loss, accuracy, epoch, imagesPerSecond) => emit({ phase: 'step', stage: 2, done: d, total, epoch, epochs: epochOffset + epochs, loss, accuracy, imagesPerSecond }),
        onEpoch: async (record, state) => {
          history = [...history, record];
          epochsDone = record.epoch - epochOffset;
          await writeCheckpoint(join(options.output, CHECKPOINT_FILE), { ...header(), optimizerSteps: state.steps }, kept, namedSlots(state));
          await writeFileAtomic(join(options.output, LABELS_FILE), JSON.stringify(dataset.classes, null, 2) + '\n');
          await writeFileAtomic(join(options.output, 'curves.png'), await svgToPng(curvesSvg(history, curvesTitle(config, dataset.classes.length))));
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
    const predicted = networkPredicted ? networkPredicted : config.fineTune === 'all'
      ? (valExamples.count ? (await evaluateNetwork(model, images(split.val), { classes, size, input, seed: config.seed, batchSize: config.batchSize, threads: options.threads }))?.predicted : undefined)
      : valExamples.count ? evaluate((x, t) => finalSegment.run(x, t), valExamples, classes, 64).predicted : undefined;
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
        output: options.output, classes: scanned.classes, completed: false, history: checkpoint?.header.history ?? [], valAccuracy: null,
        stage1ValAccuracy: null, perClass: [], confusion: [], skipped: [], counts: { train: 0, val: 0 }, seconds, fineTuneImagesPerSecond: null,
        imagesPerSecond: { stage1: null, stage2: null }, batchNorm: 'frozen',
      };
    }
    throw error;
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
    model.dispose();
  }
}

/**
 * Stage 2 on cached activations: a training example's input is one of its cached views (drawn
 * from the batch generator), validation runs the top on the cached evaluation views.
 */
function cachedData(top: TopSegment, table: FeatureTable, rowsOf: number[][], val: Examples, classes: number): StageData {
  return {
    async batch(indices, _epoch, random) {
      const rows = indices.map((i) => (rowsOf[i].length === 1 ? rowsOf[i][0] : rowsOf[i][Math.floor(random.next() * rowsOf[i].length)]));
      return selectRows(table, rows).data;
    },
    async validate() {
      return val.count ? evaluate((x, t) => top.run(x, t), val, classes, 64) : undefined;
    },
  };
}

/**
 * Whether every batch norm of the model is the identity but for its shift (gamma 1, moving mean 0,
 * moving variance constant): the statistics were folded into the convolutions.
 */
function foldedBatchNorm(model: tf.LayersModel): boolean {
  const bns = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  return bns.length > 0 && bns.every((layer) => {
    const weights = layer.getWeights();
    if (weights.length !== 4) return false;
    const [gamma, , mean, variance] = weights.map((w) => w.dataSync() as Float32Array);
    return gamma.every((v) => v === 1) && mean.every((v) => v === 0) && variance.every((v) => v === variance[0]);
  });
}

/** Our optimiser's slots as checkpoint tensors (`slot:<name>:<param key>`), and back. */
function namedSlots(state: OptimizerState): NamedTensor[] {
  return [...state.slots].map(([name, values]) => ({ name: `slot:${name}`, tensor: tf.tensor1d(values) }));
}

function optimizerStateOf(checkpoint: Checkpoint<TrainConfig>): OptimizerState | undefined {
  const slots = checkpoint.optimizer.filter((w) => w.name.startsWith('slot:'));
  if (!slots.length && !checkpoint.header.optimizerSteps) return undefined;
  return {
    steps: checkpoint.header.optimizerSteps ?? 0,
    slots: new Map(slots.map((w) => [w.name.slice('slot:'.length), w.tensor.dataSync() as Float32Array])),
  };
}

function curvesTitle(config: TrainConfig, classes: number): string {
  const arch = `MobileNetV3-${config.arch === 'small' ? 'Small' : 'Large'}`;
  if (config.weights === 'none') return `${arch} trained from scratch, ${classes} classes (every layer)`;
  const ft = config.fineTune === 'all' ? ', then every layer'
    : config.fineTune ? `, then the last ${config.fineTune === 1 ? 'block' : `${config.fineTune} blocks`} fine-tuned` : '';
  return `${arch} transfer learning, ${classes} classes (head only${ft})`;
}

async function writeMetrics(dir: string, config: TrainConfig, r: TrainResult, trainSet: Sample[], valSet: Sample[], classes: string[]): Promise<void> {
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

async function writeModelFiles(model: tf.LayersModel, dir: string, r: TrainResult, classes: string[]): Promise<void> {
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
    await writeFileAtomic(join(dir, 'confusion.png'), await svgToPng(confusionSvg(r.confusion, classes, `Validation confusion matrix${accuracy}`)));
  } else {
    // No validation set: an earlier run's matrix in this folder would describe another model.
    await rm(join(dir, 'confusion.png'), { force: true });
  }
}
