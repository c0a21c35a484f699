/**
 * Read a `.safetensors` file (Hugging Face's format, what `safetensors.torch.save_file(
 * model.state_dict(), path)` writes): 8 bytes little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the raw little-endian
 * data, offsets counted from the end of the header. It is the safe way to take a PyTorch state dict
 * out of Python (a .pth is a pickle, which can run code and needs Python to read).
 */
import type { NamedTensor } from './torchvision.js';
import { WeightsError } from './errors.js';

/** Bytes per value of the floating dtypes we convert to float32; integer tensors are skipped. */
const FLOAT_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
const INT_BYTES: Record<string, number> = { I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface SafetensorsContents {
  /** Floating tensors in file order, converted to float32 (row-major, PyTorch layout). */
  tensors: NamedTensor[];
  /** Names of integer/bool tensors, not converted (e.g. BN's `num_batches_tracked` counters). */
  skipped: string[];
  /** The header's `__metadata__` (string to string), if any. */
  metadata: Record<string, string>;
}

/** IEEE half -> number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function parseHeader(bytes: Uint8Array, source: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) throw new WeightsError(`${source} is not a safetensors file (${bytes.length} bytes, no header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(view.getBigUint64(0, true));
  if (length > bytes.length - 8)
    throw new WeightsError(`${source} is truncated or not a safetensors file (header of ${length} bytes in a ${bytes.length}-byte file)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  } catch {
    throw new WeightsError(`${source} is not a safetensors file (its header is not JSON)`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new WeightsError(`${source} is not a safetensors file (its header is not an object)`);
  return { header: header as Record<string, unknown>, dataStart: 8 + length };
}

function checkEntry(name: string, value: unknown, source: string): HeaderEntry {
  const e = value as Partial<HeaderEntry>;
  const ok =
    typeof e === 'object' &&
    e !== null &&
    typeof e.dtype === 'string' &&
    Array.isArray(e.shape) &&
    e.shape.every((d) => Number.isInteger(d) && d >= 0) &&
    Array.isArray(e.data_offsets) &&
    e.data_offsets.length === 2 &&
    e.data_offsets.every((o) => Number.isInteger(o) && o >= 0);
  if (!ok) throw new WeightsError(`${source}: header entry "${name}" needs dtype, shape and data_offsets`);
  return e as HeaderEntry;
}

/**
 * Parse a safetensors file's bytes. `source` names the file in error messages. Throws a one-line
 * `WeightsError` for a truncated or malformed file or an unsupported dtype.
 */
export function readSafetensors(data: Uint8Array | ArrayBuffer, source = 'the file'): SafetensorsContents {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const { header, dataStart } = parseHeader(bytes, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors: NamedTensor[] = [];
  const skipped: string[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = checkEntry(name, value, source);
    const width = FLOAT_BYTES[dtype] ?? INT_BYTES[dtype];
    if (width === undefined)
      throw new WeightsError(
        `${source}: tensor "${name}" has dtype ${dtype}; supported: ${[...Object.keys(FLOAT_BYTES), ...Object.keys(INT_BYTES)].join(', ')}`,
      );
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width || end < begin) {
      throw new WeightsError(
        `${source}: tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${count * width} bytes, its offsets span ${end - begin}`,
      );
    }
    if (dataStart + end > bytes.length)
      throw new WeightsError(`${source} is truncated: tensor "${name}" ends at byte ${dataStart + end} of ${bytes.length}`);
    if (!(dtype in FLOAT_BYTES)) {
      skipped.push(name);
      continue;
    }
    const out = new Float32Array(count);
    const at = dataStart + begin;
    // DataView: the data need not be aligned, and the format is little-endian on every machine.
    if (dtype === 'F32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
    else if (dtype === 'F64') for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, true);
    else if (dtype === 'F16') for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(at + 2 * i, true));
    else {
      const bits = new DataView(new ArrayBuffer(4)); // bfloat16 is the top half of a float32
      for (let i = 0; i < count; i++) {
        bits.setUint32(0, view.getUint16(at + 2 * i, true) << 16);
        out[i] = bits.getFloat32(0);
      }
    }
    tensors.push({ name, shape: [...shape], data: out });
  }
  return { tensors, skipped, metadata };
}
