/**
 * The convolution gradient kernels the TF.js wasm backend lacks (4.22 ships Conv2DBackpropInput
 * but not Conv2DBackpropFilter nor either depthwise backprop), registered for 'wasm' and built
 * from kernels it does have. TF.js lets a kernel run ops and return a Tensor; ops run inside a
 * kernel are not recorded on the gradient tape, so these compose safely.
 *
 * - Conv2DBackpropFilter: for every filter tap (kh, kw), the strided slice of the padded input
 *   that the tap saw, as a matrix [B*OH*OW, Cin], times the output gradient [B*OH*OW, Cout]
 *   (transposed matmul). A 1x1 stride-1 conv, the bulk of MobileNetV3, is one matmul.
 * - DepthwiseConv2dNativeBackpropFilter: the same tap walk, with an elementwise product summed
 *   over batch and space instead of a matmul.
 * - DepthwiseConv2dNativeBackpropInput: the transposed convolution as a forward one: dilate the
 *   output gradient by the stride, pad it so a "valid" window lands on each input position, and
 *   run the (fast, XNNPACK) depthwise kernel with the filter rotated 180 degrees.
 */
import * as tf from '@tensorflow/tfjs';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Pair = [number, number];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface ConvAttrs {
  strides: number | Pair;
  pad: Pad;
  dilations?: number | Pair;
  dimRoundingMode?: Rounding;
  dataFormat?: 'NHWC' | 'NCHW';
}

function pair(v: number | Pair | undefined): Pair {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

function checkLayout(kernel: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernel} (wasm): only NHWC is supported`);
  const [dh, dw] = pair(attrs.dilations);
  if (dh !== 1 || dw !== 1) throw new Error(`${kernel} (wasm): dilated convolutions are not supported`);
}

/** Zero-pad the input the way the forward conv did, so every tap is a plain strided slice. */
function padded(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, bottom, left, right } = info.padInfo;
  if (!top && !bottom && !left && !right) return x;
  return tf.pad(x, [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]]);
}

/** The [B, OH, OW, C] window of the padded input that filter tap (kh, kw) multiplied. */
function tap(xp: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, kh: number, kw: number): tf.Tensor4D {
  const { batchSize: b, outHeight: oh, outWidth: ow, inChannels: c, strideHeight: sh, strideWidth: sw } = info;
  if (sh === 1 && sw === 1) return tf.slice(xp, [0, kh, kw, 0], [b, oh, ow, c]);
  return tf.stridedSlice(xp, [0, kh, kw, 0], [b, kh + (oh - 1) * sh + 1, kw + (ow - 1) * sw + 1, c], [1, sh, sw, 1]) as tf.Tensor4D;
}

function conv2DBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], attrs: ConvAttrs): tf.Tensor {
  checkLayout('Conv2DBackpropFilter', attrs);
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, pair(attrs.strides), 1, attrs.pad, attrs.dimRoundingMode);
  const [fh, fw, cin, cout] = filterShape;
  return tf.tidy(() => {
    const g = tf.reshape(dy, [-1, cout]);
    const xp = padded(x, info);
    const taps: tf.Tensor[] = [];
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) taps.push(tf.matMul(tf.reshape(tap(xp, info, kh, kw), [-1, cin]), g, true, false));
    }
    return tf.reshape(taps.length === 1 ? taps[0] : tf.stack(taps), filterShape);
  });
}

function depthwiseBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], attrs: ConvAttrs): tf.Tensor {
  checkLayout('DepthwiseConv2dNativeBackpropFilter', attrs);
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, pair(attrs.strides), 1, attrs.pad, attrs.dimRoundingMode, true);
  const [fh, fw, c, m] = filterShape;
  return tf.tidy(() => {
    const xp = padded(x, info);
    const g = m === 1 ? dy : tf.reshape(dy, [...dy.shape.slice(0, 3), c, m]);
    const taps: tf.Tensor[] = [];
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) {
        const window = tap(xp, info, kh, kw);
        taps.push(tf.sum(tf.mul(m === 1 ? window : tf.expandDims(window, 4), g), [0, 1, 2]));
      }
    }
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

/** Insert stride-1 zeros between the rows and columns of `t` (the forward stride, undone). */
function dilate(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return t;
  const [b, h, w, c] = t.shape;
  const spread = tf.pad(tf.reshape(t, [b, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.slice(tf.reshape(spread, [b, h * sh, w * sw, c]), [0, 0, 0, 0], [b, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}

/** Pad (positive) or crop (negative) the two spatial axes. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const grown = tf.pad(t, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]);
  const [b, h, w, c] = grown.shape;
  const ct = Math.max(-top, 0), cb = Math.max(-bottom, 0), cl = Math.max(-left, 0), cr = Math.max(-right, 0);
  if (!ct && !cb && !cl && !cr) return grown;
  return tf.slice(grown, [0, ct, cl, 0], [b, h - ct - cb, w - cl - cr, c]);
}

function depthwiseBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], attrs: ConvAttrs): tf.Tensor {
  checkLayout('DepthwiseConv2dNativeBackpropInput', attrs);
  const [fh, fw, , m] = filter.shape;
  if (m !== 1) throw new Error('DepthwiseConv2dNativeBackpropInput (wasm): channel multiplier > 1 is not supported');
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, pair(attrs.strides), 1, attrs.pad, attrs.dimRoundingMode, true);
  const { inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw, padInfo } = info;
  return tf.tidy(() => {
    const d = dilate(dy, sh, sw);
    // Padded-input row i receives dy-dilated rows i-fh+1 .. i; keep rows top .. top+h-1.
    const before = fh - 1 - padInfo.top, left = fw - 1 - padInfo.left;
    const after = h + fh - 1 - d.shape[1] - before, right = w + fw - 1 - d.shape[2] - left;
    const rotated = tf.reverse(filter, [0, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(padOrCrop(d, before, after, left, right), rotated, 1, 'valid');
  });
}

type Inputs = Record<string, tf.Tensor>;

let registered = false;

/** Register the three kernels for 'wasm' (idempotent; harmless if a later TF.js ships them). */
export function registerWasmGradients(): void {
  if (registered) return;
  registered = true;
  const add = (kernelName: string, run: (inputs: Inputs, attrs: Record<string, unknown>) => tf.Tensor): void => {
    if (tf.getKernel(kernelName, 'wasm')) return;
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs }) => run(inputs as Inputs, attrs as Record<string, unknown>),
    });
  };
  add('Conv2DBackpropFilter', ({ x, dy }, attrs) =>
    conv2DBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, attrs.filterShape as [number, number, number, number], attrs as unknown as ConvAttrs));
  add('DepthwiseConv2dNativeBackpropFilter', ({ x, dy }, attrs) =>
    depthwiseBackpropFilter(x as tf.Tensor4D, dy as tf.Tensor4D, attrs.filterShape as [number, number, number, number], attrs as unknown as ConvAttrs));
  add('DepthwiseConv2dNativeBackpropInput', ({ dy, filter }, attrs) =>
    depthwiseBackpropInput(dy as tf.Tensor4D, filter as tf.Tensor4D, attrs.inputShape as [number, number, number, number], attrs as unknown as ConvAttrs));
}
