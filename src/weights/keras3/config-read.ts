/**
 * A Keras 3 `config.json` -> the MobileNetV3 it describes, or one line saying why it is not one
 * this package builds. Recognised: `keras.applications.MobileNetV3Large/Small` (any alpha,
 * minimalistic, input size, with or without top and pooling, any classes, with or without
 * `include_preprocessing`), alone or as the base of a transfer-learning model: the base (nested as
 * one `Functional` layer, or its layers flattened into the outer model) followed by global average
 * pooling, an optional Dropout and a Dense of N classes (optionally a softmax Activation).
 * Layers are told apart by the names `keras.applications` gives them (`conv`, `expanded_conv_3_project`,
 * `conv_1_bn`, `logits`, ...); the widths (alpha) are checked against built candidates later.
 */
import type { ModelOptions } from '../../architecture/options.js';
import { WeightsError } from '../errors.js';

interface LayerEntry {
  class_name?: string;
  name?: string;
  config?: Record<string, unknown> & { layers?: LayerEntry[] };
}

/** The head of a transfer-learning model: what follows the backbone's last activation. */
export interface KerasHead {
  classes: number;
  dropout: number;
  /** The Dense applies softmax (itself or through a following Activation). */
  softmax: boolean;
}

export interface KerasModelSpec {
  /** Options of the keras.applications model (includeTop false + pooling 'avg' under a head). */
  options: ModelOptions;
  /** Filters of every Conv2D of the base by layer name, to check widths against. */
  widths: Map<string, number>;
  /** Paddings of every ZeroPadding2D of the base by layer name (JSON), to check the padding convention against. */
  pads: Map<string, string>;
  head?: KerasHead;
  /** The base is one nested Functional layer: its weights sit under `layers/<its path>/layers/...`. */
  nested: boolean;
}

const WEIGHTLESS_HEAD = new Set(['GlobalAveragePooling2D', 'Dropout', 'Activation', 'Flatten']);

/** The model's layers with a nested Functional replaced by its own (its InputLayer dropped). */
function flatten(layers: LayerEntry[], source: string): { flat: LayerEntry[]; nested: number } {
  const flat: LayerEntry[] = [];
  let nested = 0;
  for (const layer of layers) {
    if (layer.class_name === 'Functional' || layer.class_name === 'Model') {
      nested++;
      const inner = layer.config?.layers;
      if (!Array.isArray(inner)) throw new WeightsError(`${source}: nested model ${layer.name} has no layers in its config`);
      flat.push(...flatten(inner, source).flat.filter((l) => l.class_name !== 'InputLayer'));
    } else {
      flat.push(layer);
    }
  }
  return { flat, nested };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function inputShapeOf(layers: LayerEntry[], source: string): [number, number, number] {
  const input = layers.find((l) => l.class_name === 'InputLayer');
  const shape = (input?.config?.batch_shape ?? input?.config?.batch_input_shape) as (number | null)[] | undefined;
  if (!Array.isArray(shape) || shape.length !== 4)
    throw new WeightsError(`${source}: the model's input is not an image batch [batch, height, width, channels]`);
  if (shape[3] !== 3)
    throw new WeightsError(
      `${source}: the model takes ${shape[3]} channels (channels_first or not RGB?); MobileNetV3 here takes [height, width, 3]`,
    );
  // An unspecified size (keras.applications' default (None, None, 3)) is built at 224, the size of Keras's weights.
  return [shape[1] ?? 224, shape[2] ?? 224, 3];
}

/** What the head after the backbone is: Keras's own top, pooling only, or a transfer-learning classifier. */
function readTail(tail: LayerEntry[], source: string): Pick<KerasModelSpec, 'head'> & { options: ModelOptions } {
  // Keras's own top ends in a 1x1 Conv2D `logits`; a Dense (whatever its name) is a new head.
  const logits = tail.find((l) => l.name === 'logits' && l.class_name === 'Conv2D');
  if (logits) {
    const predictions = tail.find((l) => l.name === 'predictions');
    const activation = String(predictions?.config?.activation ?? 'linear');
    if (activation !== 'softmax' && activation !== 'linear')
      throw new WeightsError(`${source}: classifier activation ${activation} (this package builds softmax or none)`);
    const dropout = tail.find((l) => l.class_name === 'Dropout');
    const extra = tail.filter(
      (l) =>
        !['GlobalAveragePooling2D', 'Conv2D', 'Activation', 'Dropout', 'Flatten'].includes(String(l.class_name)) ||
        (l.class_name === 'Conv2D' && l.name !== 'conv_2' && l.name !== 'logits'),
    );
    if (extra.length)
      throw new WeightsError(
        `${source}: layer ${extra[0].name} (${extra[0].class_name}) after the MobileNetV3 top is not something this package builds`,
      );
    return {
      options: {
        includeTop: true,
        classes: Number(logits.config?.filters),
        dropoutRate: num(dropout?.config?.rate) ?? 0,
        classifierActivation: activation === 'softmax' ? 'softmax' : null,
      },
    };
  }
  const dense = tail.filter((l) => l.class_name === 'Dense');
  const other = tail.find(
    (l) => l.class_name !== 'Dense' && !WEIGHTLESS_HEAD.has(String(l.class_name)) && l.class_name !== 'GlobalMaxPooling2D',
  );
  if (other)
    throw new WeightsError(
      `${source}: layer ${other.name} (${other.class_name}) after the MobileNetV3 base is not something this package builds (expected pooling, Dropout, Dense)`,
    );
  const pooled = tail.find((l) => l.class_name === 'GlobalAveragePooling2D' || l.class_name === 'GlobalMaxPooling2D');
  const pooling = pooled ? (pooled.class_name === 'GlobalMaxPooling2D' ? 'max' : 'avg') : null;
  if (dense.length === 0) {
    if (tail.some((l) => l.class_name !== 'GlobalAveragePooling2D' && l.class_name !== 'GlobalMaxPooling2D'))
      throw new WeightsError(
        `${source}: layers after the MobileNetV3 base without a Dense classifier are not something this package builds`,
      );
    return { options: { includeTop: false, pooling } };
  }
  if (dense.length > 1)
    throw new WeightsError(`${source}: a head of ${dense.length} Dense layers (this package builds pooling + Dropout + one Dense)`);
  if (pooling !== 'avg')
    throw new WeightsError(`${source}: a Dense head needs global average pooling before it (this package builds pooling 'avg' + Dense)`);
  const at = tail.indexOf(dense[0]);
  const after = tail.slice(at + 1);
  const denseActivation = String(dense[0].config?.activation ?? 'linear');
  const afterActivation = after.map((l) => String(l.config?.activation));
  if (
    after.some((l) => l.class_name !== 'Activation') ||
    !['softmax', 'linear'].includes(denseActivation) ||
    afterActivation.some((a) => a !== 'softmax' && a !== 'linear')
  ) {
    throw new WeightsError(`${source}: the Dense head's activation is not softmax or none`);
  }
  const dropout = tail.slice(0, at).find((l) => l.class_name === 'Dropout');
  return {
    options: { includeTop: false, pooling: 'avg' },
    head: {
      classes: Number(dense[0].config?.units),
      dropout: num(dropout?.config?.rate) ?? 0,
      softmax: denseActivation === 'softmax' || afterActivation.includes('softmax'),
    },
  };
}

/** Recognise a MobileNetV3 in a Keras 3 model config (the object in `config.json`). */
export function readKerasModelConfig(config: unknown, source = 'the archive'): KerasModelSpec {
  const root = config as LayerEntry;
  if (!root || typeof root !== 'object' || !Array.isArray(root.config?.layers)) {
    throw new WeightsError(
      `${source}: config.json is not a Keras functional model (a ${String(root?.class_name ?? typeof config)}; this package reads functional MobileNetV3 models)`,
    );
  }
  const { flat, nested } = flatten(root.config.layers, source);
  if (nested > 1) throw new WeightsError(`${source} holds ${nested} nested models; this package reads one MobileNetV3 base`);
  const names = new Map(flat.map((l, i) => [String(l.name), i]));
  const blocks = flat
    .map((l) => /^expanded_conv_(\d+)_project$/.exec(String(l.name))?.[1])
    .filter((b): b is string => b !== undefined)
    .map(Number);
  const last = Math.max(-1, ...blocks);
  const arch =
    last === 14 && names.has('expanded_conv_project') ? 'large' : last === 10 && names.has('expanded_conv_project') ? 'small' : undefined;
  if (!arch || !names.has('conv') || !names.has('conv_1_bn')) {
    throw new WeightsError(
      `${source} is not a keras.applications MobileNetV3 (no layers conv, expanded_conv_*_project, conv_1_bn as MobileNetV3Large/Small name them)`,
    );
  }
  // The backbone ends at the activation after conv_1_bn; the rest is the top or a head.
  const end = names.get('conv_1_bn')! + 1;
  const activation = flat[end];
  if (!activation || !['Activation', 'ReLU'].includes(String(activation.class_name)))
    throw new WeightsError(`${source}: no activation after conv_1_bn, not a keras.applications MobileNetV3`);
  const widths = new Map<string, number>();
  const pads = new Map<string, string>();
  for (const l of flat.slice(0, end)) {
    if (l.class_name === 'ZeroPadding2D') pads.set(String(l.name), JSON.stringify(l.config?.padding));
    if (l.class_name === 'Conv2D') widths.set(String(l.name), Number(l.config?.filters));
    if (l.class_name === 'DepthwiseConv2D' && Number(l.config?.depth_multiplier ?? 1) !== 1)
      throw new WeightsError(`${source}: ${l.name} has depth multiplier ${l.config?.depth_multiplier}`);
  }
  const rescaling = flat.slice(0, end).find((l) => l.class_name === 'Rescaling');
  if (rescaling && (Math.abs(Number(rescaling.config?.scale) - 1 / 127.5) > 1e-9 || Number(rescaling.config?.offset) !== -1)) {
    throw new WeightsError(
      `${source}: Rescaling(${rescaling.config?.scale}, ${rescaling.config?.offset}) is not MobileNetV3's (1/127.5, -1)`,
    );
  }
  const { options, head } = readTail(flat.slice(end + 1), source);
  return {
    options: {
      arch,
      inputShape: inputShapeOf(root.config.layers, source),
      minimalistic: !flat.some((l) => /squeeze_excite/.test(String(l.name))),
      includePreprocessing: rescaling !== undefined,
      // keras.applications pads the stem conv "same"; PyTorch-style padding pads it explicitly (our conv_pad).
      padding: names.has('conv_pad') ? 'symmetric' : 'same',
      ...options,
    },
    widths,
    pads,
    head,
    nested: nested === 1,
  };
}
