/**
 * A built model -> the `config.json` of a Keras 3 `.keras` archive: the functional model as
 * Keras 3's `serialize_keras_object(model)` writes it (keras/src/saving/serialization_lib.py,
 * keras/src/models/functional.py `get_config` / `serialize_node`): `{module, class_name, config,
 * registered_name}` for the model and for each layer, `inbound_nodes` as `{args, kwargs}` with
 * `__keras_tensor__` references (`keras_history: [layer, node, tensor]`), and `input_layers` /
 * `output_layers`. Each TF.js layer becomes the Keras 3 layer that computes the same thing, with
 * the arguments of that layer's `__init__` (Keras rejects unknown ones): our `HardSwish` /
 * `HardSigmoid` become `Activation('hard_swish' | 'hard_sigmoid')` (Keras 3's are `x*relu6(x+3)/6`
 * and `relu6(x+3)/6`, ours too). Weightless layers may change class: the `.weights.h5` paths only
 * count layers of the weighted classes (Conv2D, DepthwiseConv2D, BatchNormalization, Dense), whose
 * classes stay.
 */
import type * as tf from '../../runtime/tf.js';
import { WeightsError } from '../errors.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Config = { [key: string]: Json };

const DATA_FORMAT: Record<string, string> = { channelsLast: 'channels_last', channelsFirst: 'channels_first' };
const FAN_MODE: Record<string, string> = { fanIn: 'fan_in', fanOut: 'fan_out', fanAvg: 'fan_avg' };
// TF.js's 'normal' draws from a truncated normal, as Keras 3's 'truncated_normal' does.
const DISTRIBUTION: Record<string, string> = {
  normal: 'truncated_normal',
  truncatedNormal: 'truncated_normal',
  untruncatedNormal: 'untruncated_normal',
  uniform: 'uniform',
};

/** A TF.js initializer `{className, config}` -> Keras 3's serialized initializer. */
function initializer(value: unknown): Json {
  const init = value as { className?: string; config?: Record<string, unknown> } | null | undefined;
  if (!init?.className) return null;
  const c = init.config ?? {};
  const config: Config =
    init.className === 'VarianceScaling'
      ? {
          scale: Number(c.scale ?? 1),
          mode: FAN_MODE[String(c.mode)] ?? 'fan_in',
          distribution: DISTRIBUTION[String(c.distribution)] ?? 'truncated_normal',
          seed: (c.seed as number | null) ?? null,
        }
      : init.className === 'Constant'
        ? { value: Number(c.value ?? 0) }
        : ['GlorotUniform', 'GlorotNormal', 'HeNormal', 'HeUniform', 'LecunNormal', 'LecunUniform'].includes(init.className)
          ? { seed: (c.seed as number | null) ?? null }
          : {};
  return { module: 'keras.initializers', class_name: init.className, config, registered_name: null };
}

const pair = (v: unknown): Json => (Array.isArray(v) ? (v as number[]) : [Number(v), Number(v)]);
const dataFormat = (c: Record<string, unknown>): string => DATA_FORMAT[String(c.dataFormat ?? 'channelsLast')] ?? 'channels_last';

function convArgs(c: Record<string, unknown>): Config {
  return {
    kernel_size: pair(c.kernelSize),
    strides: pair(c.strides ?? 1),
    padding: String(c.padding ?? 'valid'),
    data_format: dataFormat(c),
    dilation_rate: pair(c.dilationRate ?? 1),
    activation: String(c.activation ?? 'linear'),
    use_bias: Boolean(c.useBias ?? true),
    bias_initializer: initializer(c.biasInitializer),
    bias_regularizer: null,
    activity_regularizer: null,
    bias_constraint: null,
  };
}

/** `[class_name, config]` of the Keras 3 layer for a TF.js layer (name, trainable and dtype added by the caller). */
function kerasLayer(layer: tf.layers.Layer): [string, Config] {
  const c = layer.getConfig() as Record<string, unknown>;
  switch (layer.getClassName()) {
    case 'InputLayer':
      return ['InputLayer', { batch_shape: c.batchInputShape as Json, sparse: false }];
    case 'Conv2D':
      return [
        'Conv2D',
        {
          filters: Number(c.filters),
          ...convArgs(c),
          groups: 1,
          kernel_initializer: initializer(c.kernelInitializer),
          kernel_regularizer: null,
          kernel_constraint: null,
        },
      ];
    case 'DepthwiseConv2D':
      return [
        'DepthwiseConv2D',
        {
          ...convArgs(c),
          depth_multiplier: Number(c.depthMultiplier ?? 1),
          depthwise_initializer: initializer(c.depthwiseInitializer),
          depthwise_regularizer: null,
          depthwise_constraint: null,
        },
      ];
    case 'BatchNormalization':
      return [
        'BatchNormalization',
        {
          axis: Number(c.axis ?? -1),
          momentum: Number(c.momentum),
          epsilon: Number(c.epsilon),
          center: Boolean(c.center ?? true),
          scale: Boolean(c.scale ?? true),
          beta_initializer: initializer(c.betaInitializer),
          gamma_initializer: initializer(c.gammaInitializer),
          moving_mean_initializer: initializer(c.movingMeanInitializer),
          moving_variance_initializer: initializer(c.movingVarianceInitializer),
          beta_regularizer: null,
          gamma_regularizer: null,
          beta_constraint: null,
          gamma_constraint: null,
        },
      ];
    case 'Dense':
      return [
        'Dense',
        {
          units: Number(c.units),
          activation: String(c.activation ?? 'linear'),
          use_bias: Boolean(c.useBias ?? true),
          kernel_initializer: initializer(c.kernelInitializer),
          bias_initializer: initializer(c.biasInitializer),
          kernel_regularizer: null,
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
        },
      ];
    case 'Rescaling':
      return ['Rescaling', { scale: Number(c.scale), offset: Number(c.offset ?? 0) }];
    case 'ZeroPadding2D':
      return ['ZeroPadding2D', { padding: c.padding as Json, data_format: dataFormat(c) }];
    case 'ReLU':
      return ['ReLU', { max_value: (c.maxValue as number | undefined) ?? null, negative_slope: 0, threshold: 0 }];
    case 'HardSwish':
      return ['Activation', { activation: 'hard_swish' }];
    case 'HardSigmoid':
      return ['Activation', { activation: 'hard_sigmoid' }];
    case 'Activation':
      return ['Activation', { activation: String(c.activation) }];
    case 'GlobalAveragePooling2D':
      return ['GlobalAveragePooling2D', { data_format: 'channels_last', keepdims: Boolean(c.keepdims) }];
    case 'GlobalMaxPooling2D':
      return ['GlobalMaxPooling2D', { data_format: dataFormat(c), keepdims: Boolean(c.keepdims) }];
    case 'Dropout':
      return ['Dropout', { rate: Number(c.rate), seed: null, noise_shape: null }];
    case 'Flatten':
      return ['Flatten', { data_format: dataFormat(c) }];
    case 'Reshape':
      return ['Reshape', { target_shape: c.targetShape as Json }];
    case 'Multiply':
    case 'Add':
      return [layer.getClassName(), {}];
    default:
      throw new WeightsError(`cannot write layer ${layer.name} (${layer.getClassName()}) into a Keras 3 config`);
  }
}

/** Keras 3's reference to a layer output inside `inbound_nodes`. */
function kerasTensor(layer: tf.layers.Layer, node: number, index: number): Json {
  const shape = layer.inboundNodes[node].outputShapes;
  const one = (Array.isArray(shape[0]) ? (shape as (number | null)[][])[index] : shape) as Json;
  return { class_name: '__keras_tensor__', config: { shape: one, dtype: 'float32', keras_history: [layer.name, node, index] } };
}

function inboundNodes(layer: tf.layers.Layer): Json[] {
  return layer.inboundNodes
    .filter((n) => n.inboundLayers.length > 0)
    .map((n) => {
      const inputs = n.inboundLayers.map((l, i) => kerasTensor(l, n.nodeIndices[i], n.tensorIndices[i]));
      // A merge layer is called on a list: args = [[a, b]]; others on one tensor: args = [a].
      return { args: inputs.length === 1 && !['Add', 'Multiply'].includes(layer.getClassName()) ? inputs : [inputs], kwargs: {} };
    });
}

/** The model as Keras 3's `serialize_keras_object(model)`: the object `config.json` holds. */
export function kerasModelConfig(model: tf.LayersModel): Config {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new WeightsError('a .keras archive is written for models with one input and one output');
  const layers: Json[] = model.layers.map((layer) => {
    const [className, config] = kerasLayer(layer);
    // InputLayer's config is exactly its get_config (no trainable); other layers take Layer's arguments too.
    const common: Config =
      className === 'InputLayer'
        ? { name: layer.name, dtype: 'float32' }
        : { name: layer.name, trainable: layer.trainable, dtype: 'float32' };
    return {
      module: 'keras.layers',
      class_name: className,
      config: { ...common, ...config },
      registered_name: null,
      name: layer.name,
      inbound_nodes: inboundNodes(layer),
    };
  });
  const ref = (t: tf.SymbolicTensor): Json => [t.sourceLayer.name, t.nodeIndex, t.tensorIndex];
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: model.name, trainable: true, layers, input_layers: ref(model.inputs[0]), output_layers: ref(model.outputs[0]) },
    registered_name: 'Functional',
    build_config: { input_shape: null },
    compile_config: null,
  };
}
