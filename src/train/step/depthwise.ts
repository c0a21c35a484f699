/**
 * The gradients of a depthwise convolution over the planes [1, C*N, H, W] of a map, in either
 * layout (layout.ts): the filter gradient and the input gradient.
 */
import { int, ints, type Ops } from './onnx-ops.js';
import { NCHWC_DOMAIN, type MapLayout } from './layout.js';

export type Pads = [number, number, number, number];

/** Slice's "to the start" bound for a reversed axis. */
const NEG_INF_INDEX = -(2 ** 62);

/** Shapes of one depthwise layer: channels, kernel, strides, output size, pads [t, l, b, r]. */
export interface DepthwiseGeometry {
  c: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ho: number;
  wo: number;
  pads: Pads;
}

/** The input map of a depthwise layer: its value name and size. */
export interface Plane {
  name: string;
  h: number;
  w: number;
}

/**
 * dW [kh, kw, C, 1]. dW[c, ky, kx] = sum over planes p of channel c and positions (y, x) of
 * X[p, s*y + ky, s*x + kx] * dY[p, y, x]: a convolution with dY as the kernel, dilated by the
 * stride, giving (at least) kh x kw outputs. Blocked: per plane with ONNX Runtime's NCHWc
 * depthwise kernel, whose blocked filter layout is exactly dY's layout, then a sum over the
 * planes of each channel (10-25x faster than reordering to plain images, measured). Plain: group
 * c of a convolution takes the N planes of channel c as input channels, so it sums the batch.
 */
export function depthwiseFilterGrad(o: Ops, layout: MapLayout, x: Plane, dy: string, g: DepthwiseGeometry): string {
  const { c, kh, kw, sh, sw, ho, wo, pads } = g;
  const cn = c * layout.n;
  const attrs = { dilations: ints([sh, sw]), pads: ints(pads) };
  let dW: string;
  if (layout.b > 1) {
    const [oh, ow] = [x.h + pads[0] + pads[2] - sh * (ho - 1), x.w + pads[1] + pads[3] - sw * (wo - 1)];
    const planes = o.opIn(NCHWC_DOMAIN, 'Conv', [o.reshape(x.name, [1, cn, x.h, x.w]), o.reshape(dy, [cn, 1, ho, wo])], {
      ...attrs,
      group: int(cn),
      kernel_shape: ints([ho, wo]),
    });
    const cropped = o.slice(o.reshape(planes, [c, layout.nb, oh, ow, layout.b]), [0, 0], [kh, kw], [2, 3]);
    dW = o.reduceSum(cropped, [1, 4], false); // [C, kh, kw]
  } else {
    const full = o.op('Conv', [o.reshape(x.name, [1, cn, x.h, x.w]), o.reshape(dy, [c, layout.n, ho, wo])], {
      ...attrs,
      group: int(c),
      strides: ints([1, 1]),
    });
    dW = o.slice(full, [0, 0], [kh, kw], [2, 3]); // [1, C, kh, kw]
  }
  return o.transpose(o.reshape(dW, [c, 1, kh, kw]), [2, 3, 0, 1]);
}

/**
 * dX as a map: the transposed convolution, i.e. dY zero-stuffed by the stride and convolved
 * with the flipped filters. Blocked, the stuffing pads whole blocks of b values and the NCHWc
 * kernel convolves. (ONNX's ConvTranspose was 2-3x faster than the plain layout's stuffing, but
 * it orders the sums differently from the graph the torchvision fixtures were matched with, and
 * an exact-zero gradient's float noise rose past their bound; the plain layout is the fallback
 * now, so it keeps that graph.)
 */
export function depthwiseInputGrad(o: Ops, layout: MapLayout, x: Plane, dy: string, filters: string, g: DepthwiseGeometry): string {
  const { c, kh, kw, sh, sw, ho, wo, pads } = g;
  const cn = c * layout.n;
  let z = o.reshape(dy, [1, cn, ho, wo]);
  let [zh, zw] = [ho, wo];
  if (sh > 1 || sw > 1) {
    const planes = o.reshape(dy, [cn / layout.b, ho, 1, wo, 1, layout.b]);
    z = o.reshape(o.op('Pad', [planes, o.i64([0, 0, 0, 0, 0, 0, 0, 0, sh - 1, 0, sw - 1, 0])]), [1, cn, ho * sh, wo * sw]);
    [zh, zw] = [ho * sh, wo * sw];
  }
  const flipped = o.op('Slice', [filters, o.i64([kh - 1, kw - 1]), o.i64([NEG_INF_INDEX, NEG_INF_INDEX]), o.i64([2, 3]), o.i64([-1, -1])]);
  const [t, l] = [kh - 1 - pads[0], kw - 1 - pads[1]];
  const b = x.h + pads[0] - zh;
  const r = x.w + pads[1] - zw;
  let dx = layout.planeConv(
    z,
    layout.planeFilters(flipped, c, kh, kw),
    { kernel_shape: ints([kh, kw]), pads: ints([t, l, Math.max(b, 0), Math.max(r, 0)]) },
    cn,
  );
  if (b < 0 || r < 0) dx = layout.cropPlanes(dx, cn, zh + t + Math.max(b, 0) - kh + 1, zw + l + Math.max(r, 0) - kw + 1, x.h, x.w);
  return o.reshape(dx, [c, layout.n, x.h * x.w]);
}
