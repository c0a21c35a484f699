/**
 * ONNX protobuf encoding through protobufjs and the official schema (onnx-proto.ts, vendored from
 * the ONNX release by tools/vendor-onnx-proto.mjs). Field names keep the schema's snake_case.
 */
import protobuf from 'protobufjs';
import { ONNX_PROTO } from './onnx-proto.js';

let root: protobuf.Root | undefined;

function schema(): protobuf.Root {
  root ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  return root;
}

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
/** AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** Encode a plain ModelProto object (snake_case fields) to bytes, checked against the schema. */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const ModelProto = schema().lookupType('onnx.ModelProto');
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`internal error: the ONNX model does not fit the schema: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Decode ONNX bytes to a plain object (int64 as numbers, enums as names); for tests and tools. */
// biome-ignore lint/suspicious/noExplicitAny: a decoded protobuf tree, walked freely by tests and tools
export function decodeModel(bytes: Uint8Array): Record<string, any> {
  const ModelProto = schema().lookupType('onnx.ModelProto');
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, enums: String, defaults: false });
}
