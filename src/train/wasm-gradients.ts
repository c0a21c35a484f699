/**
 * Fast convolution gradients for the TF.js wasm backend, which (4.22) has no
 * Conv2DBackpropFilter and no depthwise backprop kernels at all, and whose generic
 * Conv2DBackpropInput, Tile, StridedSlice and transposed MatMul run 10-30x slower than its
 * XNNPACK convolutions (measured: scripts/bench-train-tfjs.ts). Each kernel below is rewritten as
 * one or two XNNPACK convolutions plus free reshapes. TF.js lets a kernel run ops and return a
 * Tensor; ops run inside a kernel are not recorded on the gradient tape, so these compose safely.
 *
 * - Conv2DBackpropFilter, 1x1 stride 1 (nearly every conv of MobileNetV3): dW = X^T dY, computed
 *   as a 1x1 convolution of X^T (a [1, 1, Cin, N] "image") with dY as the filter. Other shapes:
 *   a matmul per filter tap over the strided window of the padded input.
 * - Conv2DBackpropInput, 1x1 stride 1: dX = dY W^T, a 1x1 convolution with the transposed filter
 *   (other shapes keep the stock kernel).
 * - DepthwiseConv2dNativeBackpropFilter: a filter gradient is the correlation of the input with
 *   the output gradient, dilated by the stride, summed over the batch. Stacking the batch's
 *   images vertically (each padded to P rows) and the output gradients likewise (each padded to
 *   P/stride rows) makes that sum one depthwise convolution of a tall image with a tall kernel:
 *   kernel row b*P/s + oh meets image row b*P + oh*s + kh, i.e. the same image only.
 * - DepthwiseConv2dNativeBackpropInput: the transposed convolution as a forward one: dilate the
 *   output gradient by the stride, pad it so a "valid" window lands on each input position, and
 *   run the depthwise kernel with the filter rotated 180 degrees.
 * - Tile that only broadcasts (what the BatchNorm gradient asks for): a multiply by ones.
 */
import * as tf from '../runtime/tf.js';

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
  return tf.pad(x, [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ]);
}

/** The [B, OH, OW, C] window of the padded input that filter tap (kh, kw) multiplied. */
function tap(xp: tf.Tensor4D, info: tf.backend_util.Conv2DInfo, kh: number, kw: number): tf.Tensor4D {
  const { batchSize: b, outHeight: oh, outWidth: ow, inChannels: c, strideHeight: sh, strideWidth: sw } = info;
  if (sh === 1 && sw === 1) return tf.slice(xp, [0, kh, kw, 0], [b, oh, ow, c]);
  return tf.stridedSlice(xp, [0, kh, kw, 0], [b, kh + (oh - 1) * sh + 1, kw + (ow - 1) * sw + 1, c], [1, sh, sw, 1]) as tf.Tensor4D;
}

function isPointwise(info: tf.backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo: p } = info;
  return filterHeight === 1 && filterWidth === 1 && strideHeight === 1 && strideWidth === 1 && !p.top && !p.bottom && !p.left && !p.right;
}

function conv2DBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], attrs: ConvAttrs): tf.Tensor {
  checkLayout('Conv2DBackpropFilter', attrs);
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, pair(attrs.strides), 1, attrs.pad, attrs.dimRoundingMode);
  const [fh, fw, cin, cout] = filterShape;
  return tf.tidy(() => {
    const g = tf.reshape(dy, [-1, cout]);
    if (isPointwise(info)) {
      const n = g.shape[0];
      const xt = tf.reshape(tf.transpose(tf.reshape(x, [n, cin])), [1, 1, cin, n]) as tf.Tensor4D;
      return tf.reshape(tf.conv2d(xt, tf.reshape(g, [1, 1, n, cout]) as tf.Tensor4D, 1, 'valid'), filterShape);
    }
    const xp = padded(x, info);
    const taps: tf.Tensor[] = [];
    for (let kh = 0; kh < fh; kh++) {
      for (let kw = 0; kw < fw; kw++) taps.push(tf.matMul(tf.transpose(tf.reshape(tap(xp, info, kh, kw), [-1, cin])), g));
    }
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

function conv2DBackpropInputPointwise(dy: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor {
  return tf.tidy(() => {
    const [, , cin, cout] = filter.shape;
    const wt = tf.reshape(tf.transpose(tf.reshape(filter, [cin, cout])), [1, 1, cout, cin]) as tf.Tensor4D;
    return tf.conv2d(dy, wt, 1, 'valid');
  });
}

function depthwiseBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor {
  checkLayout('DepthwiseConv2dNativeBackpropFilter', attrs);
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, pair(attrs.strides), 1, attrs.pad, attrs.dimRoundingMode, true);
  const [fh, fw, c, m] = filterShape;
  const { batchSize: b, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, padInfo } = info;
  return tf.tidy(() => {
    // Each image padded to P rows, P a multiple of the stride covering every window it had.
    const rows = Math.max(padInfo.top + h, (oh - 1) * sh + fh);
    const period = Math.ceil(rows / sh) * sh;
    const cols = Math.max(padInfo.left + w + Math.max(padInfo.right, 0), (ow - 1) * sw + fw);
    const image = tf.pad(x, [
      [0, 0],
      [padInfo.top, period - padInfo.top - h],
      [padInfo.left, cols - padInfo.left - w],
      [0, 0],
    ]);
    const tall = tf.reshape(image, [1, b * period, cols, c * 1]) as tf.Tensor4D;
    const grads = m === 1 ? dy : tf.reshape(dy, [b, oh, ow, c, m]);
    const spaced = tf.pad(grads, [[0, 0], [0, period / sh - oh], ...grads.shape.slice(2).map((): [number, number] => [0, 0])]);
    const kernelRows = (b - 1) * (period / sh) + oh;
    const kernel = tf.slice(tf.reshape(spaced, [b * (period / sh), ow, c, m]), 0, kernelRows) as tf.Tensor4D;
    const correlation = tf.depthwiseConv2d(tall, kernel, 1, 'valid', 'NHWC', [sh, sw]);
    return tf.reshape(tf.slice(correlation, [0, 0, 0, 0], [1, fh, fw, c * m]), filterShape);
  });
}

/** Insert stride-1 zeros between the rows and columns of `t` (the forward stride, undone). */
function dilate(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return t;
  const [b, h, w, c] = t.shape;
  const spread = tf.pad(tf.reshape(t, [b, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return tf.slice(tf.reshape(spread, [b, h * sh, w * sw, c]) as tf.Tensor4D, [0, 0, 0, 0], [b, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}

/** Pad (positive) or crop (negative) the two spatial axes. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const grown = tf.pad(t, [
    [0, 0],
    [Math.max(top, 0), Math.max(bottom, 0)],
    [Math.max(left, 0), Math.max(right, 0)],
    [0, 0],
  ]);
  const [b, h, w, c] = grown.shape;
  const ct = Math.max(-top, 0),
    cb = Math.max(-bottom, 0),
    cl = Math.max(-left, 0),
    cr = Math.max(-right, 0);
  if (!ct && !cb && !cl && !cr) return grown;
  return tf.slice(grown, [0, ct, cl, 0], [b, h - ct - cb, w - cl - cr, c]);
}

function depthwiseBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.Tensor {
  checkLayout('DepthwiseConv2dNativeBackpropInput', attrs);
  const [fh, fw, , m] = filter.shape;
  if (m !== 1) throw new Error('DepthwiseConv2dNativeBackpropInput (wasm): channel multiplier > 1 is not supported');
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, pair(attrs.strides), 1, attrs.pad, attrs.dimRoundingMode, true);
  const { inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw, padInfo } = info;
  return tf.tidy(() => {
    const d = dilate(dy, sh, sw);
    // Padded-input row i receives dy-dilated rows i-fh+1 .. i; keep rows top .. top+h-1.
    const before = fh - 1 - padInfo.top,
      left = fw - 1 - padInfo.left;
    const after = h + fh - 1 - d.shape[1] - before,
      right = w + fw - 1 - d.shape[2] - left;
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
  // Replace a stock kernel for the shapes where a faster form exists; delegate the rest.
  const override = (kernelName: string, fast: (inputs: Inputs, attrs: Record<string, unknown>) => tf.Tensor | undefined): void => {
    const stock = tf.getKernel(kernelName, 'wasm');
    if (!stock) return;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      ...stock,
      kernelFunc: (args) => fast(args.inputs as Inputs, args.attrs as Record<string, unknown>) ?? (stock.kernelFunc(args) as tf.TensorInfo),
    } as tf.KernelConfig);
  };
  override('Conv2DBackpropInput', ({ dy, filter }, attrs) => {
    if (attrs.dataFormat === 'NCHW') return undefined;
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      pair(attrs.strides as number | Pair),
      1,
      attrs.pad as Pad,
      attrs.dimRoundingMode as Rounding,
    );
    return isPointwise(info) ? conv2DBackpropInputPointwise(dy as tf.Tensor4D, filter as tf.Tensor4D) : undefined;
  });
  override('Tile', ({ x }, attrs) => {
    const reps = attrs.reps as number[];
    const broadcastOnly = x.dtype === 'float32' && reps.every((r, i) => r === 1 || x.shape[i] === 1);
    return broadcastOnly ? tf.tidy(() => tf.mul(x, tf.ones(x.shape.map((d, i) => d * reps[i])))) : undefined;
  });
  add('Conv2DBackpropFilter', ({ x, dy }, attrs) =>
    conv2DBackpropFilter(
      x as tf.Tensor4D,
      dy as tf.Tensor4D,
      attrs.filterShape as [number, number, number, number],
      attrs as unknown as ConvAttrs,
    ),
  );
  add('DepthwiseConv2dNativeBackpropFilter', ({ x, dy }, attrs) =>
    depthwiseBackpropFilter(
      x as tf.Tensor4D,
      dy as tf.Tensor4D,
      attrs.filterShape as [number, number, number, number],
      attrs as unknown as ConvAttrs,
    ),
  );
  add('DepthwiseConv2dNativeBackpropInput', ({ dy, filter }, attrs) =>
    depthwiseBackpropInput(
      dy as tf.Tensor4D,
      filter as tf.Tensor4D,
      attrs.inputShape as [number, number, number, number],
      attrs as unknown as ConvAttrs,
    ),
  );
}
