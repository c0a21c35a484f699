/**
 * A thin layer over OnnxGraph for the training-step graph: one call per ONNX node, with constants
 * deduplicated, so the differentiation code in step-graph.ts reads as the maths it implements.
 */
import { float, int, ints, OnnxGraph, type Attribute } from '../../export/onnx/graph.js';

export class Ops {
  readonly graph = new OnnxGraph();
  private readonly scalars = new Map<string, string>();
  private readonly shapes = new Map<string, string>();
  /** Operator-set domains used besides the default one. */
  readonly domains = new Set<string>();

  /** A float scalar constant (shared). */
  scalar(value: number): string {
    const key = String(value);
    let name = this.scalars.get(key);
    if (!name) {
      name = this.graph.floatTensor('c', new Float32Array([value]), []);
      this.scalars.set(key, name);
    }
    return name;
  }

  floats(base: string, values: Float32Array, dims: readonly number[]): string {
    return this.graph.floatTensor(base, values, dims);
  }

  /** An int64 vector constant (shared): shapes, axes, pads, slice bounds. */
  i64(values: readonly number[]): string {
    const key = values.join(',');
    let name = this.shapes.get(key);
    if (!name) {
      name = this.graph.int64Tensor('i', values);
      this.shapes.set(key, name);
    }
    return name;
  }

  op(type: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, base = type.toLowerCase()): string {
    const [out] = this.graph.node(type, base, inputs, [this.graph.unique(base)], attributes);
    return out;
  }

  /** A node of another operator set (ONNX Runtime's contrib domains); records the domain for the model's opset imports. */
  opIn(
    domain: string,
    type: string,
    inputs: readonly string[],
    attributes: Record<string, Attribute> = {},
    base = type.toLowerCase(),
  ): string {
    const out = this.op(type, inputs, attributes, base);
    (this.graph.nodes[this.graph.nodes.length - 1] as { domain?: string }).domain = domain;
    this.domains.add(domain);
    return out;
  }

  /** A node with several outputs. */
  opN(
    type: string,
    inputs: readonly string[],
    outputs: number,
    attributes: Record<string, Attribute> = {},
    base = type.toLowerCase(),
  ): string[] {
    const names = Array.from({ length: outputs }, (_, i) => this.graph.unique(`${base}_${i}`));
    return this.graph.node(type, base, inputs, names, attributes);
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  scale(a: string, s: number): string {
    return s === 1 ? a : this.mul(a, this.scalar(s));
  }
  reshape(a: string, dims: readonly number[]): string {
    return this.op('Reshape', [a, this.i64(dims)]);
  }
  transpose(a: string, perm: readonly number[]): string {
    return this.op('Transpose', [a], { perm: ints(perm) });
  }
  sign(a: string): string {
    return this.op('Sign', [a]);
  }
  /** Sum over `axes`, keeping them as size-1 dimensions. */
  reduceSum(a: string, axes: readonly number[], keepdims = true): string {
    return this.op('ReduceSum', [a, this.i64(axes)], { keepdims: int(keepdims ? 1 : 0) });
  }
  reduceMean(a: string, axes: readonly number[]): string {
    return this.op('ReduceMean', [a], { axes: ints(axes), keepdims: int(1) });
  }
  /** C = op(A) x op(B) on 2-D tensors. */
  gemm(a: string, b: string, transA = false, transB = false): string {
    return this.op('Gemm', [a, b], { transA: int(transA ? 1 : 0), transB: int(transB ? 1 : 0) });
  }
  slice(a: string, starts: readonly number[], ends: readonly number[], axes: readonly number[]): string {
    return this.op('Slice', [a, this.i64(starts), this.i64(ends), this.i64(axes)]);
  }
  sum(terms: readonly string[]): string {
    return terms.length === 1 ? terms[0] : this.op('Sum', terms);
  }
  clip(a: string, lo: number, hi: number): string {
    return this.op('Clip', [a, this.scalar(lo), this.scalar(hi)]);
  }
  hardSigmoid(a: string): string {
    return this.op('HardSigmoid', [a], { alpha: float(1 / 6), beta: float(0.5) });
  }
}

export { float, int, ints };
