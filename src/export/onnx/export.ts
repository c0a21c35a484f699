/**
 * ONNX export of a built (or loaded) MobileNetV3 tf.LayersModel: a transform that walks
 * `model.layers` in order and maps each layer to ONNX nodes. No second description of the network.
 *
 * Input contract: one float32 input `[batch, height, width, 3]` (NHWC, RGB) exactly as the TF.js
 * model takes it. ONNX convolutions are NCHW; instead of a Transpose, the first convolution reads
 * the NHWC input as a one-channel image [N, 1, H, W*3] (a Reshape, no data movement) with its
 * kernel widened to kw*3 and its stride to sw*3, which is the same arithmetic. Outputs are what the TF.js model returns: `[batch, classes]` with a top,
 * `[batch, channels]` with pooling, `[batch, h, w, channels]` (NHWC again) for a bare feature map.
 *
 * Optimisations, each exact up to float rounding: BatchNormalization folded into the preceding
 * convolution / dense layer; ZeroPadding2D folded into the padding of the following "valid"
 * convolution; the Rescaling's factor folded into the first convolution (one Add remains); Dropout, linear activations and the input layer emit nothing; hard-swish and
 * hard-sigmoid become the ONNX HardSwish / HardSigmoid(alpha=1/6, beta=0.5) operators.
 */
import type * as tf from '../../runtime/tf.js';
import { readMetadata } from '../../architecture/blocks.js';
import { readModelCard } from '../../architecture/card.js';
import { CARD_KEY } from './metadata.js';
import { type Attribute, float, int, ints, OnnxGraph } from './graph.js';
import { DataType, encodeModel } from './proto.js';

export const ONNX_OPSET = 17;
/** IR version 8 goes with opset 17. */
const IR_VERSION = 8;

export interface OnnxExportOptions {
  /** Class names written into the metadata (`labels`), one per output class. */
  labels?: readonly string[];
  /** Extra metadata_props entries. */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/** Thrown for a layer or configuration the exporter does not know; names the layer. */
export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

/**
 * nchw: a feature map; nhwc: the raw input (and elementwise work on it) before the first conv;
 * flat: [N, C] for a Keras [C]; vec: [N, C] standing for a 1x1 feature map (Keras [1, 1, C]), so
 * that 1x1 convs on pooled features run as one batched Gemm instead of per-image convolutions.
 */
type Layout = 'nchw' | 'nhwc' | 'flat' | 'vec';

/** An ONNX value standing for a layer's output. `shape` is the Keras shape without the batch. */
interface Value {
  name: string;
  layout: Layout;
  shape: number[];
  /** Zero padding [top, left, bottom, right] not yet applied: the next "valid" conv absorbs it. */
  pads?: [number, number, number, number];
  /** A scalar factor not yet applied: the next conv multiplies its weights by it. */
  scale?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: Keras layer configs are untyped JSON, read field by field per layer class
type Config = Record<string, any>;

function layerShape(layer: tf.layers.Layer): number[] {
  const shape = layer.outputShape as (number | null)[];
  return shape.slice(1) as number[];
}

function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  const nodes = (layer as unknown as { inboundNodes: { inboundLayers: tf.layers.Layer[] }[] }).inboundNodes;
  return nodes.length ? nodes[0].inboundLayers : [];
}

function consumers(layer: tf.layers.Layer): tf.layers.Layer[] {
  return (layer as unknown as { outboundNodes: { outboundLayer: tf.layers.Layer }[] }).outboundNodes.map((n) => n.outboundLayer);
}

function weightsByName(layer: tf.layers.Layer): Map<string, { values: Float32Array; shape: number[] }> {
  const out = new Map<string, { values: Float32Array; shape: number[] }>();
  layer.getWeights().forEach((w, i) => {
    const name = layer.weights[i].originalName.split('/').pop() as string;
    out.set(name, { values: w.dataSync() as Float32Array, shape: w.shape });
  });
  return out;
}

/** TF "same" padding: total max((ceil(in/s)-1)*s + k_eff - in, 0), the odd pixel after. */
export function samePads(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + effective - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

const pair = (v: number | number[]): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v, v]);

class Exporter {
  readonly graph = new OnnxGraph();
  private readonly values = new Map<string, Value>();
  private readonly done = new Set<string>();
  /** NCHW versions of NHWC / vec values, so that several consumers share one Transpose / Reshape. */
  private readonly transposed = new Map<string, Value>();

  constructor(private readonly model: tf.LayersModel) {}

  run(): { inputs: Record<string, unknown>[]; outputs: Record<string, unknown>[] } {
    const inputs: Record<string, unknown>[] = [];
    for (const layer of this.model.layers) {
      if (this.done.has(layer.name)) continue;
      if (layer.getClassName() === 'InputLayer') {
        inputs.push(this.input(layer));
        continue;
      }
      const from = inboundLayers(layer).map((l) => this.value(l));
      this.values.set(layer.name, this.convert(layer, from));
      this.done.add(layer.name);
    }
    const outputs = this.model.outputLayers.map((layer) => this.output(layer));
    return { inputs, outputs };
  }

  private value(layer: tf.layers.Layer): Value {
    const v = this.values.get(layer.name);
    if (!v) throw new OnnxExportError(`internal error: layer "${layer.name}" used before it was exported`);
    return v;
  }

  /** The NCHW form of an NHWC or vec value (shared); pending pads and scale stay pending. */
  private toNchw(v: Value): Value {
    if (v.layout !== 'nhwc' && v.layout !== 'vec') return v;
    let t = this.transposed.get(v.name);
    if (!t && v.layout === 'vec') {
      const shape = this.graph.int64Tensor(`${v.name}_4d_shape`, [0, v.shape[2], 1, 1]);
      const [name] = this.graph.node('Reshape', `${v.name}_to_4d`, [v.name, shape], [this.graph.unique(`${v.name}_4d`)]);
      t = { name, layout: 'nchw', shape: v.shape };
      this.transposed.set(v.name, t);
    }
    if (!t) {
      const [name] = this.graph.node(
        'Transpose',
        `${v.name}_to_nchw`,
        [v.name],
        [this.graph.unique(`${v.name}_nchw`)],
        { perm: ints([0, 3, 1, 2]) },
        'NHWC input (as the TF.js model takes it) to NCHW for the convolutions',
      );
      t = { name, layout: 'nchw', shape: v.shape };
      this.transposed.set(v.name, t);
    }
    return { ...t, pads: v.pads, scale: v.scale };
  }

  /**
   * A value with everything pending applied as ONNX nodes (NHWC -> NCHW unless `keepLayout`,
   * zero padding as Pad, a pending scale as Mul), for consumers that cannot absorb them.
   */
  ready(v: Value, owner: string, keepLayout = false): Value {
    let x = keepLayout ? v : this.toNchw(v);
    if (x.pads) {
      const [t, l, b, r] = x.pads;
      const all = x.layout === 'nhwc' ? [0, t, l, 0, 0, b, r, 0] : [0, 0, t, l, 0, 0, b, r];
      const pads = this.graph.int64Tensor(`${owner}_pads`, all);
      const [name] = this.graph.node('Pad', `${owner}_pad`, [x.name, pads], [this.graph.unique(`${owner}_padded`)]);
      x = { name, layout: x.layout, shape: x.shape, scale: x.scale };
    }
    if (x.scale !== undefined) {
      const factor = this.graph.floatTensor(`${owner}_factor`, new Float32Array([x.scale]), []);
      const [name] = this.graph.node('Mul', `${owner}_scale`, [x.name, factor], [this.graph.unique(`${owner}_scaled`)]);
      x = { name, layout: x.layout, shape: x.shape };
    }
    return x;
  }

  /** Input of an elementwise op: a vec stays a vec (elementwise ops do not care), else ready(). */
  elementwiseInput(v: Value, owner: string): Value {
    return v.layout === 'vec' ? v : this.ready(v, owner);
  }

  private input(layer: tf.layers.Layer): Record<string, unknown> {
    const shape = layerShape(layer);
    if (shape.length !== 3) throw new OnnxExportError(`input "${layer.name}" must be [height, width, channels], got [${shape}]`);
    const name = this.graph.reserve(layer.name);
    // Stays NHWC until a consumer needs NCHW (the first conv): the rescaling runs before the transpose.
    this.values.set(layer.name, { name, layout: 'nhwc', shape });
    this.done.add(layer.name);
    return valueInfo(name, shape);
  }

  /** The graph output for an output layer: NHWC again for a feature map, named after the layer. */
  private output(layer: tf.layers.Layer): Record<string, unknown> {
    const v = this.ready(this.value(layer), layer.name);
    // (ready() turned a vec into [N, C, 1, 1]; the NHWC transpose below makes it [N, 1, 1, C].)
    if (v.layout === 'nchw') {
      const name = this.graph.unique(`${layer.name}_nhwc`);
      this.graph.node(
        'Transpose',
        `${layer.name}_to_nhwc`,
        [v.name],
        [name],
        { perm: ints([0, 2, 3, 1]) },
        'NCHW back to NHWC, as the TF.js model returns it',
      );
      return valueInfo(name, v.shape);
    }
    if (v.name === layer.name) return valueInfo(v.name, v.shape);
    const [name] = this.graph.node('Identity', `${layer.name}_output`, [v.name], [this.graph.unique(layer.name)]);
    return valueInfo(name, v.shape);
  }

  /** Output value name for a layer (its own name when free). */
  out(layer: tf.layers.Layer): string {
    return this.graph.unique(layer.name);
  }

  /** One layer through its converter (the table below); a class without one cannot be exported. */
  private convert(layer: tf.layers.Layer, from: Value[]): Value {
    const cls = layer.getClassName();
    const converter = CONVERTERS[cls];
    if (!converter) throw new OnnxExportError(`cannot export layer "${layer.name}": ONNX export does not support ${cls}`);
    const shape = layerShape(layer);
    const call: LayerCall = {
      layer,
      cls,
      cfg: layer.getConfig() as Config,
      shape,
      from,
      one: () => {
        if (from.length !== 1) throw new OnnxExportError(`layer "${layer.name}" (${cls}) expects one input, has ${from.length}`);
        return from[0];
      },
      unary: (op, attributes = {}, doc) => {
        const x = this.elementwiseInput(call.one(), layer.name);
        const [name] = this.graph.node(op, layer.name, [x.name], [this.out(layer)], attributes, doc);
        return { name, layout: x.layout, shape };
      },
    };
    return converter(this, call);
  }

  clip(
    layer: tf.layers.Layer,
    input: Value,
    min: number,
    max: number,
    shape: number[],
    nodeName = layer.name,
    output = this.out(layer),
  ): Value {
    const x = this.elementwiseInput(input, layer.name);
    const lo = this.graph.floatTensor(`${layer.name}_min`, new Float32Array([min]), []);
    const hi = this.graph.floatTensor(`${layer.name}_max`, new Float32Array([max]), []);
    const [name] = this.graph.node('Clip', nodeName, [x.name, lo, hi], [output]);
    return { name, layout: x.layout, shape };
  }

  /** A Keras activation by name, applied to `input` (standalone layer, or fused in a conv/dense). */
  activation(layer: tf.layers.Layer, activation: string, input: Value, shape: number[], nodeName: string, standalone: boolean): Value {
    const x = this.elementwiseInput(input, layer.name);
    const output = standalone ? this.out(layer) : this.graph.unique(layer.name);
    const unary = (op: string, attributes = {}): Value => {
      const [name] = this.graph.node(op, nodeName, [x.name], [output], attributes);
      return { name, layout: x.layout, shape };
    };
    switch (activation) {
      case 'linear':
        return x;
      case 'relu':
        return unary('Relu');
      case 'relu6':
        return this.clip(layer, x, 0, 6, shape, nodeName, output);
      case 'sigmoid':
        return unary('Sigmoid');
      case 'tanh':
        return unary('Tanh');
      // TF.js's own hard_sigmoid is 0.2x + 0.5 clipped (MobileNetV3's is the HardSigmoid layer).
      case 'hard_sigmoid':
        return unary('HardSigmoid', { alpha: float(0.2), beta: float(0.5) });
      case 'softmax':
        return unary('Softmax', { axis: int(x.layout === 'nchw' ? 1 : -1) });
      default:
        throw new OnnxExportError(`cannot export layer "${layer.name}": ONNX export does not support the activation "${activation}"`);
    }
  }

  /** The BatchNormalization that directly and only follows `layer`, if it can be folded into it. */
  private foldableBatchNorm(layer: tf.layers.Layer, cfg: Config): tf.layers.Layer | undefined {
    const next = consumers(layer);
    if (next.length !== 1 || next[0].getClassName() !== 'BatchNormalization') return undefined;
    if ((cfg.activation ?? 'linear') !== 'linear') return undefined;
    const axis = next[0].getConfig().axis;
    return axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))
      ? next[0]
      : undefined;
  }

  /** Per-channel scale and shift of an inference-mode BN layer: y = x * scale + shift. */
  private batchNormAffine(bn: tf.layers.Layer): { scale: Float32Array; shift: Float32Array } {
    const cfg = bn.getConfig() as Config;
    const w = weightsByName(bn);
    const mean = w.get('moving_mean')!.values;
    const variance = w.get('moving_variance')!.values;
    const gamma = w.get('gamma')?.values;
    const beta = w.get('beta')?.values;
    const scale = new Float32Array(mean.length);
    const shift = new Float32Array(mean.length);
    for (let c = 0; c < mean.length; c++) {
      // In float64, then rounded once: the folded weights are as exact as float32 allows.
      const s = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + cfg.epsilon);
      scale[c] = s;
      shift[c] = (beta ? beta[c] : 0) - mean[c] * s;
    }
    return { scale, shift };
  }

  conv(layer: tf.layers.Layer, cfg: Config, value: Value): Value {
    if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast')
      throw new OnnxExportError(`layer "${layer.name}": only channels-last convolutions are supported`);
    const depthwise = layer.getClassName() === 'DepthwiseConv2D';
    const w = weightsByName(layer);
    const kernel = w.get(depthwise ? 'depthwise_kernel' : 'kernel')!;
    const bias = w.get('bias')?.values;
    const [kh, kw, cin, cm] = kernel.shape; // conv: [kh, kw, in, out]; depthwise: [kh, kw, in, multiplier]
    const out = depthwise ? cin * cm : cm;
    const [sh, sw] = pair(cfg.strides);
    const [dh, dw] = pair(cfg.dilationRate ?? 1);
    // The first conv reads the NHWC input without a Transpose: [N, H, W, C] is, value for value,
    // the one-channel image [N, 1, H, W*C], and a kh x kw conv with stride (sh, sw) over C
    // channels is a kh x (kw*C) conv with stride (sh, sw*C) over it (pads scaled alike).
    const pooled = value.layout === 'vec' || (value.layout === 'nchw' && value.shape[0] === 1 && value.shape[1] === 1);
    if (pooled && !depthwise && kh === 1 && kw === 1 && sh === 1 && sw === 1 && !value.pads && value.scale === undefined) {
      return this.gemm(layer, cfg, value, kernel.values, cin, cm, bias);
    }
    const flat = value.layout === 'nhwc' && !depthwise && dh === 1 && dw === 1 && !(cfg.padding === 'same' && value.pads);
    let input = flat ? value : this.toNchw(value);
    if (input.layout === 'flat') throw new OnnxExportError(`layer "${layer.name}" needs a 4-D input`);
    const [h, wd] = input.shape;
    let pads = input.pads ?? [0, 0, 0, 0];
    if (cfg.padding === 'same') {
      // Pending zero padding cannot merge with "same" padding: apply it; keep the scale pending.
      if (input.pads) input = { ...this.ready({ ...input, scale: undefined }, layer.name), scale: input.scale };
      const [t, b] = samePads(h, kh, sh, dh);
      const [l, r] = samePads(wd, kw, sw, dw);
      pads = [t, l, b, r];
    } else if (cfg.padding !== 'valid') {
      throw new OnnxExportError(`layer "${layer.name}": padding "${cfg.padding}" is not supported`);
    }

    // TF layout -> ONNX [out, in/groups, kh, kw] (flat: [out, 1, kh, kw*C], column x*C + c).
    const inPerGroup = depthwise || flat ? 1 : cin;
    const weights = new Float32Array(out * (depthwise ? 1 : cin) * kh * kw);
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < cin; i++) {
          for (let m = 0; m < cm; m++) {
            const src = ((y * kw + x) * cin + i) * cm + m;
            const o = depthwise ? i * cm + m : m;
            const dst = flat ? (o * kh + y) * kw * cin + x * cin + i : ((o * inPerGroup + (depthwise ? 0 : i)) * kh + y) * kw + x;
            weights[dst] = kernel.values[src];
          }
        }
      }
    }
    let b: Float32Array | undefined = bias ? Float32Array.from(bias) : undefined;
    let doc = `${layer.getClassName()} ${layer.name}`;
    if (input.scale !== undefined) {
      // conv_W(s * x) = conv_(s * W)(x): the pending input factor (the rescaling's) goes into the weights.
      for (let i = 0; i < weights.length; i++) weights[i] *= input.scale;
      doc += ` with the input factor ${input.scale} folded in`;
    }
    const bn = this.foldableBatchNorm(layer, cfg);
    if (bn) {
      const { scale, shift } = this.batchNormAffine(bn);
      const per = weights.length / out;
      for (let o = 0; o < out; o++) for (let k = 0; k < per; k++) weights[o * per + k] *= scale[o];
      b = new Float32Array(out);
      for (let o = 0; o < out; o++) b[o] = (bias ? bias[o] : 0) * scale[o] + shift[o];
      doc += ` with BatchNormalization ${bn.name} folded in`;
      this.done.add(bn.name);
    }
    let attributes = {
      kernel_shape: ints([kh, kw]),
      strides: ints([sh, sw]),
      dilations: ints([dh, dw]),
      pads: ints(pads),
      group: int(depthwise ? cin : 1),
    };
    let dims = [out, inPerGroup, kh, kw];
    if (flat) {
      // The raw input's size: a value's shape already counts the zero padding still pending on it.
      const p = input.pads ?? [0, 0, 0, 0];
      const [h2, w2] = [input.shape[0] - p[0] - p[2], input.shape[1] - p[1] - p[3]];
      const shapeName = this.graph.int64Tensor(`${layer.name}_flat_shape`, [0, 1, h2, w2 * cin]);
      const [name] = this.graph.node(
        'Reshape',
        `${layer.name}_input_as_one_channel`,
        [input.name, shapeName],
        [this.graph.unique(`${layer.name}_flat_input`)],
        {},
        'NHWC [N, H, W, C] viewed as [N, 1, H, W*C] (no data movement), so the conv needs no transpose',
      );
      input = { ...input, name, layout: 'nchw' };
      attributes = {
        kernel_shape: ints([kh, kw * cin]),
        strides: ints([sh, sw * cin]),
        dilations: ints([1, 1]),
        pads: ints([pads[0], pads[1] * cin, pads[2], pads[3] * cin]),
        group: int(1),
      };
      dims = [out, 1, kh, kw * cin];
      doc += ' reading the NHWC input as a one-channel image';
    }
    const inputs = [input.name, this.graph.floatTensor(`${layer.name}.weight`, weights, dims)];
    if (b) inputs.push(this.graph.floatTensor(`${layer.name}.bias`, b, [out]));
    const shape = layerShape(bn ?? layer);
    const activation = cfg.activation ?? 'linear';
    const outName = activation === 'linear' ? this.out(bn ?? layer) : this.graph.unique(`${layer.name}_conv`);
    const [name] = this.graph.node('Conv', layer.name, inputs, [outName], attributes, doc);
    const result: Value = { name, layout: 'nchw', shape };
    if (bn) this.values.set(bn.name, result);
    return activation === 'linear' ? result : this.activation(layer, activation, result, shape, `${layer.name}_${activation}`, true);
  }

  dense(layer: tf.layers.Layer, cfg: Config, input: Value): Value {
    if ((input.layout !== 'flat' && input.layout !== 'vec') || input.shape.length !== (input.layout === 'vec' ? 3 : 1)) {
      throw new OnnxExportError(`layer "${layer.name}" (Dense) is only supported on 2-D inputs`);
    }
    const w = weightsByName(layer);
    const kernel = w.get('kernel')!;
    return this.gemm(layer, cfg, input, kernel.values, kernel.shape[0], kernel.shape[1], w.get('bias')?.values);
  }

  /**
   * A Dense layer, or a 1x1 conv on a 1x1 feature map (the SE module and the classifier head), as
   * one batched Gemm over [N, in]: the weights are read once per batch, not once per image.
   */
  private gemm(
    layer: tf.layers.Layer,
    cfg: Config,
    value: Value,
    kernel: Float32Array,
    cin: number,
    out: number,
    bias?: Float32Array,
  ): Value {
    let input = value;
    if (input.layout === 'nchw') {
      const [name] = this.graph.node(
        'Flatten',
        `${layer.name}_flatten`,
        [input.name],
        [this.graph.unique(`${layer.name}_vec`)],
        { axis: int(1) },
        '[N, C, 1, 1] as [N, C] (no data movement)',
      );
      input = { name, layout: 'vec', shape: input.shape };
    }
    const weights = Float32Array.from(kernel); // [in, out], as TF stores both Dense and 1x1 conv kernels
    let b: Float32Array | undefined = bias ? Float32Array.from(bias) : undefined;
    const bn = this.foldableBatchNorm(layer, cfg);
    let doc = `${layer.getClassName()} ${layer.name} as a batched Gemm`;
    if (bn) {
      const { scale, shift } = this.batchNormAffine(bn);
      for (let i = 0; i < cin; i++) for (let o = 0; o < out; o++) weights[i * out + o] *= scale[o];
      b = new Float32Array(out);
      for (let o = 0; o < out; o++) b[o] = (bias ? bias[o] : 0) * scale[o] + shift[o];
      doc += ` with BatchNormalization ${bn.name} folded in`;
      this.done.add(bn.name);
    }
    b ??= new Float32Array(out);
    const shape = layerShape(bn ?? layer);
    const activation = cfg.activation ?? 'linear';
    const outName = activation === 'linear' ? this.out(bn ?? layer) : this.graph.unique(`${layer.name}_gemm`);
    const [name] = this.graph.node(
      'Gemm',
      layer.name,
      [
        input.name,
        this.graph.floatTensor(`${layer.name}.weight`, weights, [cin, out]),
        this.graph.floatTensor(`${layer.name}.bias`, b, [out]),
      ],
      [outName],
      {},
      doc,
    );
    const result: Value = { name, layout: input.layout, shape };
    if (bn) this.values.set(bn.name, result);
    return activation === 'linear' ? result : this.activation(layer, activation, result, shape, `${layer.name}_${activation}`, true);
  }

  /** A BatchNormalization that could not be folded: the ONNX inference-mode operator. */
  batchNorm(layer: tf.layers.Layer, cfg: Config, input: Value): Value {
    const x = this.ready(input, layer.name);
    const axis = Array.isArray(cfg.axis) ? cfg.axis[0] : cfg.axis;
    const channelAxis = x.shape.length; // Keras index of the channel axis (with batch)
    if (axis !== -1 && axis !== channelAxis)
      throw new OnnxExportError(`layer "${layer.name}": only channel-axis batch normalization is supported`);
    const { scale, shift } = this.batchNormAffine(layer);
    const n = scale.length;
    const dims = x.layout === 'nchw' ? [n, 1, 1] : [n];
    const s = this.graph.floatTensor(`${layer.name}.scale`, scale, dims);
    const t = this.graph.floatTensor(`${layer.name}.shift`, shift, dims);
    const [scaled] = this.graph.node('Mul', `${layer.name}_scale`, [x.name, s], [this.graph.unique(`${layer.name}_scaled`)]);
    const [name] = this.graph.node(
      'Add',
      layer.name,
      [scaled, t],
      [this.out(layer)],
      {},
      'BatchNormalization (inference) as x * scale + shift',
    );
    return { name, layout: x.layout, shape: layerShape(layer) };
  }

  /** Flatten / Reshape: Keras reshapes in NHWC order, so go through NHWC unless spatial dims are 1. */
  reshape(layer: tf.layers.Layer, input: Value, shape: number[]): Value {
    // [N, C] is both a Keras [C] (flat) and a Keras [1, 1, C] (vec): switching is free.
    const channels = (s: number[]) => (s.length === 1 ? s[0] : s.length === 3 && s[0] === 1 && s[1] === 1 ? s[2] : undefined);
    if (
      (input.layout === 'flat' || input.layout === 'vec') &&
      channels(input.shape) !== undefined &&
      channels(input.shape) === channels(shape)
    ) {
      return { name: input.name, layout: shape.length === 1 ? 'flat' : 'vec', shape };
    }
    let x = this.ready(input, layer.name);
    const spatialTrivial = (s: number[]) => s.length !== 3 || (s[0] === 1 && s[1] === 1);
    const trivial = spatialTrivial(x.shape) && spatialTrivial(shape);
    if (x.layout === 'nchw' && !trivial) {
      const [name] = this.graph.node('Transpose', `${layer.name}_to_nhwc`, [x.name], [this.graph.unique(`${layer.name}_nhwc`)], {
        perm: ints([0, 2, 3, 1]),
      });
      x = { ...x, name };
    }
    // In NCHW with 1x1 spatial dims, [C,1,1] and [1,1,C] hold the same numbers in the same order.
    const target = shape.length === 3 && (trivial || false) ? [shape[2], shape[0], shape[1]] : shape;
    const shapeName = this.graph.int64Tensor(`${layer.name}_shape`, [-1, ...target]);
    const reshapedName = shape.length === 3 && !trivial ? this.graph.unique(`${layer.name}_nhwc_out`) : this.out(layer);
    const [reshaped] = this.graph.node('Reshape', layer.name, [x.name, shapeName], [reshapedName]);
    if (shape.length !== 3) return { name: reshaped, layout: 'flat', shape };
    if (trivial) return { name: reshaped, layout: 'nchw', shape };
    const [name] = this.graph.node('Transpose', `${layer.name}_to_nchw`, [reshaped], [this.out(layer)], { perm: ints([0, 3, 1, 2]) });
    return { name, layout: 'nchw', shape };
  }
}

/** What a converter gets: the layer, its config and output shape, its inputs, and two shorthands. */
interface LayerCall {
  layer: tf.layers.Layer;
  cls: string;
  cfg: Config;
  /** The layer's output shape without the batch axis. */
  shape: number[];
  from: Value[];
  /** The single input (an error for layers given several). */
  one(): Value;
  /** One elementwise ONNX node on the single input. */
  unary(op: string, attributes?: Record<string, Attribute>, doc?: string): Value;
}

type Converter = (ex: Exporter, c: LayerCall) => Value;

const isConv = (c: tf.layers.Layer) => ['Conv2D', 'DepthwiseConv2D'].includes(c.getClassName());
/** Inference: dropout and noise layers are the identity. */
const identity: Converter = (ex, c) => ex.elementwiseInput(c.one(), c.layer.name);

const zeroPadding: Converter = (ex, { layer, cfg, shape, one }) => {
  const x = one();
  const [[t, b], [l, r]] = cfg.padding as [[number, number], [number, number]];
  const absorbable = consumers(layer).every((c) => isConv(c) && c.getConfig().padding === 'valid');
  const p = x.pads ?? [0, 0, 0, 0];
  const pads: [number, number, number, number] = [p[0] + t, p[1] + l, p[2] + b, p[3] + r];
  // Zero padding commutes with a pending scale, so both can stay pending.
  if (absorbable) return { ...x, shape, pads };
  return ex.ready({ ...x, pads }, layer.name);
};

const rescaling: Converter = (ex, { layer, cfg, shape, one }) => {
  const x = ex.ready(one(), layer.name, true);
  const scale = cfg.scale as number;
  const offset = cfg.offset as number;
  // x * s + o = (x + o/s) * s, and the factor s folds exactly into the weights of the convs
  // that follow (zero padding in between commutes with it): one Add instead of Mul + Add.
  const foldable =
    scale !== 0 && consumers(layer).every((c) => isConv(c) || (c.getClassName() === 'ZeroPadding2D' && consumers(c).every(isConv)));
  if (foldable) {
    if (offset === 0) return { ...x, shape, scale };
    const shift = ex.graph.floatTensor(`${layer.name}_shift`, new Float32Array([offset / scale]), []);
    const [name] = ex.graph.node(
      'Add',
      layer.name,
      [x.name, shift],
      [ex.out(layer)],
      {},
      `Rescaling x * ${scale} + ${offset} as x + ${offset / scale}; the factor ${scale} is folded into the next convolution`,
    );
    return { name, layout: x.layout, shape, scale };
  }
  const factor = ex.graph.floatTensor(`${layer.name}_scale`, new Float32Array([scale]), []);
  const shift = ex.graph.floatTensor(`${layer.name}_offset`, new Float32Array([offset]), []);
  const [scaled] = ex.graph.node('Mul', `${layer.name}_mul`, [x.name, factor], [ex.graph.unique(`${layer.name}_scaled`)]);
  const [name] = ex.graph.node('Add', layer.name, [scaled, shift], [ex.out(layer)], {}, `Rescaling: x * ${scale} + ${offset}`);
  return { name, layout: x.layout, shape };
};

const globalPooling: Converter = (ex, { layer, cls, cfg, shape, one }) => {
  const x = ex.ready(one(), layer.name);
  if (x.layout !== 'nchw') throw new OnnxExportError(`layer "${layer.name}" (${cls}) needs a 4-D input`);
  const op = cls === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool';
  if (cfg.keepdims) {
    const [name] = ex.graph.node(op, layer.name, [x.name], [ex.out(layer)]);
    return { name, layout: 'nchw', shape };
  }
  const [pooled] = ex.graph.node(op, `${layer.name}_pool`, [x.name], [ex.graph.unique(`${layer.name}_pooled`)]);
  const [name] = ex.graph.node('Flatten', layer.name, [pooled], [ex.out(layer)], { axis: int(1) });
  return { name, layout: 'flat', shape };
};

const elementwise: Converter = (ex, { layer, cls, shape, from }) => {
  const xs = from.every((v) => v.layout === 'vec') ? from : from.map((v) => ex.ready(v, layer.name));
  if (xs.some((v) => v.layout !== xs[0].layout || v.shape.length !== xs[0].shape.length)) {
    throw new OnnxExportError(`layer "${layer.name}" (${cls}) mixes inputs of different ranks`);
  }
  const op = cls === 'Add' ? 'Add' : 'Mul';
  let acc = xs[0].name;
  for (let i = 1; i < xs.length; i++) {
    const last = i === xs.length - 1;
    [acc] = ex.graph.node(
      op,
      last ? layer.name : `${layer.name}_${i}`,
      [acc, xs[i].name],
      [last ? ex.out(layer) : ex.graph.unique(`${layer.name}_${i}`)],
    );
  }
  return { name: acc, layout: xs[0].layout, shape };
};

/**
 * One converter per Keras layer class. A new layer type: add its entry here (and, for training,
 * its gradient in src/train/step/step-graph.ts; for the summary, its MACs in src/inspect/summary.ts).
 */
const CONVERTERS: Record<string, Converter> = {
  Conv2D: (ex, c) => ex.conv(c.layer, c.cfg, c.one()),
  DepthwiseConv2D: (ex, c) => ex.conv(c.layer, c.cfg, c.one()),
  Dense: (ex, c) => ex.dense(c.layer, c.cfg, c.one()),
  BatchNormalization: (ex, c) => ex.batchNorm(c.layer, c.cfg, c.one()),
  ZeroPadding2D: zeroPadding,
  Rescaling: rescaling,
  ReLU: (ex, c) => (c.cfg.maxValue == null ? c.unary('Relu') : ex.clip(c.layer, c.one(), 0, c.cfg.maxValue, c.shape)),
  Activation: (ex, c) => ex.activation(c.layer, c.cfg.activation, c.one(), c.shape, c.layer.name, true),
  HardSwish: (_ex, c) => c.unary('HardSwish', {}, 'x * relu6(x + 3) / 6'),
  HardSigmoid: (_ex, c) => c.unary('HardSigmoid', { alpha: float(1 / 6), beta: float(0.5) }, 'relu6(x + 3) / 6'),
  Dropout: identity,
  SpatialDropout2D: identity,
  GaussianDropout: identity,
  GaussianNoise: identity,
  GlobalAveragePooling2D: globalPooling,
  GlobalMaxPooling2D: globalPooling,
  Flatten: (ex, c) => ex.reshape(c.layer, c.one(), c.shape),
  Reshape: (ex, c) => ex.reshape(c.layer, c.one(), c.shape),
  Add: elementwise,
  Multiply: elementwise,
};

function valueInfo(name: string, shape: number[]): Record<string, unknown> {
  return {
    name,
    type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'batch' }, ...shape.map((d) => ({ dim_value: d }))] } } },
  };
}

/** How to feed the exported model, in words (for people reading the file; programs read the card). */
export function inputContract(model: tf.LayersModel): string {
  const shape = layerShape(model.inputLayers[0]);
  const card = readModelCard(model);
  const head = `float32 [batch, ${shape[0]}, ${shape[1]}, ${shape[2]}] NHWC RGB`;
  if (!card) return `${head}, as the TF.js model takes it`;
  const { scale, offset, mean, std, crop } = card.input;
  const fmt = (v: readonly number[]) => `[${v.map((x) => Number(x.toPrecision(6))).join(', ')}]`;
  const values =
    mean && std
      ? `(pixel / 255 - mean ${fmt(mean)}) / std ${fmt(std)}`
      : scale.every((x) => x === 1) && offset.every((x) => x === 0)
        ? 'pixels 0..255 (the graph rescales them itself)'
        : `pixel (0..255) * ${fmt(scale)} + ${fmt(offset)}`;
  return `${head}: ${values}; evaluated with ${crop === null ? 'no crop' : `centre crop ${Number(crop.toFixed(4))}`}, bilinear resize (card: ${CARD_KEY})`;
}

/**
 * Export a tf.LayersModel (built by this package, with its weights) to ONNX bytes; the model card
 * goes into metadata_props as JSON (`mobilenetv3.card`).
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { buildModel, exportOnnx, loadWeights } from 'mobilenetv3';
 * const model = buildModel({ arch: 'small' });
 * await loadWeights(model, 'imagenet');
 * await writeFile('small.onnx', exportOnnx(model));
 * ```
 */
export function exportOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  const exporter = new Exporter(model);
  const { inputs, outputs } = exporter.run();
  const meta = readMetadata(model);
  const props: Record<string, string> = {};
  if (meta) {
    const o = meta.options;
    Object.assign(props, {
      arch: o.arch,
      flavor: o.flavor,
      alpha: String(o.alpha),
      minimalistic: String(o.minimalistic),
      input_size: `${o.inputShape[0]}x${o.inputShape[1]}`,
      include_top: String(o.includeTop),
      classes: String(o.classes),
      padding: o.padding,
      options: JSON.stringify(o),
    });
  }
  props.input_layout = 'NHWC';
  props.preprocessing = inputContract(model);
  // The card, as JSON: what the classifier (and any other reader) takes its input contract and
  // labels from. Labels given here are the model's output names, so they go into the card too.
  const card = readModelCard(model);
  if (card) props[CARD_KEY] = JSON.stringify(options.labels ? { ...card, labels: [...options.labels] } : card);
  // Also as 0.1 wrote them, for readers that know only this key.
  const labels = options.labels ?? card?.labels;
  if (labels) props.labels = JSON.stringify(labels);
  Object.assign(props, options.metadata);
  return encodeModel({
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'mobilenetv3',
    producer_version: options.producerVersion ?? '0.1.0',
    model_version: 1,
    doc_string: `${model.name}: MobileNetV3 exported from TF.js by mobilenetv3. Input: ${props.preprocessing}.`,
    graph: {
      name: model.name,
      node: exporter.graph.nodes,
      initializer: exporter.graph.initializers,
      input: inputs,
      output: outputs,
    },
    metadata_props: Object.entries(props).map(([key, value]) => ({ key, value })),
  });
}
