/**
 * A torchvision MobileNetV3 state dict (from a .pth or .safetensors) -> a built, loaded model whose
 * card says what it expects: torchvision's weights need PyTorch's symmetric padding and mean/std
 * normalisation, so the model is built with `padding: 'symmetric'`, no Rescaling layer, and the
 * card records the normalisation for classify/evaluate to apply.
 */
import type * as tf from '../../runtime/tf.js';
import { readMetadata } from '../../architecture/blocks.js';
import { buildModel } from '../../architecture/builder.js';
import { meanStdContract, readModelCard, updateModelCard, type WeightsProvenance } from '../../architecture/card.js';
import type { ModelOptions } from '../../architecture/options.js';
import { WeightsError } from '../errors.js';
import { loadTorchvisionStateDict, type NamedTensor, type TorchvisionLoadReport } from '../torchvision.js';

export const TORCHVISION_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const TORCHVISION_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/**
 * The options of the torchvision model a state dict is: the arch from the number of feature
 * blocks (Large has features.0..16, Small features.0..12), the top and class count from
 * `classifier.3.weight`.
 */
export function torchvisionOptionsOf(
  tensors: readonly NamedTensor[],
  source = 'the file',
): Pick<ModelOptions, 'arch' | 'includeTop' | 'classes'> {
  const features = new Set(tensors.map((t) => /^features\.(\d+)\./.exec(t.name)?.[1]).filter((x): x is string => x !== undefined));
  const arch = features.size === 17 ? 'large' : features.size === 13 ? 'small' : undefined;
  if (!arch) {
    const first = tensors
      .slice(0, 3)
      .map((t) => t.name)
      .join(', ');
    throw new WeightsError(
      `${source} is not a torchvision mobilenet_v3_large/small state dict (${features.size} feature blocks; its first keys: ${first || 'none'})`,
    );
  }
  const head = tensors.find((t) => t.name === 'classifier.3.weight');
  return head ? { arch, includeTop: true, classes: head.shape[0] } : { arch, includeTop: false };
}

/** Options that a torchvision state dict forces on the model built for it. */
export function torchvisionModelOptions(options: ModelOptions, tensors: readonly NamedTensor[], source?: string): ModelOptions {
  const fromFile = torchvisionOptionsOf(tensors, source);
  // --no-top with a file that has a top: keep no top (its classifier is then ignored).
  const top = options.includeTop === false ? { includeTop: false } : fromFile;
  return { ...options, ...fromFile, ...top, flavor: 'keras', padding: 'symmetric', includePreprocessing: false };
}

/** Load a state dict into a keras-flavour model built for it and write the card's normalisation and provenance. */
export function applyTorchvisionStateDict(
  model: tf.LayersModel,
  tensors: readonly NamedTensor[],
  provenance: WeightsProvenance,
): TorchvisionLoadReport {
  const meta = readMetadata(model);
  if (meta && (meta.options.padding !== 'symmetric' || meta.options.includePreprocessing)) {
    throw new WeightsError(
      'torchvision weights need a model built with padding "symmetric" and without its Rescaling layer (includePreprocessing: false)',
    );
  }
  const report = loadTorchvisionStateDict(model, tensors, { strict: meta?.options.includeTop !== false });
  const card = readModelCard(model);
  if (card)
    updateModelCard(model, {
      input: { ...card.input, ...meanStdContract(TORCHVISION_MEAN, TORCHVISION_STD), inModel: null },
      weights: provenance,
    });
  return report;
}

/** Build the model a torchvision state dict fits (within `options`: input size, dropout, ...) and load it. */
export function buildTorchvisionModel(
  tensors: readonly NamedTensor[],
  options: ModelOptions,
  provenance: WeightsProvenance,
): { model: tf.LayersModel; report: TorchvisionLoadReport } {
  // Every weighted layer takes a tensor of the state dict (or the load throws): no initialisers needed.
  const model = buildModel(torchvisionModelOptions(options, tensors, provenance.id), { initialize: false });
  try {
    return { model, report: applyTorchvisionStateDict(model, tensors, provenance) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}
