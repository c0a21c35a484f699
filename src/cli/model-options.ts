/**
 * The model options every model-building command shares (summary, table, plot, classify,
 * evaluate, export, train, serve), defined once.
 */
import { Option, type Command } from 'commander';
import { FLAVOR_NAMES } from '../architecture/flavors.js';
import type { ModelOptions } from '../architecture/options.js';
import { ARCH_NAMES } from '../architecture/tables.js';
import { inputSizeFlag, numberFlag } from './number-flags.js';

export interface ModelFlags {
  arch: string;
  flavor: string;
  alpha: string;
  minimalistic?: boolean;
  inputSize: string;
  classes: string;
  /** Absent when the command omits --no-top (then the model has its top). */
  top?: boolean;
  pooling?: string;
  dropout: string;
  preprocessing: boolean;
  padding: string;
  /** `imagenet`, a Keras .h5 file or a TF.js model.json; load it with `modelFromFlags` (build-model.ts). */
  weights?: string;
}

/** Long names of the shared options, e.g. `no-top`, for `addModelOptions(command, { omit })`. */
export type ModelOptionName =
  | 'arch'
  | 'flavor'
  | 'alpha'
  | 'minimalistic'
  | 'input-size'
  | 'classes'
  | 'no-top'
  | 'pooling'
  | 'dropout'
  | 'no-preprocessing'
  | 'padding'
  | 'weights';

function modelOptionList(): Option[] {
  return [
    new Option('--arch <name>', 'architecture').choices(ARCH_NAMES).default('large'),
    new Option('--flavor <name>', "keras: keras.applications layer for layer; blog: the blog post's Keras code")
      .choices(FLAVOR_NAMES)
      .default('keras'),
    new Option('--alpha <n>', 'width multiplier').default('1.0'),
    new Option('--minimalistic', 'no SE, no hard-swish, no 5x5 (Keras minimalistic)'),
    new Option('--input-size <n|HxW>', 'input size, e.g. 224 or 257x311 (at least 32)').default('224'),
    new Option('--classes <n>', 'number of classes of the classifier').default('1000'),
    new Option('--no-top', 'without the classifier (feature extractor)'),
    new Option('--pooling <mode>', 'global pooling when --no-top').choices(['avg', 'max']),
    new Option('--dropout <rate>', 'dropout before the classifier').default('0.2'),
    new Option('--no-preprocessing', 'without the Rescaling(1/127.5, -1) layer (inputs then in [-1, 1])'),
    new Option('--padding <mode>', 'same: TF/Keras; symmetric: PyTorch-style (k-1)/2').choices(['same', 'symmetric']).default('same'),
    new Option(
      '--weights <source>',
      "imagenet (Keras's published file, downloaded and cached), a Keras .h5 file, a Keras 3 .weights.h5, a PyTorch .pth of torchvision's mobilenet_v3 (builds the model it fits: arch, classes, symmetric padding, mean/std), or a TF.js model.json (which brings its own architecture)",
    ),
  ];
}

/**
 * Add the shared model options to a command. `omit` leaves out options that make no sense for
 * it (e.g. classify has no use for --no-top and has its own --top <k>).
 */
export function addModelOptions(command: Command, { omit = [] }: { omit?: readonly ModelOptionName[] } = {}): Command {
  for (const option of modelOptionList()) {
    if (!omit.includes(option.long!.slice(2) as ModelOptionName)) command.addOption(option);
  }
  return command;
}

/** "224" -> [224, 224, 3]; "257x311" -> [257, 311, 3] (height x width). */
export function parseInputSize(text: string): [number, number, number] {
  const [h, w] = inputSizeFlag(text);
  return [h, w, 3];
}

export function modelOptionsFrom(flags: ModelFlags): ModelOptions {
  return {
    arch: flags.arch as ModelOptions['arch'],
    flavor: flags.flavor as ModelOptions['flavor'],
    alpha: numberFlag('alpha', flags.alpha),
    minimalistic: Boolean(flags.minimalistic),
    inputShape: parseInputSize(flags.inputSize),
    classes: numberFlag('classes', flags.classes),
    includeTop: flags.top !== false,
    pooling: (flags.pooling ?? null) as ModelOptions['pooling'],
    dropoutRate: numberFlag('dropout', flags.dropout),
    includePreprocessing: flags.preprocessing ? undefined : false,
    padding: flags.padding as ModelOptions['padding'],
  };
}
