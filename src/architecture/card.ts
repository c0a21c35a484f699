/**
 * The model card: what a model expects and what its outputs mean, in one record carried in the
 * model's own metadata (next to the block map), like torchvision's `weights.transforms()` +
 * `meta["categories"]` or timm's `resolve_data_config`. Every consumer (classify, evaluate, train,
 * activations/explain, the browser entry, the page, the ONNX export) reads it; nothing else
 * decides the input range, normalisation, resize/crop or labels.
 *
 * The contract is stated from the caller's side: start from RGB pixels 0..255 of the image,
 * resized as `resize` says and centre-cropped by `crop`, then feed
 * `input = pixel * scale[c] + offset[c]` (NHWC). A keras-flavour model with its own Rescaling
 * layer takes the pixels unchanged (scale 1, offset 0); torchvision weights need mean/std
 * normalisation (scale 1/(255 std), offset -mean/std).
 */
import type * as tf from '../runtime/tf.js';
import type { ResolvedOptions } from './options.js';

export const MODEL_CARD_VERSION = 1;

export interface InputContract {
  /** [height, width] of the model's input. */
  readonly size: readonly [number, number];
  readonly layout: 'NHWC';
  readonly colorSpace: 'RGB';
  /** Per channel: model input = pixel (0..255) * scale + offset. The caller applies it. */
  readonly scale: readonly [number, number, number];
  readonly offset: readonly [number, number, number];
  /** When the normalisation is mean/std (torchvision), the mean and std on 0..1 pixels, for the record. */
  readonly mean?: readonly [number, number, number];
  readonly std?: readonly [number, number, number];
  /** What the model does to its input before the first convolution (its Rescaling layer), if anything. */
  readonly inModel: { readonly scale: number; readonly offset: number } | null;
  readonly interpolation: 'bilinear';
  /**
   * Evaluation crop: the fraction of the shorter side kept by the centre crop (1: none).
   * torchvision's Resize(256) + CenterCrop(224) is 0.875, Resize(232) + CenterCrop(224) 224/232.
   */
  readonly crop: number;
}

export interface WeightsProvenance {
  /** e.g. 'imagenet', 'torchvision', 'torchvision-v2', 'file', 'trained', 'none'. */
  readonly source: string;
  /** Record id or file name, e.g. 'small_224_1.0_float'. */
  readonly id?: string;
  readonly url?: string;
  readonly md5?: string;
  readonly sha256?: string;
  /** Free text: where the weights came from. */
  readonly description?: string;
}

export interface ModelCard {
  readonly version: typeof MODEL_CARD_VERSION;
  readonly input: InputContract;
  /** One name per output class, or null when unknown (or the model has no top). */
  readonly labels: readonly string[] | null;
  readonly weights: WeightsProvenance | null;
}

const KEY = 'mobilenetv3';

/** The card a freshly built model has: its own input size and preprocessing, no labels, no weights. */
export function defaultModelCard(options: ResolvedOptions): ModelCard {
  const [h, w] = options.inputShape;
  // With its Rescaling layer the model takes raw pixels; without it, what Keras's preprocess_input
  // for MobileNetV3's siblings gives ([-1, 1]), which is what the keras weights were trained on.
  const raw = options.includePreprocessing;
  return {
    version: MODEL_CARD_VERSION,
    input: {
      size: [h, w],
      layout: 'NHWC',
      colorSpace: 'RGB',
      scale: raw ? [1, 1, 1] : [1 / 127.5, 1 / 127.5, 1 / 127.5],
      offset: raw ? [0, 0, 0] : [-1, -1, -1],
      inModel: raw ? { scale: 1 / 127.5, offset: -1 } : null,
      interpolation: 'bilinear',
      crop: 0.875,
    },
    labels: null,
    weights: null,
  };
}

function metadataOf(model: tf.LayersModel): Record<string, unknown> | undefined {
  const all = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  return all?.[KEY] as Record<string, unknown> | undefined;
}

/** The model's card, or the default one for its options when it carries none. */
export function readModelCard(model: tf.LayersModel): ModelCard | undefined {
  const meta = metadataOf(model);
  if (!meta) return undefined;
  if (meta.card) return meta.card as ModelCard;
  return defaultModelCard(meta.options as ResolvedOptions);
}

/** Replace the card (keeps the block map and options). */
export function writeModelCard(model: tf.LayersModel, card: ModelCard): void {
  const meta = metadataOf(model);
  if (!meta) throw new Error('the model has no mobilenetv3 metadata to carry a card');
  model.setUserDefinedMetadata({ [KEY]: { ...meta, card } as unknown as object });
}

/** Update parts of the card (e.g. labels after training, provenance after loading weights). */
export function updateModelCard(model: tf.LayersModel, change: Partial<Omit<ModelCard, 'version'>>): ModelCard {
  const current = readModelCard(model);
  if (!current) throw new Error('the model has no mobilenetv3 metadata to carry a card');
  const card: ModelCard = { ...current, ...change, version: MODEL_CARD_VERSION };
  writeModelCard(model, card);
  return card;
}

/** mean/std normalisation on 0..1 pixels as the card's per-channel scale and offset. */
export function meanStdContract(mean: readonly [number, number, number], std: readonly [number, number, number]): Pick<InputContract, 'scale' | 'offset' | 'mean' | 'std'> {
  return {
    scale: [0, 1, 2].map((c) => 1 / (255 * std[c])) as unknown as [number, number, number],
    offset: [0, 1, 2].map((c) => -mean[c] / std[c]) as unknown as [number, number, number],
    mean,
    std,
  };
}
