/**
 * The `blog` flavour: exactly the Keras 2 code of the blog post (../shared/seed), layer names as
 * Keras 2 assigns them automatically (conv2d, batch_normalization_3, activation_7, dense_1, ...).
 * Differences from Keras applications: biased convs, ReLU6 for "RE", every block has an
 * expansion conv, SE = Dense(c/4) + ReLU6 + Dense(c) + hard-swish gate, no Rescaling.
 */
import * as tf from '../runtime/tf.js';
import { padStride2, type BuildContext, type FlavorLayers, type Sym } from './build-context.js';
import { GlobalAveragePooling2D, HardSwish } from './layers.js';
import type { Activation } from './resolve.js';

function activation(ctx: BuildContext, x: Sym, act: Activation): Sym {
  const name = ctx.autoName('activation');
  if (act === 'hswish') return ctx.add(new HardSwish({ name }), x);
  return ctx.add(tf.layers.activation({ activation: act, name }), x);
}

/** `Conv2D(filters, kernel, padding='same', strides)`; stride 2 padded explicitly when symmetric. */
function conv(ctx: BuildContext, x: Sym, filters: number, kernel: number, strides: number, act?: 'softmax' | 'linear'): Sym {
  const padded = padStride2(ctx, x, kernel, strides, () => ctx.autoName('zero_padding2d'));
  return ctx.add(
    tf.layers.conv2d({ filters, kernelSize: kernel, strides, padding: padded.padding, activation: act, name: ctx.autoName('conv2d') }),
    padded.x,
  );
}

function batchNorm(ctx: BuildContext, x: Sym): Sym {
  return ctx.add(tf.layers.batchNormalization({ axis: -1, name: ctx.autoName('batch_normalization') }), x);
}

/** The blog's `conv_block`: conv + BN + activation. */
function convBlock(ctx: BuildContext, x: Sym, filters: number, kernel: number, strides: number, act: Activation): Sym {
  return activation(ctx, batchNorm(ctx, conv(ctx, x, filters, kernel, strides)), act);
}

/** The blog's `squeeze`: Dense-based SE with a hard-swish gate. */
function squeeze(ctx: BuildContext, x: Sym, squeezeChannels: number): Sym {
  const channels = x.shape[3] as number;
  let s = ctx.add(new GlobalAveragePooling2D({ name: ctx.autoName('global_average_pooling2d') }), x);
  s = ctx.add(tf.layers.dense({ units: squeezeChannels, name: ctx.autoName('dense') }), s);
  s = activation(ctx, s, 'relu6');
  s = ctx.add(tf.layers.dense({ units: channels, name: ctx.autoName('dense') }), s);
  s = activation(ctx, s, 'hswish');
  s = ctx.add(tf.layers.reshape({ targetShape: [1, 1, channels], name: ctx.autoName('reshape') }), s);
  return ctx.add(tf.layers.multiply({ name: ctx.autoName('multiply') }), [x, s]);
}

export const blogFlavor: FlavorLayers = {
  inputName: 'input_1',

  preprocess(ctx, x) {
    if (!ctx.options.includePreprocessing) return x;
    return ctx.add(tf.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: ctx.autoName('rescaling') }), x);
  },

  stem(ctx, x, arch) {
    const { kernel, stride, outChannels, activation } = arch.stem;
    ctx.begin({ id: 'stem', kind: 'stem', kernel, stride, out: outChannels, activation });
    return convBlock(ctx, x, outChannels, kernel, stride, activation);
  },

  bneck(ctx, x, b) {
    ctx.beginBneck(`bneck_${b.index}`, b);
    const inputs = x;
    x = convBlock(ctx, x, b.hiddenChannels, 1, 1, b.activation);
    const padded = padStride2(ctx, x, b.kernel, b.stride, () => ctx.autoName('zero_padding2d'));
    x = ctx.add(
      tf.layers.depthwiseConv2d({
        kernelSize: b.kernel,
        strides: b.stride,
        depthMultiplier: 1,
        padding: padded.padding,
        name: ctx.autoName('depthwise_conv2d'),
      }),
      padded.x,
    );
    x = activation(ctx, batchNorm(ctx, x), b.activation);
    if (b.seChannels !== null) x = squeeze(ctx, x, b.seChannels);
    x = batchNorm(ctx, conv(ctx, x, b.outChannels, 1, 1));
    if (b.residual) x = ctx.add(tf.layers.add({ name: ctx.autoName('add') }), [x, inputs]);
    return x;
  },

  head(ctx, x, arch) {
    ctx.begin({ id: 'head', kind: 'head', kernel: 1, stride: 1, out: arch.headConv.channels, activation: arch.headConv.activation });
    return convBlock(ctx, x, arch.headConv.channels, 1, 1, arch.headConv.activation);
  },

  top(ctx, x, arch) {
    const o = ctx.options;
    const channels = x.shape[3] as number;
    ctx.begin({ id: 'classifier', kind: 'classifier', kernel: 1, stride: 1, out: o.classes, activation: arch.lastPoint.activation });
    x = ctx.add(new GlobalAveragePooling2D({ name: ctx.autoName('global_average_pooling2d') }), x);
    x = ctx.add(tf.layers.reshape({ targetShape: [1, 1, channels], name: ctx.autoName('reshape') }), x);
    x = conv(ctx, x, arch.lastPoint.channels, 1, 1);
    x = activation(ctx, x, arch.lastPoint.activation);
    x = conv(ctx, x, o.classes, 1, 1, o.classifierActivation ?? 'linear');
    return ctx.add(tf.layers.reshape({ targetShape: [o.classes], name: ctx.autoName('reshape') }), x);
  },

  pool(ctx, x) {
    const pooling = ctx.options.pooling;
    if (pooling === null) return x;
    ctx.begin({ id: 'pooling', kind: 'pooling' });
    if (pooling === 'avg') return ctx.add(new GlobalAveragePooling2D({ name: ctx.autoName('global_average_pooling2d') }), x);
    return ctx.add(tf.layers.globalMaxPooling2d({ name: ctx.autoName('global_max_pooling2d') }), x);
  },
};
