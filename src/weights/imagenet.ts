/**
 * The ImageNet weights Keras publishes for MobileNetV3, as typed records (in the spirit of
 * torchvision's `Weights` enums): which model they fit, the file and the MD5 Keras checks
 * (keras/src/applications/mobilenet_v3.py, WEIGHTS_HASHES), how inputs are prepared, what the
 * outputs mean and how good they are. Data only; downloading is in download.ts.
 */
import type { ModelOptions } from '../architecture/options.js';

export const KERAS_WEIGHTS_URL = 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/';

/** Keras's ImageNet class index (`decode_predictions`): {"0": ["n01440764", "tench"], ...}. */
export const IMAGENET_CLASS_INDEX = {
  fileName: 'imagenet_class_index.json',
  url: 'https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json',
  md5: 'c2c37ea517e94d9795004a39431a14cb',
  localCopy: '--class-index path/to/imagenet_class_index.json',
} as const;

export interface PretrainedWeights {
  /** e.g. `small_224_1.0_float` or `small_224_1.0_float_no_top`. */
  readonly id: string;
  /** The model these weights fit (pass to buildModel; any input size works, 224 is what they were trained at). */
  readonly model: Required<Pick<ModelOptions, 'arch' | 'alpha' | 'minimalistic' | 'includeTop'>> & { flavor: 'keras' };
  readonly fileName: string;
  /** MD5 of the file, as Keras verifies it. */
  readonly md5: string;
  /** How to prepare images (Keras applications' convention). */
  readonly transforms: {
    readonly inputSize: readonly [224, 224];
    readonly interpolation: 'bilinear';
    /** Centre-crop fraction used for evaluation (TF's central_crop(0.875) = torchvision's 224/256). */
    readonly evalCrop: 0.875;
    /** Pixels go in as 0..255 RGB; the model's Rescaling layer maps them to [-1, 1]. */
    readonly inputRange: readonly [0, 255];
  };
  readonly meta: {
    readonly categories: typeof IMAGENET_CLASS_INDEX;
    readonly numClasses: 1000 | null;
    readonly numParams: number;
    /** Multiply-accumulates at 224x224, as `summarize` counts them. */
    readonly macs: number;
    /** ImageNet-1k validation top-1 (%) that Keras documents for the full model. */
    readonly imagenetTop1: number;
    readonly source: string;
  };
}

interface Variant {
  arch: 'large' | 'small';
  alpha: 0.75 | 1.0;
  minimalistic: boolean;
  md5: readonly [top: string, noTop: string];
  top1: number;
  /** [with top, without top] */
  params: readonly [number, number];
  macs: readonly [number, number];
}

// Hashes from Keras's WEIGHTS_HASHES; top-1 from its docstring table; params and MACs from our
// built models (test/weights-imagenet.test.ts checks them against buildModel + summarize).
const VARIANTS: Variant[] = [
  {
    arch: 'large',
    alpha: 0.75,
    minimalistic: false,
    md5: ['765b44a33ad4005b3ac83185abf1d0eb', '40af19a13ebea4e2ee0c676887f69a2e'],
    top1: 73.3,
    params: [4_012_616, 1_808_736],
    macs: [154_560_624, 152_359_024],
  },
  {
    arch: 'large',
    alpha: 1.0,
    minimalistic: false,
    md5: ['59e551e166be033d707958cf9e29a6a7', '07fb09a5933dd0c8eaafa16978110389'],
    top1: 75.6,
    params: [5_507_432, 2_996_352],
    macs: [216_589_760, 214_080_960],
  },
  {
    arch: 'large',
    alpha: 1.0,
    minimalistic: true,
    md5: ['675e7b876c45c57e9e63e6d90a36599c', 'ec5221f64a2f6d1ef965a614bdae7973'],
    top1: 72.3,
    params: [3_948_688, 1_437_608],
    macs: [209_136_704, 206_627_904],
  },
  {
    arch: 'small',
    alpha: 0.75,
    minimalistic: false,
    md5: ['cb65d4e5be93758266aa0a7f2c6708b7', 'ebdb5cc8e0b497cd13a7c275d475c819'],
    top1: 65.4,
    params: [2_051_552, 583_160],
    macs: [43_399_344, 41_932_976],
  },
  {
    arch: 'small',
    alpha: 1.0,
    minimalistic: false,
    md5: ['8768d4c2e7dee89b9d02b2d03d65d862', 'd3e8ec802a04aa4fc771ee12a9a9b836'],
    top1: 68.1,
    params: [2_554_968, 939_120],
    macs: [56_510_400, 54_896_576],
  },
  {
    arch: 'small',
    alpha: 1.0,
    minimalistic: true,
    md5: ['99cd97fb2fcdad2bf028eb838de69e37', 'cde8136e733e811080d9fcd8a252f7e4'],
    top1: 61.9,
    params: [2_056_848, 441_000],
    macs: [52_288_448, 50_674_624],
  },
];

/** Keras's `model_name`: `{large|small}{_minimalistic}_224_{alpha}_float`, alpha as Python prints it. */
function kerasModelName(v: Pick<Variant, 'arch' | 'alpha' | 'minimalistic'>): string {
  const alpha = Number.isInteger(v.alpha) ? v.alpha.toFixed(1) : String(v.alpha);
  return `${v.arch}${v.minimalistic ? '_minimalistic' : ''}_224_${alpha}_float`;
}

export const IMAGENET_WEIGHTS: readonly PretrainedWeights[] = VARIANTS.flatMap((v) =>
  [true, false].map((includeTop): PretrainedWeights => {
    const name = kerasModelName(v);
    const k = includeTop ? 0 : 1;
    return {
      id: includeTop ? name : `${name}_no_top`,
      model: { flavor: 'keras', arch: v.arch, alpha: v.alpha, minimalistic: v.minimalistic, includeTop },
      fileName: includeTop ? `weights_mobilenet_v3_${name}.h5` : `weights_mobilenet_v3_${name}_no_top_v2.h5`,
      md5: v.md5[k],
      transforms: { inputSize: [224, 224], interpolation: 'bilinear', evalCrop: 0.875, inputRange: [0, 255] },
      meta: {
        categories: IMAGENET_CLASS_INDEX,
        numClasses: includeTop ? 1000 : null,
        numParams: v.params[k],
        macs: v.macs[k],
        imagenetTop1: v.top1,
        source: 'keras.applications (keras/src/applications/mobilenet_v3.py)',
      },
    };
  }),
);

/**
 * The published weights for these model options, or an error message saying which combinations
 * exist (Keras: alpha 0.75 or 1.0, minimalistic only at 1.0; keras flavour; 1000 classes with top).
 */
export function findImagenetWeights(options: ModelOptions): PretrainedWeights | string {
  const arch = options.arch ?? 'large';
  const alpha = options.alpha ?? 1.0;
  const minimalistic = options.minimalistic ?? false;
  const includeTop = options.includeTop ?? true;
  if ((options.flavor ?? 'keras') !== 'keras') return 'ImageNet weights exist only for the keras flavour';
  if (includeTop && (options.classes ?? 1000) !== 1000) {
    return 'ImageNet weights with the top have 1000 classes; for another number of classes load them by name (transfer learning) or use --no-top';
  }
  const found = IMAGENET_WEIGHTS.find(
    (w) => w.model.arch === arch && w.model.alpha === alpha && w.model.minimalistic === minimalistic && w.model.includeTop === includeTop,
  );
  if (found) return found;
  return `no ImageNet weights for ${arch} alpha ${alpha}${minimalistic ? ' minimalistic' : ''}: Keras publishes alpha 0.75 and 1.0, minimalistic only at 1.0`;
}
