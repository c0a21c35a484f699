/**
 * Where the step graph's feature maps keep their values, and the few ops that depend on it. A map
 * is [C, N, H*W] per channel; with ONNX Runtime's NCHWc block b dividing the batch ("blocked"),
 * each channel's values lie as [N/b, H*W, b] instead, which makes [1, C*N, H, W] exactly ORT's
 * NCHWc layout of C*N planes (see step-graph.ts). With b = 1 these are plain reshapes/transposes.
 */
import { int, type ints, type Ops } from './onnx-ops.js';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

export class MapLayout {
  /** The block (1: plain layout) and the number of blocks in the batch. */
  readonly b: number;
  readonly nb: number;

  constructor(
    private readonly o: Ops,
    readonly n: number,
    block: number,
  ) {
    this.b = block > 1 && n % block === 0 ? block : 1;
    this.nb = n / this.b;
  }

  /** A map's values as [C, N/b, HW, b]: the positions on their own axis (pooling, gates). */
  spatial(name: string, c: number, hw: number): string {
    return this.o.reshape(name, this.spatialDims(c, hw));
  }

  spatialDims(c: number, hw: number): number[] {
    // Plain: [C, N, HW] itself (a 4-D view would change how ORT orders the pooling sums).
    return this.b === 1 ? [c, this.n, hw] : [c, this.nb, hw, this.b];
  }

  flat(name: string, c: number, hw: number): string {
    return this.o.reshape(name, [c, this.n, hw]);
  }

  /** A map as C plain images of N channels [C, N, H, W] (a reordering copy when blocked). */
  plainImages(name: string, c: number, h: number, w: number): string {
    if (this.b === 1) return this.o.reshape(name, [c, this.n, h, w]);
    return this.o.reshape(this.o.transpose(this.o.reshape(name, [c, this.nb, h, w, this.b]), [0, 1, 4, 2, 3]), [c, this.n, h, w]);
  }

  /** An NCHW batch [N, C, H, W] as a map. */
  fromNchw(name: string, c: number, h: number, w: number): string {
    if (this.b === 1) return this.o.reshape(this.o.transpose(name, [1, 0, 2, 3]), [c, this.n, h * w]);
    return this.o.reshape(this.o.transpose(this.o.reshape(name, [this.nb, this.b, c, h, w]), [2, 0, 3, 4, 1]), [c, this.n, h * w]);
  }

  /** An NHWC batch [N, H, W, C] (the inference engine's activations) as a map. */
  fromNhwc(name: string, c: number, h: number, w: number): string {
    if (this.b === 1) return this.o.reshape(this.o.transpose(name, [3, 0, 1, 2]), [c, this.n, h * w]);
    return this.o.reshape(this.o.transpose(this.o.reshape(name, [this.nb, this.b, h, w, c]), [4, 0, 2, 3, 1]), [c, this.n, h * w]);
  }

  /** Depthwise filters [C, 1, kh, kw] repeated for every image, in the order of the planes [1, C*N, H, W]. */
  planeFilters(filters: string, c: number, kh: number, kw: number): string {
    const expanded = this.o.op('Expand', [this.o.reshape(filters, [c, 1, kh, kw, 1]), this.o.i64([c, this.nb, kh, kw, this.b])]);
    return this.o.reshape(expanded, [c * this.n, 1, kh, kw]);
  }

  /** One filter per plane of [1, C*N, H, W]: ONNX Runtime's NCHWc kernel when blocked. */
  planeConv(image: string, filters: string, attrs: Record<string, ReturnType<typeof ints>>, planes: number): string {
    const all = { ...attrs, group: int(planes) };
    return this.b > 1 ? this.o.opIn(NCHWC_DOMAIN, 'Conv', [image, filters], all) : this.o.op('Conv', [image, filters], all);
  }

  /** The top-left [h, w] of the planes [1, P, H, W] (in the map's order). */
  cropPlanes(name: string, planes: number, hIn: number, wIn: number, h: number, w: number): string {
    if (this.b === 1) return this.o.slice(name, [0, 0], [h, w], [2, 3]);
    const cropped = this.o.slice(this.o.reshape(name, [planes / this.b, hIn, wIn, this.b]), [0, 0], [h, w], [1, 2]);
    return this.o.reshape(cropped, [1, planes, h, w]);
  }
}
