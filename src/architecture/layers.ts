/**
 * The three layers Keras has and TF.js lacks. Each is registered for serialization, so a model
 * saved as TF.js `model.json` loads back (and Netron shows the class names Keras uses).
 */
import * as tf from '../runtime/tf.js';

type Kwargs = Record<string, unknown>;
const one = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0] : inputs);

/** hard-sigmoid as MobileNetV3 defines it: relu6(x + 3) / 6 (not TF.js's 0.2x + 0.5). */
export function hardSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6));
}

/** hard-swish: x * relu6(x + 3) / 6. */
export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, hardSigmoid(x)));
}

export class HardSigmoid extends tf.layers.Layer {
  static className = 'HardSigmoid';
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs?: Kwargs): tf.Tensor {
    return hardSigmoid(one(inputs));
  }
}

export class HardSwish extends tf.layers.Layer {
  static className = 'HardSwish';
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs?: Kwargs): tf.Tensor {
    return hardSwish(one(inputs));
  }
}

interface GlobalAveragePoolingArgs {
  name?: string;
  keepdims?: boolean;
  trainable?: boolean;
}

/**
 * Keras's GlobalAveragePooling2D with `keepdims` (TF.js's has none). Registered under the same
 * class name, so it also loads models that use the TF.js layer (keepdims false).
 */
export class GlobalAveragePooling2D extends tf.layers.Layer {
  static className = 'GlobalAveragePooling2D';
  readonly keepdims: boolean;
  constructor(args: GlobalAveragePoolingArgs = {}) {
    super(args);
    this.keepdims = args.keepdims ?? false;
    this.inputSpec = [{ ndim: 4 }];
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return this.keepdims ? [s[0], 1, 1, s[3]] : [s[0], s[3]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs?: Kwargs): tf.Tensor {
    return tf.tidy(() => tf.mean(one(inputs), [1, 2], this.keepdims));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), keepdims: this.keepdims, data_format: 'channels_last' };
  }
}

let registered = false;
/** Idempotent; called by the builder and by every loader. */
export function registerCustomLayers(): void {
  if (registered) return;
  registered = true;
  tf.serialization.registerClass(HardSigmoid);
  tf.serialization.registerClass(HardSwish);
  tf.serialization.registerClass(GlobalAveragePooling2D);
}
registerCustomLayers();
