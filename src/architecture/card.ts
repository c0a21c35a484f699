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
   * Evaluation crop: the fraction of the largest centred region with the input's aspect ratio
   * (for a square input: of the shorter side) kept before resizing; null: the whole image,
   * stretched. Keras/TF's central_crop(0.875) and torchvision's Resize(256) + CenterCrop(224) are
   * 0.875, Resize(232) + CenterCrop(224) 224/232. src/images/prepare.ts applies it.
   */
  readonly crop: number | null;
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

const isNumbers = (v: unknown, n: number): boolean =>
  Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/**
 * A card read from a file (model.json metadata, ONNX metadata_props), checked field by field so a
 * damaged or foreign one is a one-line error naming `what`, not wrong numbers later.
 */
export function parseModelCard(value: unknown, what = 'the model card'): ModelCard {
  const bad = (field: string) => new Error(`${what} has an invalid ${field}`);
  if (typeof value !== 'object' || value === null) throw new Error(`${what} is not a JSON object`);
  const card = value as Record<string, unknown>;
  if (card.version !== MODEL_CARD_VERSION)
    throw new Error(`${what} has version ${String(card.version)}; this mobilenetv3 reads version ${MODEL_CARD_VERSION}`);
  const input = card.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null) throw bad('input');
  if (!isNumbers(input.size, 2) || !(input.size as number[]).every((x) => Number.isInteger(x) && x > 0)) throw bad('input.size');
  if (!isNumbers(input.scale, 3)) throw bad('input.scale');
  if (!isNumbers(input.offset, 3)) throw bad('input.offset');
  if (input.layout !== 'NHWC') throw bad('input.layout');
  // Cards written before the crop could be null said 1 for "no crop" only in prose; 1 is a crop too.
  if (!(input.crop === null || (typeof input.crop === 'number' && input.crop > 0 && input.crop <= 1))) throw bad('input.crop');
  const labels = card.labels;
  if (!(labels === null || (Array.isArray(labels) && labels.every((l) => typeof l === 'string')))) throw bad('labels');
  return value as ModelCard;
}

/** The model's card, or the default one for its options when it carries none (undefined: not built here). */
export function readModelCard(model: tf.LayersModel): ModelCard | undefined {
  const meta = metadataOf(model);
  if (!meta) return undefined;
  if (meta.card) return parseModelCard(meta.card, `the model card of ${model.name}`);
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

/**
 * Where the weights came from, written when they load (src/weights/load.ts): provenance, and what
 * the weights change about the contract and the labels (e.g. torchvision's crop, ImageNet names).
 * A model not built here (no metadata) is left as it is.
 */
export function recordWeights(
  model: tf.LayersModel,
  weights: WeightsProvenance,
  change: { input?: Partial<InputContract>; labels?: readonly string[] | null } = {},
): void {
  const card = readModelCard(model);
  if (!card) return;
  const classes = (model.outputs[0].shape as (number | null)[]).at(-1);
  // Names for another number of outputs (a no-top model, a new head) would be wrong, not helpful.
  const labels = change.labels && change.labels.length === classes && model.outputs[0].shape.length === 2 ? change.labels : card.labels;
  updateModelCard(model, { input: { ...card.input, ...change.input }, labels, weights });
}

/**
 * The card of a model trained on new classes (`train -o`): the backbone's input contract, the
 * class names in output order, and the weights marked as trained here.
 */
export function trainedModelCard(backbone: ModelCard, labels: readonly string[], description?: string): ModelCard {
  return {
    version: MODEL_CARD_VERSION,
    input: backbone.input,
    labels: [...labels],
    weights: {
      source: 'trained',
      ...(backbone.weights ? { id: `from ${backbone.weights.id ?? backbone.weights.source}` } : {}),
      ...(description ? { description } : {}),
    },
  };
}

/** mean/std normalisation on 0..1 pixels as the card's per-channel scale and offset. */
export function meanStdContract(
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): Pick<InputContract, 'scale' | 'offset' | 'mean' | 'std'> {
  return {
    scale: [0, 1, 2].map((c) => 1 / (255 * std[c])) as unknown as [number, number, number],
    offset: [0, 1, 2].map((c) => -mean[c] / std[c]) as unknown as [number, number, number],
    mean,
    std,
  };
}
