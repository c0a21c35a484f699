/**
 * ONNX Runtime's NCHWc block size on this machine (MLAS: 16 with AVX-512, 8 with AVX2; the
 * blocked layout of the step graph must match it), found by running its ReorderInput on 4
 * channels, which pads them to one block. 1 when the build has no NCHWc kernels (then the step
 * graph keeps the plain layout).
 */
import { DataType, encodeModel } from '../../export/onnx/proto.js';

type Ort = typeof import('onnxruntime-node');

let cached: Promise<number> | undefined;

export function nchwcBlockSize(ort: Ort): Promise<number> {
  cached ??= probe(ort);
  return cached;
}

async function probe(ort: Ort): Promise<number> {
  const dims = [1, 4, 1, 1];
  const value = (name: string) => ({
    name,
    type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
  });
  const bytes = encodeModel({
    ir_version: 8,
    opset_import: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft.nchwc', version: 1 },
    ],
    graph: {
      name: 'nchwc_probe',
      node: [{ op_type: 'ReorderInput', domain: 'com.microsoft.nchwc', name: 'reorder', input: ['x'], output: ['y'] }],
      input: [value('x')],
      output: [{ name: 'y' }],
    },
  });
  try {
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), dims) });
    await session.release();
    const block = out.y.dims[1];
    return Number.isInteger(block) && block >= 4 && block <= 64 ? block : 1;
  } catch {
    return 1;
  }
}
