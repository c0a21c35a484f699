import { InvalidValueError } from '../errors.js';
import { FLAVOR_NAMES, type Flavor } from './flavors.js';
import { ARCH_NAMES, type ArchName } from './tables.js';

export type { Flavor } from './flavors.js';
export type Pooling = 'avg' | 'max';
/** How convolutions pad: TF/Keras "same" (asymmetric on stride 2) or PyTorch-style symmetric (k-1)/2. */
export type Padding = 'same' | 'symmetric';

/** Options mirroring `keras.applications.MobileNetV3Large/Small`, plus the flavour. */
export interface ModelOptions {
  arch?: ArchName;
  flavor?: Flavor;
  /** [height, width, 3]; height and width at least 32. Default [224, 224, 3]. */
  inputShape?: readonly [number, number, number];
  alpha?: number;
  minimalistic?: boolean;
  includeTop?: boolean;
  classes?: number;
  /** Only without top: global pooling of the last feature map. */
  pooling?: Pooling | null;
  dropoutRate?: number;
  /** Activation of the classifier; null gives logits. */
  classifierActivation?: 'softmax' | null;
  includePreprocessing?: boolean;
  padding?: Padding;
  /** Model name; defaults to Keras's `MobileNetV3Large` / `MobileNetV3Small`. */
  name?: string;
}

export type ResolvedOptions = Required<Omit<ModelOptions, 'pooling' | 'classifierActivation'>> & {
  pooling: Pooling | null;
  classifierActivation: 'softmax' | null;
};

/** A bad model option: one line that says what is wrong and what is accepted (src/errors.ts's wording). */
export class OptionError extends Error {
  override name = 'OptionError';
  /** The library option and how the message names it, when built from a value check (the CLI's hint). */
  readonly option?: string;
  readonly label?: string;
  /** `new OptionError(message)`, or `new OptionError(option, expected, actual, label?)` in invalidValue's wording. */
  constructor(first: string, expected?: string, actual?: unknown, label = first) {
    super(expected === undefined ? first : new InvalidValueError(first, expected, actual, label).message);
    if (expected !== undefined) {
      this.option = first;
      this.label = label;
    }
  }
}

export const MIN_INPUT_SIZE = 32;

export function resolveOptions(options: ModelOptions = {}): ResolvedOptions {
  const arch = options.arch ?? 'large';
  if (!ARCH_NAMES.includes(arch)) {
    throw new OptionError('arch', `one of ${ARCH_NAMES.join(', ')}`, arch);
  }
  const flavor = options.flavor ?? 'keras';
  if (!FLAVOR_NAMES.includes(flavor)) throw new OptionError('flavor', FLAVOR_NAMES.join(' or '), flavor);
  const inputShape = options.inputShape ?? [224, 224, 3];
  const [h, w, c] = inputShape;
  if (inputShape.length !== 3 || c !== 3) throw new OptionError('inputShape', '[height, width, 3]', inputShape, 'input shape');
  for (const side of [h, w]) {
    if (!Number.isInteger(side) || side < MIN_INPUT_SIZE) {
      throw new OptionError('inputShape', `a whole number of at least ${MIN_INPUT_SIZE}`, side, 'input size');
    }
  }
  const alpha = options.alpha ?? 1.0;
  if (!Number.isFinite(alpha) || alpha <= 0 || alpha > 4) throw new OptionError('alpha', 'a number in (0, 4]', alpha);
  const classes = options.classes ?? 1000;
  if (!Number.isInteger(classes) || classes < 1) throw new OptionError('classes', 'a positive whole number', classes);
  const dropoutRate = options.dropoutRate ?? 0.2;
  if (!(dropoutRate >= 0 && dropoutRate < 1)) throw new OptionError('dropoutRate', 'in [0, 1)', dropoutRate, 'dropout rate');
  const pooling = options.pooling ?? null;
  if (pooling !== null && pooling !== 'avg' && pooling !== 'max') throw new OptionError('pooling', 'avg or max', pooling);
  const padding = options.padding ?? 'same';
  if (padding !== 'same' && padding !== 'symmetric') throw new OptionError('padding', 'same or symmetric', padding);
  const classifierActivation = options.classifierActivation === undefined ? 'softmax' : options.classifierActivation;
  if (classifierActivation !== null && classifierActivation !== 'softmax') {
    throw new OptionError('classifierActivation', 'softmax or none', classifierActivation, 'classifier activation');
  }
  return {
    arch,
    flavor,
    inputShape: [h, w, 3],
    alpha,
    minimalistic: options.minimalistic ?? false,
    includeTop: options.includeTop ?? true,
    classes,
    pooling,
    dropoutRate,
    classifierActivation,
    // Keras puts Rescaling(1/127.5, -1) in the model; the blog's code has none.
    includePreprocessing: options.includePreprocessing ?? flavor === 'keras',
    padding,
    name: options.name ?? (arch === 'large' ? 'MobileNetV3Large' : 'MobileNetV3Small'),
  };
}
