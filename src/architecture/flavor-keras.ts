/**
 * The `keras` flavour: layer for layer what `keras.applications.MobileNetV3Large/Small` builds,
 * with Keras 3 layer names (conv, conv_bn, expanded_conv_3_expand, ..., predictions).
 */
import * as tf from '../runtime/tf.js';
import { padStride2, type BuildContext, type FlavorLayers, type Sym } from './build-context.js';
import { GlobalAveragePooling2D, HardSigmoid, HardSwish } from './layers.js';
import type { Activation, ResolvedBlock } from './resolve.js';

const BN = { axis: -1, epsilon: 1e-3, momentum: 0.999 } as const;

function activate(ctx: BuildContext, x: Sym, act: Activation): Sym {
  if (act === 'hswish') return ctx.add(new HardSwish({ name: ctx.autoName('activation') }), x);
  if (act === 'relu6') return ctx.add(tf.layers.reLU({ maxValue: 6, name: ctx.autoName('re_lu') }), x);
  return ctx.add(tf.layers.reLU({ name: ctx.autoName('re_lu') }), x);
}

function conv1x1(ctx: BuildContext, x: Sym, filters: number, name: string, useBias: boolean): Sym {
  return ctx.add(tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias, name }), x);
}

function batchNorm(ctx: BuildContext, x: Sym, name: string): Sym {
  return ctx.add(tf.layers.batchNormalization({ ...BN, name }), x);
}

function squeezeExcite(ctx: BuildContext, x: Sym, block: ResolvedBlock, prefix: string): Sym {
  const p = `${prefix}squeeze_excite_`;
  let s = ctx.add(new GlobalAveragePooling2D({ keepdims: true, name: `${p}avg_pool` }), x);
  s = conv1x1(ctx, s, block.seChannels as number, `${p}conv`, true);
  s = ctx.add(tf.layers.reLU({ name: `${p}relu` }), s);
  s = conv1x1(ctx, s, block.hiddenChannels, `${p}conv_1`, true);
  s = ctx.add(new HardSigmoid({ name: ctx.autoName('hard_sigmoid') }), s);
  return ctx.add(tf.layers.multiply({ name: `${p}mul` }), [x, s]);
}

export const kerasFlavor: FlavorLayers = {
  inputName: 'input_layer',

  preprocess(ctx, x) {
    if (!ctx.options.includePreprocessing) return x;
    return ctx.add(tf.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: 'rescaling' }), x);
  },

  stem(ctx, x, arch) {
    const { kernel, stride, outChannels } = arch.stem;
    ctx.begin({ id: 'stem', kind: 'stem', kernel, stride, out: outChannels, activation: arch.stem.activation });
    // Keras pads its stem "same" (only the depthwise convs get correct_pad); symmetric pads every stride 2.
    const padded = padStride2(ctx, x, kernel, stride, 'conv_pad');
    x = ctx.add(
      tf.layers.conv2d({
        filters: outChannels,
        kernelSize: kernel,
        strides: stride,
        padding: padded.padding,
        useBias: false,
        name: 'conv',
      }),
      padded.x,
    );
    x = batchNorm(ctx, x, 'conv_bn');
    return activate(ctx, x, arch.stem.activation);
  },

  bneck(ctx, x, b) {
    const prefix = b.index === 0 ? 'expanded_conv_' : `expanded_conv_${b.index}_`;
    ctx.beginBneck(prefix.slice(0, -1), b);
    const shortcut = x;
    if (b.expandChannels !== null) {
      x = conv1x1(ctx, x, b.expandChannels, `${prefix}expand`, false);
      x = batchNorm(ctx, x, `${prefix}expand_bn`);
      x = activate(ctx, x, b.activation);
    }
    // Keras's correct_pad: every stride-2 depthwise conv pads explicitly, in either convention.
    const padded = padStride2(ctx, x, b.kernel, b.stride, `${prefix}depthwise_pad`, true);
    x = ctx.add(
      tf.layers.depthwiseConv2d({
        kernelSize: b.kernel,
        strides: b.stride,
        padding: padded.padding,
        useBias: false,
        name: `${prefix}depthwise`,
      }),
      padded.x,
    );
    x = batchNorm(ctx, x, `${prefix}depthwise_bn`);
    x = activate(ctx, x, b.activation);
    if (b.seChannels !== null) x = squeezeExcite(ctx, x, b, prefix);
    x = conv1x1(ctx, x, b.outChannels, `${prefix}project`, false);
    x = batchNorm(ctx, x, `${prefix}project_bn`);
    if (b.residual) x = ctx.add(tf.layers.add({ name: `${prefix}add` }), [shortcut, x]);
    return x;
  },

  head(ctx, x, arch) {
    ctx.begin({ id: 'head', kind: 'head', kernel: 1, stride: 1, out: arch.headConv.channels, activation: arch.headConv.activation });
    x = conv1x1(ctx, x, arch.headConv.channels, 'conv_1', false);
    x = batchNorm(ctx, x, 'conv_1_bn');
    return activate(ctx, x, arch.headConv.activation);
  },

  top(ctx, x, arch) {
    const o = ctx.options;
    ctx.begin({ id: 'classifier', kind: 'classifier', kernel: 1, stride: 1, out: o.classes, activation: arch.lastPoint.activation });
    x = ctx.add(new GlobalAveragePooling2D({ keepdims: true, name: ctx.autoName('global_average_pooling2d') }), x);
    x = conv1x1(ctx, x, arch.lastPoint.channels, 'conv_2', true);
    x = activate(ctx, x, arch.lastPoint.activation);
    if (o.dropoutRate > 0) x = ctx.add(tf.layers.dropout({ rate: o.dropoutRate, name: ctx.autoName('dropout') }), x);
    x = conv1x1(ctx, x, o.classes, 'logits', true);
    x = ctx.add(tf.layers.flatten({ name: ctx.autoName('flatten') }), x);
    return ctx.add(tf.layers.activation({ activation: o.classifierActivation ?? 'linear', name: 'predictions' }), x);
  },

  pool(ctx, x) {
    const pooling = ctx.options.pooling;
    if (pooling === null) return x;
    ctx.begin({ id: 'pooling', kind: 'pooling' });
    if (pooling === 'avg') return ctx.add(new GlobalAveragePooling2D({ name: 'avg_pool' }), x);
    return ctx.add(tf.layers.globalMaxPooling2d({ name: 'max_pool' }), x);
  },
};
