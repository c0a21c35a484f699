/**
 * One training step of a built MobileNetV3 as one ONNX graph: the forward pass (batch norm with
 * batch statistics, or frozen), softmax cross-entropy, and the backward pass of every layer,
 * written as standard ONNX operators, so ONNX Runtime runs the whole step natively on every core
 * (onnxruntime-node) or in WebAssembly (onnxruntime-web). Like the exporter, it is a transform of
 * the built model: it walks `model.layers` and differentiates each layer by its class, so there is
 * no second description of the network.
 *
 * Layout: feature maps are [C, N, H*W] ("channels first, then the batch"). Then a 1x1 convolution,
 * the bulk of MobileNetV3's arithmetic, is one GEMM over the whole batch in both directions, batch
 * norm reduces over the last two axes (ONNX LayerNormalization over [C, N, HW] gives the batch mean
 * and inverse deviation in one fused pass), and a depthwise convolution is a grouped convolution of
 * the one image [1, C*N, H, W]; its filter gradient is a convolution with group C, whose N input
 * channels per group sum the batch for free.
 *
 * Blocked batch: with ONNX Runtime's NCHWc block size b dividing N, each channel's values are
 * stored as [N/b, H*W, b] (image n = nb * b + j innermost) instead of [N, H*W]. Per channel it is
 * the same set of values in another order, so GEMMs, batch norm and elementwise ops are unchanged;
 * [1, C*N, H, W] in this order is exactly ONNX Runtime's NCHWc layout of C*N channels, so the
 * depthwise convolutions use its NCHWc kernels (measured 2-5x faster than the grouped Conv for
 * these shapes, whose weights are graph inputs, so ORT's own NCHWc rewrite never applies), and
 * so does the depthwise filter gradient, with dY as the kernel. Pooling and gates view positions
 * on their own axis; only the model's input and a cut's NHWC input are reordered (once).
 *
 * Parameters come in as graph inputs in Keras's own layouts and their gradients go out in the
 * same layouts, so the optimiser and the tf.LayersModel share one set of arrays.
 */
import type * as tf from '../../runtime/tf.js';
import { float, int, ints, Ops } from './onnx-ops.js';
import { MapLayout } from './layout.js';
import { depthwiseFilterGrad, depthwiseInputGrad, type DepthwiseGeometry, type Pads } from './depthwise.js';
import { DataType, encodeModel } from '../../export/onnx/proto.js';
import { samePads } from '../../export/onnx/export.js';

export const STEP_OPSET = 17;

export type BatchNormMode = 'train' | 'frozen';

export interface StepGraphOptions {
  /** Batch size the graph is built for. */
  batch: number;
  /** The first layer trained; its input is the graph's input (default: the model's first layer). */
  fromLayer?: string;
  /** Batch norm with batch statistics ('train', Keras `training=True`) or with its moving statistics. */
  batchNorm: BatchNormMode;
  /**
   * ONNX Runtime's NCHWc block size on this machine (`nchwcBlockSize` in runner.ts; 8 or 16 on
   * x86), or 1 (default) for the plain layout. Used when it divides the batch: then the batch is
   * blocked (see the layout note above) and depthwise convolutions run on ONNX Runtime's
   * vectorised NCHWc kernels (com.microsoft.nchwc Conv).
   */
  block?: number;
}

/** A trainable weight: a graph input (its value) and a graph output (its gradient), Keras layout. */
export interface ParamSpec {
  readonly key: string;
  readonly layer: string;
  /** Index in `layer.weights`. */
  readonly index: number;
  readonly shape: number[];
  readonly input: string;
  readonly gradient: string;
  /** Decay applies to kernels only (not biases, not BN), as timm and torchvision recipes do. */
  readonly decay: boolean;
}

export interface BatchNormSpec {
  readonly layer: string;
  readonly channels: number;
  readonly momentum: number;
  readonly epsilon: number;
  /** 'train': outputs of the batch mean and inverse standard deviation ([C]). */
  readonly meanOutput?: string;
  readonly invStdOutput?: string;
  /** 'frozen': inputs of the moving mean and variance. */
  readonly meanInput?: string;
  readonly varianceInput?: string;
  /** Index of moving_mean / moving_variance in `layer.weights`. */
  readonly meanIndex: number;
  readonly varianceIndex: number;
}

export interface DropoutSpec {
  readonly layer: string;
  readonly rate: number;
  readonly input: string;
  /** [C, N, 1]: one keep/scale factor per feature and image. */
  readonly dims: number[];
}

export interface StepGraph {
  readonly bytes: Uint8Array;
  readonly batch: number;
  /** The batch block the graph was built with (1: plain layout). */
  readonly block: number;
  readonly input: { readonly name: string; readonly dims: number[] };
  readonly targets: { readonly name: string; readonly dims: number[] };
  readonly classes: number;
  readonly params: ParamSpec[];
  readonly batchNorms: BatchNormSpec[];
  readonly dropouts: DropoutSpec[];
  readonly outputs: { readonly loss: string; readonly logits: string };
}

export class StepGraphError extends Error {
  override name = 'StepGraphError';
}

/** A value of the forward pass. map: [C, N, H*W]; nhwc: the raw input [N, H, W, C]. */
interface V {
  name: string;
  kind: 'map' | 'nhwc';
  c: number;
  h: number;
  w: number;
  /** Zero padding [top, left, bottom, right] pending for the next "valid" convolution. */
  pads?: Pads;
  /** Whether the loss depends on it through a parameter (its gradient is needed). */
  grad: boolean;
}

type Config = Record<string, any>;

const pair = (v: number | number[]): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v, v]);

function inboundLayers(layer: tf.layers.Layer): tf.layers.Layer[] {
  const nodes = (layer as any).inboundNodes as { inboundLayers: tf.layers.Layer[] }[];
  return nodes.length ? nodes[0].inboundLayers : [];
}

function shortName(layer: tf.layers.Layer, index: number): string {
  return layer.weights[index].originalName.split('/').pop() as string;
}

function weightIndex(layer: tf.layers.Layer, name: string): number {
  return layer.weights.findIndex((_, i) => shortName(layer, i) === name);
}

function tensorInfo(name: string, dims: readonly number[]): Record<string, unknown> {
  return { name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } };
}

class Builder {
  readonly o = new Ops();
  readonly inputs: Record<string, unknown>[] = [];
  readonly outputs: Record<string, unknown>[] = [];
  readonly params: ParamSpec[] = [];
  readonly batchNorms: BatchNormSpec[] = [];
  readonly dropouts: DropoutSpec[] = [];
  private readonly tape: { out: V; backward: (dy: string) => void }[] = [];
  /** Gradient contributions per value name; `full` is false for a broadcast [C, N, 1] term. */
  private readonly contributions = new Map<string, { name: string; full: boolean }[]>();
  private readonly paramGrads = new Map<string, string[]>();
  private readonly values = new Map<string, V>();
  readonly n: number;
  /** Where a map's values lie (plain or batch-blocked), and the ops that depend on it. */
  readonly l: MapLayout;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly options: StepGraphOptions,
  ) {
    this.n = options.batch;
    this.l = new MapLayout(this.o, this.n, options.block ?? 1);
  }

  // ---- plumbing ----

  private input(name: string, dims: number[]): string {
    const n = this.o.graph.reserve(name);
    this.inputs.push(tensorInfo(n, dims));
    return n;
  }

  private output(name: string, dims: number[] | null): void {
    this.outputs.push(dims ? tensorInfo(name, dims) : { name });
  }

  private param(layer: tf.layers.Layer, short: string): string {
    const index = weightIndex(layer, short);
    if (index < 0) throw new StepGraphError(`layer "${layer.name}" has no weight "${short}"`);
    const key = `${layer.name}/${short}`;
    const existing = this.params.find((p) => p.key === key);
    if (existing) return existing.input;
    const shape = layer.weights[index].shape as number[];
    const input = this.input(`param:${key}`, shape);
    this.params.push({
      key,
      layer: layer.name,
      index,
      shape,
      input,
      gradient: `grad:${key}`,
      decay: short === 'kernel' || short === 'depthwise_kernel',
    });
    return input;
  }

  private addParamGrad(input: string, grad: string): void {
    const list = this.paramGrads.get(input) ?? [];
    list.push(grad);
    this.paramGrads.set(input, list);
  }

  private contribute(v: V, grad: string, full = true): void {
    if (!v.grad) return;
    const list = this.contributions.get(v.name) ?? [];
    list.push({ name: grad, full });
    this.contributions.set(v.name, list);
  }

  private gradOf(v: V): string | undefined {
    const list = this.contributions.get(v.name);
    if (!list?.length) return undefined;
    const full = list.filter((t) => t.full).map((t) => t.name);
    const pooled = list.filter((t) => !t.full).map((t) => t.name);
    const hw = v.h * v.w;
    if (!pooled.length) return this.o.sum(full);
    // A pooled term [C, N, 1] broadcasts over the positions axis of the map's own layout.
    const spread = this.l.spatial(this.o.sum(pooled), v.c, 1);
    if (!full.length) return this.l.flat(this.o.op('Expand', [spread, this.o.i64(this.l.spatialDims(v.c, hw))]), v.c, hw);
    return this.l.flat(this.o.add(this.l.spatial(this.o.sum(full), v.c, hw), spread), v.c, hw);
  }

  private record(out: V, backward: (dy: string) => void): V {
    if (out.grad) this.tape.push({ out, backward });
    return out;
  }

  private map(name: string, c: number, h: number, w: number, grad: boolean): V {
    return { name, kind: 'map', c, h, w, grad };
  }

  // ---- the walk ----

  run(): V {
    const layers = this.model.layers;
    const start = this.options.fromLayer ? layers.findIndex((l) => l.name === this.options.fromLayer) : 0;
    if (start < 0) throw new StepGraphError(`no layer "${this.options.fromLayer}" in the model`);
    let last: V | undefined;
    for (let i = start; i < layers.length; i++) {
      const layer = layers[i];
      if (layer.getClassName() === 'InputLayer') {
        const [, h, w, c] = layer.outputShape as number[];
        const name = this.input('input', [this.n, h, w, c]);
        last = { name, kind: 'nhwc', c, h, w, grad: false };
        this.values.set(layer.name, last);
        continue;
      }
      const from = inboundLayers(layer).map((l) => this.valueOf(l, i === start));
      last = this.layer(layer, from);
      this.values.set(layer.name, last);
    }
    if (!last) throw new StepGraphError('nothing to train');
    return last;
  }

  /** The value of an inbound layer; the first trained layer's input becomes the graph's input. */
  private valueOf(layer: tf.layers.Layer, first: boolean): V {
    const known = this.values.get(layer.name);
    if (known) return known;
    if (!first && this.values.size > 0)
      throw new StepGraphError(`layer "${layer.name}" is used by the trained part but lies before the cut`);
    const [, h, w, c] = layer.outputShape as number[];
    const raw = this.input('input', [this.n, h, w, c]);
    const name = this.l.fromNhwc(raw, c, h, w);
    const v = this.map(name, c, h, w, false);
    this.values.set(layer.name, v);
    return v;
  }

  private layer(layer: tf.layers.Layer, from: V[]): V {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Config;
    const one = (): V => {
      if (from.length !== 1) throw new StepGraphError(`layer "${layer.name}" (${cls}) expects one input, has ${from.length}`);
      return from[0];
    };
    switch (cls) {
      case 'Rescaling':
        return this.rescaling(one(), cfg.scale as number, cfg.offset as number);
      case 'ZeroPadding2D': {
        const x = one();
        const [[t, b], [l, r]] = cfg.padding as [[number, number], [number, number]];
        const p = x.pads ?? [0, 0, 0, 0];
        return { ...x, pads: [p[0] + t, p[1] + l, p[2] + b, p[3] + r] };
      }
      case 'Conv2D':
        return this.activation(layer, cfg.activation ?? 'linear', this.conv(layer, cfg, one()));
      case 'DepthwiseConv2D':
        return this.activation(layer, cfg.activation ?? 'linear', this.depthwise(layer, cfg, one()));
      case 'Dense': {
        const x = one();
        if (x.h !== 1 || x.w !== 1) throw new StepGraphError(`layer "${layer.name}" (Dense) needs a pooled input`);
        return this.activation(
          layer,
          cfg.activation ?? 'linear',
          this.pointwise(layer, x, this.param(layer, 'kernel'), cfg.useBias ? this.param(layer, 'bias') : undefined, cfg.units as number),
        );
      }
      case 'BatchNormalization':
        return this.batchNorm(layer, cfg, one());
      case 'ReLU':
        return cfg.maxValue == null ? this.relu(one()) : this.relu6(one(), cfg.maxValue as number);
      case 'Activation':
        return this.activation(layer, cfg.activation as string, one());
      case 'HardSwish':
        return this.hardSwish(one());
      case 'HardSigmoid':
        return this.hardSigmoidLayer(one());
      case 'GlobalAveragePooling2D':
        return this.averagePool(one());
      case 'Flatten':
      case 'Reshape': {
        const x = one();
        if (x.h !== 1 || x.w !== 1) throw new StepGraphError(`layer "${layer.name}" (${cls}) is only supported on pooled values`);
        return x;
      }
      case 'Dropout':
        return this.dropout(layer, cfg.rate as number, one());
      case 'Add':
        return this.addLayer(from);
      case 'Multiply':
        return this.multiply(layer, from);
      default:
        throw new StepGraphError(`cannot train layer "${layer.name}": no gradient for ${cls}`);
    }
  }

  // ---- layers ----

  private rescaling(x: V, scale: number, offset: number): V {
    if (x.grad) throw new StepGraphError('Rescaling is only supported on the model input');
    const name = this.o.add(this.o.mul(x.name, this.o.scalar(scale)), this.o.scalar(offset));
    return { ...x, name };
  }

  /** y = W^T x (+ b) over [I, N*HW]: 1x1 convolutions and Dense layers alike. Kernel [1,1,I,O] or [I,O]. */
  private pointwise(layer: tf.layers.Layer, x: V, kernel: string, bias: string | undefined, out: number): V {
    if (x.kind !== 'map' || x.pads) throw new StepGraphError(`layer "${layer.name}": a 1x1 convolution needs an unpadded feature map`);
    const p = this.n * x.h * x.w;
    const w2 = this.o.reshape(kernel, [x.c, out]);
    const x2 = this.o.reshape(x.name, [x.c, p]);
    let y2 = this.o.gemm(w2, x2, true, false);
    if (bias) y2 = this.o.add(y2, this.o.reshape(bias, [out, 1]));
    const y = this.map(this.o.reshape(y2, [out, this.n, x.h * x.w]), out, x.h, x.w, true);
    const kernelShape = this.params.find((q) => q.input === kernel)!.shape;
    return this.record(y, (dy) => {
      const dy2 = this.o.reshape(dy, [out, p]);
      this.addParamGrad(kernel, this.o.reshape(this.o.gemm(x2, dy2, false, true), kernelShape));
      if (bias) this.addParamGrad(bias, this.o.reduceSum(dy2, [1], false));
      if (x.grad) this.contribute(x, this.o.reshape(this.o.gemm(w2, dy2), [x.c, this.n, x.h * x.w]));
    });
  }

  private convPads(layer: tf.layers.Layer, cfg: Config, x: V, kh: number, kw: number, sh: number, sw: number): Pads {
    if (cfg.padding === 'same') {
      if (x.pads) throw new StepGraphError(`layer "${layer.name}": zero padding before a "same" convolution is not supported`);
      const [t, b] = samePads(x.h, kh, sh);
      const [l, r] = samePads(x.w, kw, sw);
      return [t, l, b, r];
    }
    if (cfg.padding !== 'valid') throw new StepGraphError(`layer "${layer.name}": padding "${cfg.padding}" is not supported`);
    return x.pads ?? [0, 0, 0, 0];
  }

  private conv(layer: tf.layers.Layer, cfg: Config, x: V): V {
    const kernel = this.param(layer, 'kernel');
    const bias = cfg.useBias ? this.param(layer, 'bias') : undefined;
    const [kh, kw] = pair(cfg.kernelSize);
    const [sh, sw] = pair(cfg.strides);
    const [dh, dw] = pair(cfg.dilationRate ?? 1);
    if (dh !== 1 || dw !== 1) throw new StepGraphError(`layer "${layer.name}": dilated convolutions are not supported`);
    const filters = cfg.filters as number;
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && x.kind === 'map' && !x.pads) return this.pointwise(layer, x, kernel, bias, filters);
    if (x.grad) throw new StepGraphError(`layer "${layer.name}": a ${kh}x${kw} convolution inside the trained part is not supported`);
    const pads = this.convPads(layer, cfg, x, kh, kw, sh, sw);
    const ho = Math.floor((x.h + pads[0] + pads[2] - kh) / sh) + 1;
    const wo = Math.floor((x.w + pads[1] + pads[3] - kw) / sw) + 1;
    // Blocked, the stem as GEMMs (below). Plain, ONNX's Conv (the torchvision fixtures' batch of 4
    // is plain: kept as the graph they were first matched with, since every reordering of a sum
    // moves float rounding, and a ReLU mask can flip at the fixtures' 1e-4 tolerance).
    if (x.kind === 'nhwc' && this.l.b > 1) return this.stemConv(x, { kernel, bias, filters, kh, kw, sh, sw, ho, wo, pads });
    const nchw =
      x.kind === 'nhwc'
        ? this.o.transpose(x.name, [0, 3, 1, 2])
        : this.o.transpose(this.l.plainImages(x.name, x.c, x.h, x.w), [1, 0, 2, 3]);
    const weight = this.o.transpose(kernel, [3, 2, 0, 1]); // [kh, kw, I, O] -> [O, I, kh, kw]
    const yn = this.o.op('Conv', bias ? [nchw, weight, bias] : [nchw, weight], {
      kernel_shape: ints([kh, kw]),
      strides: ints([sh, sw]),
      pads: ints(pads),
    });
    const y = this.map(this.l.fromNchw(yn, filters, ho, wo), filters, ho, wo, true);
    return this.record(y, (dy) => {
      // dW[o, i, ky, kx] = sum over n, y, x of dY[o, n, y, x] * X[n, i, y*s + ky, x*s + kx]: a
      // convolution of the input seen as I images of N channels with dY as O kernels of N
      // channels, dilated by the stride.
      const images = x.kind === 'nhwc' ? this.o.transpose(x.name, [3, 0, 1, 2]) : this.l.plainImages(x.name, x.c, x.h, x.w);
      const dyk = this.l.plainImages(dy, filters, ho, wo);
      const full = this.o.op('Conv', [images, dyk], { strides: ints([1, 1]), dilations: ints([sh, sw]), pads: ints(pads) });
      const dW = this.o.slice(full, [0, 0], [kh, kw], [2, 3]); // [I, O, kh, kw]
      this.addParamGrad(kernel, this.o.transpose(dW, [2, 3, 0, 1]));
      if (bias) this.addParamGrad(bias, this.o.reduceSum(dy, [1, 2], false));
    });
  }

  /**
   * A convolution of the model's input (the stem) as GEMMs over its patches (the kh*kw strided
   * slices of the padded input), columns in the map's own order: then y = W^T patches is already a
   * map, with no reordering of the widest activation of the network, and dW = patches dY^T.
   */
  private stemConv(
    x: V,
    // The window geometry of a depthwise layer, with the stem's output filters for its channels.
    s: Omit<DepthwiseGeometry, 'c'> & { kernel: string; bias?: string; filters: number },
  ): V {
    const { kernel, bias, filters, kh, kw, sh, sw, ho, wo, pads } = s;
    const i = x.c;
    const images = this.o.transpose(this.o.reshape(x.name, [this.l.nb, this.l.b, x.h, x.w, i]), [4, 0, 2, 3, 1]); // [I, N/b, H, W, b]
    const padded = this.o.op('Pad', [images, this.o.i64([0, 0, pads[0], pads[1], 0, 0, 0, pads[2], pads[3], 0])]);
    const slices: string[] = [];
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        slices.push(
          this.o.op('Slice', [
            padded,
            this.o.i64([ky, kx]),
            this.o.i64([ky + sh * (ho - 1) + 1, kx + sw * (wo - 1) + 1]),
            this.o.i64([2, 3]),
            this.o.i64([sh, sw]),
          ]),
        );
      }
    }
    const p = this.n * ho * wo;
    // Rows (i, ky, kx), the order of ONNX Runtime's own im2col, so the forward sums in its order.
    const patches = this.o.reshape(
      this.o.op(
        'Concat',
        slices.map((sl) => this.o.reshape(sl, [i, 1, p])),
        { axis: int(1) },
      ),
      [i * kh * kw, p],
    );
    const w2 = this.o.reshape(this.o.transpose(kernel, [2, 0, 1, 3]), [i * kh * kw, filters]); // [kh, kw, I, O] -> [I, kh, kw, O]
    let y2 = this.o.gemm(w2, patches, true, false);
    if (bias) y2 = this.o.add(y2, this.o.reshape(bias, [filters, 1]));
    const y = this.map(this.o.reshape(y2, [filters, this.n, ho * wo]), filters, ho, wo, true);
    return this.record(y, (dy) => {
      const dW = this.o.reshape(this.o.gemm(patches, this.o.reshape(dy, [filters, p]), false, true), [i, kh, kw, filters]);
      this.addParamGrad(kernel, this.o.transpose(dW, [1, 2, 0, 3]));
      if (bias) this.addParamGrad(bias, this.o.reduceSum(dy, [1, 2], false));
    });
  }

  private depthwise(layer: tf.layers.Layer, cfg: Config, x: V): V {
    if (x.kind !== 'map') throw new StepGraphError(`layer "${layer.name}": a depthwise convolution needs a feature map`);
    if ((cfg.depthMultiplier ?? 1) !== 1)
      throw new StepGraphError(`layer "${layer.name}": depth multiplier ${cfg.depthMultiplier} is not supported`);
    const kernel = this.param(layer, 'depthwise_kernel');
    const bias = cfg.useBias ? this.param(layer, 'bias') : undefined;
    const [kh, kw] = pair(cfg.kernelSize);
    const [sh, sw] = pair(cfg.strides);
    const pads = this.convPads(layer, cfg, x, kh, kw, sh, sw);
    const ho = Math.floor((x.h + pads[0] + pads[2] - kh) / sh) + 1;
    const wo = Math.floor((x.w + pads[1] + pads[3] - kw) / sw) + 1;
    const c = x.c;
    const cn = c * this.n;
    // [C, N, H*W] is, value for value, the one image [1, C*N, H, W] of C*N planes, each with its
    // channel's filter.
    const image = this.o.reshape(x.name, [1, cn, x.h, x.w]);
    const filters = this.o.transpose(kernel, [2, 3, 0, 1]); // [kh, kw, C, 1] -> [C, 1, kh, kw]
    const y4 = this.l.planeConv(
      image,
      this.l.planeFilters(filters, c, kh, kw),
      { kernel_shape: ints([kh, kw]), strides: ints([sh, sw]), pads: ints(pads) },
      cn,
    );
    let yname = this.o.reshape(y4, [c, this.n, ho * wo]);
    if (bias) yname = this.o.add(yname, this.o.reshape(bias, [c, 1, 1]));
    const y = this.map(yname, c, ho, wo, true);
    const geometry: DepthwiseGeometry = { c, kh, kw, sh, sw, ho, wo, pads };
    return this.record(y, (dy) => {
      this.addParamGrad(kernel, depthwiseFilterGrad(this.o, this.l, x, dy, geometry));
      if (bias) this.addParamGrad(bias, this.o.reduceSum(dy, [1, 2], false));
      if (x.grad) this.contribute(x, depthwiseInputGrad(this.o, this.l, x, dy, filters, geometry));
    });
  }

  private batchNorm(layer: tf.layers.Layer, cfg: Config, x: V): V {
    if (x.kind !== 'map') throw new StepGraphError(`layer "${layer.name}": batch norm needs a feature map`);
    const axis = cfg.axis;
    if (!(axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3)))) {
      throw new StepGraphError(`layer "${layer.name}": only channels-last batch norm is supported`);
    }
    if (cfg.center === false || cfg.scale === false)
      throw new StepGraphError(`layer "${layer.name}": batch norm without centre or scale is not supported`);
    const c = x.c;
    const m = this.n * x.h * x.w;
    const gamma = this.o.reshape(this.param(layer, 'gamma'), [c, 1, 1]);
    const beta = this.o.reshape(this.param(layer, 'beta'), [c, 1, 1]);
    const gammaIn = this.params.find((p) => p.key === `${layer.name}/gamma`)!.input;
    const betaIn = this.params.find((p) => p.key === `${layer.name}/beta`)!.input;
    const epsilon = cfg.epsilon as number;
    const spec = {
      layer: layer.name,
      channels: c,
      momentum: cfg.momentum as number,
      epsilon,
      meanIndex: weightIndex(layer, 'moving_mean'),
      varianceIndex: weightIndex(layer, 'moving_variance'),
    };
    if (this.options.batchNorm === 'train') {
      const ones = this.o.floats(`${layer.name}_ones`, new Float32Array(m).fill(1), [this.n, x.h * x.w]);
      const [xhat, mean, invStd] = this.o.opN(
        'LayerNormalization',
        [x.name, ones],
        3,
        { axis: int(1), epsilon: float(epsilon), stash_type: int(1) },
        `${layer.name}_stats`,
      );
      const meanOutput = `bn_mean:${layer.name}`;
      const invStdOutput = `bn_inv_std:${layer.name}`;
      this.o.graph.node('Reshape', `${layer.name}_mean_out`, [mean, this.o.i64([c])], [this.o.graph.reserve(meanOutput)]);
      this.o.graph.node('Reshape', `${layer.name}_inv_std_out`, [invStd, this.o.i64([c])], [this.o.graph.reserve(invStdOutput)]);
      this.output(meanOutput, [c]);
      this.output(invStdOutput, [c]);
      this.batchNorms.push({ ...spec, meanOutput, invStdOutput });
      const y = this.map(this.o.add(this.o.mul(xhat, gamma), beta), c, x.h, x.w, true);
      return this.record(y, (dy) => {
        const dbeta = this.o.reduceSum(dy, [1, 2]);
        const dgamma = this.o.reduceSum(this.o.mul(dy, xhat), [1, 2]);
        this.addParamGrad(betaIn, this.o.reshape(dbeta, [c]));
        this.addParamGrad(gammaIn, this.o.reshape(dgamma, [c]));
        if (!x.grad) return;
        // dx = gamma * inv / M * (M dy - sum(dy) - xhat * sum(dy * xhat))
        const a = this.o.mul(gamma, invStd);
        const centred = this.o.sub(this.o.sub(dy, this.o.mul(xhat, this.o.scale(dgamma, 1 / m))), this.o.scale(dbeta, 1 / m));
        this.contribute(x, this.o.mul(centred, a));
      });
    }
    const meanInput = this.input(`bn_mean:${layer.name}`, [c]);
    const varianceInput = this.input(`bn_var:${layer.name}`, [c]);
    this.batchNorms.push({ ...spec, meanInput, varianceInput });
    const mean = this.o.reshape(meanInput, [c, 1, 1]);
    const invStd = this.o.op('Reciprocal', [
      this.o.op('Sqrt', [this.o.add(this.o.reshape(varianceInput, [c, 1, 1]), this.o.scalar(epsilon))]),
    ]);
    const scale = this.o.mul(gamma, invStd);
    const shift = this.o.sub(beta, this.o.mul(mean, scale));
    const y = this.map(this.o.add(this.o.mul(x.name, scale), shift), c, x.h, x.w, true);
    return this.record(y, (dy) => {
      const dbeta = this.o.reduceSum(dy, [1, 2]);
      // sum(dy * xhat) = inv * (sum(dy * x) - mean * sum(dy))
      const dgamma = this.o.mul(this.o.sub(this.o.reduceSum(this.o.mul(dy, x.name), [1, 2]), this.o.mul(mean, dbeta)), invStd);
      this.addParamGrad(betaIn, this.o.reshape(dbeta, [c]));
      this.addParamGrad(gammaIn, this.o.reshape(dgamma, [c]));
      if (x.grad) this.contribute(x, this.o.mul(dy, scale));
    });
  }

  private activation(layer: tf.layers.Layer, activation: string, x: V): V {
    switch (activation) {
      case 'linear':
      case 'softmax': // the loss takes the logits; a softmax can only close the network
        return x;
      case 'relu':
        return this.relu(x);
      case 'relu6':
        return this.relu6(x, 6);
      case 'hard_swish':
        return this.hardSwish(x);
      default:
        throw new StepGraphError(`cannot train layer "${layer.name}": no gradient for the activation "${activation}"`);
    }
  }

  private relu(x: V): V {
    const y = { ...x, name: this.o.op('Relu', [x.name]), grad: x.grad };
    return this.record(y, (dy) => this.contribute(x, this.o.mul(dy, this.o.sign(y.name))));
  }

  private relu6(x: V, max: number): V {
    const y = { ...x, name: this.o.clip(x.name, 0, max), grad: x.grad };
    // 1 inside (0, max), 0 at the clipped ends: sign(y * (max - y)).
    return this.record(y, (dy) =>
      this.contribute(x, this.o.mul(dy, this.o.sign(this.o.mul(y.name, this.o.sub(this.o.scalar(max), y.name))))),
    );
  }

  private hardSwish(x: V): V {
    const y = { ...x, name: this.o.op('HardSwish', [x.name]), grad: x.grad };
    return this.record(y, (dy) => {
      // d/dx x * h(x) = h(x) + x/6 inside (-3, 3), where 0 < h < 1 (h(x) - 1/2 = x/6 there).
      const h = this.o.hardSigmoid(x.name);
      const inside = this.o.sign(this.o.mul(h, this.o.sub(this.o.scalar(1), h)));
      const slope = this.o.add(h, this.o.mul(inside, this.o.sub(h, this.o.scalar(0.5))));
      this.contribute(x, this.o.mul(dy, slope));
    });
  }

  private hardSigmoidLayer(x: V): V {
    const y = { ...x, name: this.o.hardSigmoid(x.name), grad: x.grad };
    return this.record(y, (dy) => {
      const inside = this.o.sign(this.o.mul(y.name, this.o.sub(this.o.scalar(1), y.name)));
      this.contribute(x, this.o.mul(dy, this.o.scale(inside, 1 / 6)));
    });
  }

  private averagePool(x: V): V {
    if (x.kind !== 'map' || x.pads) throw new StepGraphError('global pooling needs an unpadded feature map');
    const hw = x.h * x.w;
    const y = this.map(this.l.flat(this.o.reduceMean(this.l.spatial(x.name, x.c, hw), [2]), x.c, 1), x.c, 1, 1, x.grad);
    return this.record(y, (dy) => this.contribute(x, this.o.scale(dy, 1 / hw), false));
  }

  private dropout(layer: tf.layers.Layer, rate: number, x: V): V {
    if (rate <= 0) return x;
    if (x.h !== 1 || x.w !== 1) throw new StepGraphError(`layer "${layer.name}": dropout is only supported on pooled values`);
    const dims = [x.c, this.n, 1];
    const mask = this.input(`dropout:${layer.name}`, dims);
    this.dropouts.push({ layer: layer.name, rate, input: mask, dims });
    const y = { ...x, name: this.o.mul(x.name, mask) };
    return this.record(y, (dy) => this.contribute(x, this.o.mul(dy, mask)));
  }

  private addLayer(from: V[]): V {
    const name = from.slice(1).reduce((acc, v) => this.o.add(acc, v.name), from[0].name);
    const y: V = { ...from[0], name, pads: undefined, grad: from.some((v) => v.grad) };
    return this.record(y, (dy) => from.forEach((v) => this.contribute(v, dy)));
  }

  private multiply(layer: tf.layers.Layer, from: V[]): V {
    if (from.length !== 2) throw new StepGraphError(`layer "${layer.name}": Multiply of ${from.length} inputs is not supported`);
    const [a, b] = from;
    const big = a.h * a.w >= b.h * b.w ? a : b;
    const hw = big.h * big.w;
    // Positions on their own axis, so a pooled gate [C, N, 1] broadcasts over them in either layout.
    const times = (p: string, q: V) => this.o.mul(this.l.spatial(p, big.c, hw), this.l.spatial(q.name, q.c, q.h * q.w));
    const y: V = { ...big, name: this.l.flat(times(big.name, big === a ? b : a), big.c, hw), pads: undefined, grad: a.grad || b.grad };
    return this.record(y, (dy) => {
      for (const [self, other] of [
        [a, b],
        [b, a],
      ] as const) {
        if (!self.grad) continue;
        const g = times(dy, other);
        // A pooled gate times a map: its gradient sums over the map's positions.
        const pooled = self.h * self.w === 1 && hw > 1;
        this.contribute(self, pooled ? this.l.flat(this.o.reduceSum(g, [2]), self.c, 1) : this.l.flat(g, self.c, hw));
      }
    });
  }

  // ---- loss and backward ----

  finish(logits: V): { targets: string; loss: string; logitsOut: string; classes: number } {
    if (logits.h !== 1 || logits.w !== 1) throw new StepGraphError('the model must end in class scores');
    const k = logits.c;
    const n = this.n;
    const targets = this.input('targets', [n, k]);
    const scores = this.o.transpose(this.o.reshape(logits.name, [k, n]), [1, 0]); // [N, K]
    const logitsOut = 'logits';
    this.o.graph.node('Identity', 'logits_out', [scores], [this.o.graph.reserve(logitsOut)]);
    this.output(logitsOut, [n, k]);
    const logp = this.o.op('LogSoftmax', [scores], { axis: int(1) });
    const loss = 'loss';
    const total = this.o.reduceSum(this.o.mul(targets, logp), [0, 1], false);
    this.o.graph.node('Mul', 'loss_out', [total, this.o.scalar(-1 / n)], [this.o.graph.reserve(loss)]);
    this.output(loss, []);
    // d loss / d logits = (softmax - targets) / N, for targets that sum to 1 per row.
    const dscores = this.o.scale(this.o.sub(this.o.op('Exp', [logp]), targets), 1 / n);
    this.contribute(logits, this.o.reshape(this.o.transpose(dscores, [1, 0]), [k, n, 1]));
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const { out, backward } = this.tape[i];
      const dy = this.gradOf(out);
      if (dy) backward(dy);
    }
    for (const p of this.params) {
      const terms = this.paramGrads.get(p.input);
      const g = terms?.length ? this.o.sum(terms) : this.o.op('Expand', [this.o.scalar(0), this.o.i64(p.shape)]);
      this.o.graph.node('Identity', `${p.key}_grad_out`, [g], [this.o.graph.reserve(p.gradient)]);
      this.output(p.gradient, p.shape);
    }
    return { targets, loss, logitsOut, classes: k };
  }
}

/** The training step of `model` (from `options.fromLayer` on) as an ONNX model. */
export function buildStepGraph(model: tf.LayersModel, options: StepGraphOptions): StepGraph {
  if (!Number.isInteger(options.batch) || options.batch < 1)
    throw new StepGraphError(`batch must be a positive whole number, got ${options.batch}`);
  const b = new Builder(model, options);
  const last = b.run();
  const { targets, loss, logitsOut, classes } = b.finish(last);
  const inputInfo = b.inputs.find((i) => (i as { name: string }).name === 'input') as { name: string; type: any };
  const dims = (inputInfo.type.tensor_type.shape.dim as { dim_value: number }[]).map((d) => d.dim_value);
  const graph = {
    name: `${model.name}_train_step`,
    node: b.o.graph.nodes,
    initializer: b.o.graph.initializers,
    input: b.inputs,
    output: b.outputs,
  };
  const bytes = encodeModel({
    ir_version: 8,
    opset_import: [{ domain: '', version: STEP_OPSET }, ...[...b.o.domains].map((domain) => ({ domain, version: 1 }))],
    producer_name: 'mobilenetv3',
    doc_string: `one training step of ${model.name}: forward (batch norm ${options.batchNorm === 'train' ? 'with batch statistics' : 'frozen'}), softmax cross-entropy, backward`,
    graph,
  });
  return {
    bytes,
    batch: options.batch,
    block: b.l.b,
    input: { name: 'input', dims },
    targets: { name: targets, dims: [options.batch, classes] },
    classes,
    params: b.params,
    batchNorms: b.batchNorms,
    dropouts: b.dropouts,
    outputs: { loss, logits: logitsOut },
  };
}
