/** A small builder for an ONNX GraphProto: nodes, initializers and unique value names. */
import { AttributeType, DataType } from './proto.js';

export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string };

export const int = (value: number): Attribute => ({ kind: 'int', value });
export const float = (value: number): Attribute => ({ kind: 'float', value });
export const ints = (value: readonly number[]): Attribute => ({ kind: 'ints', value });

function attributeProto(name: string, a: Attribute): Record<string, unknown> {
  switch (a.kind) {
    case 'int':
      return { name, type: AttributeType.INT, i: a.value };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
  }
}

/** float32 little-endian bytes, whatever the host's byte order (ONNX raw_data is little-endian). */
function float32Bytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return bytes;
}

export class OnnxGraph {
  readonly nodes: Record<string, unknown>[] = [];
  readonly initializers: Record<string, unknown>[] = [];
  /** Value names and node names are separate namespaces in ONNX: a node may share its layer's name with its output. */
  private readonly used = new Set<string>();
  private readonly usedNodes = new Set<string>();

  /** A value name: `base`, or `base_1`, `base_2`, ... if taken. */
  unique(base: string, used = this.used): string {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  }

  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`internal error: ONNX value name "${name}" used twice`);
    this.used.add(name);
    return name;
  }

  floatTensor(base: string, values: Float32Array, dims: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, data_type: DataType.FLOAT, dims: [...dims], raw_data: float32Bytes(values) });
    return name;
  }

  int64Tensor(base: string, values: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, data_type: DataType.INT64, dims: [values.length], raw_data: int64Bytes(values) });
    return name;
  }

  /** Add a node; returns its output value names. */
  node(
    op: string,
    name: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Record<string, Attribute> = {},
    doc?: string,
  ): string[] {
    this.nodes.push({
      op_type: op,
      name: this.unique(name, this.usedNodes),
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([k, a]) => attributeProto(k, a)),
      ...(doc ? { doc_string: doc } : {}),
    });
    return [...outputs];
  }
}
