/**
 * What `train()` is asked (TrainOptions), and the run's settings all resolved and checked before
 * any work (TrainConfig: stored in the checkpoint, so --resume continues with the same ones, and
 * in metrics.json). The model options are the builder's own (`TrainModelOptions`), checked by its
 * rules; option errors are OptionErrors (a command line that cannot work).
 */
import { resolveOptions, type ModelOptions } from '../architecture/options.js';
import { invalidValue } from '../errors.js';
import { ARCHITECTURES } from '../architecture/tables.js';
import type { EngineName } from '../runtime/engine.js';
import { isPthPath } from '../weights/pth/file.js';
import { isTorchvisionWeightsName } from '../weights/torchvision-weights.js';
import type { EpochRecord } from './loop.js';
import { OPTIMIZER_NAMES, SCHEDULE_NAMES, type OptimizerName, type ScheduleName } from './optim/index.js';

/** The model options training takes, as the builder names them (given once, here). */
export type TrainModelOptions = Pick<ModelOptions, 'arch' | 'flavor' | 'alpha' | 'minimalistic' | 'padding'>;

export interface TrainOptions extends TrainModelOptions {
  /** Folder with one sub-folder of images per class. */
  data: string;
  /** Output folder (created). */
  output: string;
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
  | {
      phase: 'step';
      stage: 1 | 2;
      done: number;
      total: number;
      epoch: number;
      epochs: number;
      loss: number;
      accuracy: number;
      imagesPerSecond?: number;
    }
  | { phase: 'epoch'; record: EpochRecord }
  | { phase: 'export' }
  | { phase: 'notice'; message: string };

/** The run's settings, all resolved; stored in the checkpoint and metrics.json. */
export interface TrainConfig extends Required<TrainModelOptions> {
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

export function resolveConfig(o: TrainOptions): TrainConfig {
  // Each check names the library's option; the CLI words it as its flag (src/cli/errors.ts).
  const check = (option: string, v: number, ok: (v: number) => boolean, expected: string) => {
    if (!(Number.isFinite(v) && ok(v))) throw invalidValue(option, expected, v);
    return v;
  };
  const positiveInt = (option: string, v: number) => check(option, v, (n) => Number.isInteger(n) && n >= 1, 'a whole number of at least 1');
  const positive = (option: string, v: number) => check(option, v, (n) => n > 0, 'a positive number');
  const epochs = positiveInt('epochs', o.epochs ?? 20);
  const learningRate = positive('learningRate', o.learningRate ?? 1e-3);
  const augment = check('augment', o.augment ?? 0, (n) => Number.isInteger(n) && n >= 0, 'a whole number of views of at least 0');
  const weights = o.weights === null || o.weights === undefined ? (o.weights === null ? 'none' : 'imagenet') : o.weights;
  // From scratch there is no backbone worth a head of its own: the whole network trains.
  const fineTune = weights === 'none' ? 'all' : (o.fineTune ?? 0);
  const bnecks = ARCHITECTURES[o.arch ?? 'large']?.blocks.length ?? ARCHITECTURES.large.blocks.length;
  if (fineTune !== 'all' && (!Number.isInteger(fineTune) || fineTune < 0 || fineTune > bnecks)) {
    const arch = `MobileNetV3-${o.arch === 'small' ? 'Small' : 'Large'}`;
    throw invalidValue('fineTune', `'all' or a number of blocks from 1 to ${bnecks} (${arch} has ${bnecks} bnecks)`, fineTune);
  }
  const optimizer = o.optimizer ?? 'adam';
  if (!OPTIMIZER_NAMES.includes(optimizer)) throw invalidValue('optimizer', `one of ${OPTIMIZER_NAMES.join(', ')}`, optimizer);
  const schedule = o.schedule ?? 'cosine';
  if (!SCHEDULE_NAMES.includes(schedule)) throw invalidValue('schedule', `one of ${SCHEDULE_NAMES.join(', ')}`, schedule);
  const momentum = check('momentum', o.momentum ?? 0.9, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const warmupEpochs = check('warmupEpochs', o.warmupEpochs ?? 0, (v) => v >= 0, 'at least 0');
  const weightDecay = check('weightDecay', o.weightDecay ?? 0, (v) => v >= 0, 'at least 0');
  const labelSmoothing = check('labelSmoothing', o.labelSmoothing ?? 0, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const clipNorm = check('clipNorm', o.clipNorm ?? 0, (v) => v >= 0, 'at least 0 (0: no clipping)');
  // The model options, checked by the builder's own rules before any work.
  const [height, width] = typeof o.inputSize === 'number' ? [o.inputSize, o.inputSize] : (o.inputSize ?? [224, 224]);
  // PyTorch-trained weights need PyTorch's padding and no Rescaling (their card brings mean/std).
  const torch = isPthPath(weights) || isTorchvisionWeightsName(weights);
  const model = resolveOptions({
    arch: o.arch,
    flavor: o.flavor,
    alpha: o.alpha,
    minimalistic: o.minimalistic,
    padding: torch ? 'symmetric' : o.padding,
    inputShape: [height, width, 3],
    dropoutRate: o.dropout,
    includeTop: false,
    pooling: 'avg',
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
    batchSize: positiveInt('batchSize', o.batchSize ?? 32),
    learningRate,
    valSplit: o.valSplit ?? 0.2,
    augment,
    augmentNetwork: o.augment !== 0,
    fineTune,
    fineTuneEpochs: positiveInt('fineTuneEpochs', o.fineTuneEpochs ?? 5),
    fineTuneLearningRate: positive('fineTuneLearningRate', o.fineTuneLearningRate ?? learningRate / 10),
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
