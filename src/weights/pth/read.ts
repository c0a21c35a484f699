/**
 * Read a PyTorch `.pth` state dict (what `torch.save(model.state_dict(), path)` writes) without
 * Python and without running anything from the file.
 *
 * The zip format (torch >= 1.6): `<name>/data.pkl` (the pickle), `<name>/data/<key>` (one raw
 * little-endian storage per key), `<name>/byteorder`, `<name>/version`. The pickle names storages
 * through persistent ids `('storage', torch.FloatStorage, key, location, numel)` and tensors as
 * `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`: views, so offsets and
 * strides are honoured (a tensor may be a slice or an overlapping view of a shared storage).
 * The legacy format (torch < 1.6, or `_use_new_zipfile_serialization=False`): pickles of the magic
 * number, protocol version and system info, the object, the storage keys, then each storage as an
 * 8-byte element count followed by its data, in key order.
 */
import type { NamedTensor } from '../torchvision.js';
import { WeightsError } from '../errors.js';
import { isZip, readZip } from '../zip.js';
import { readPickle, type PickledStorage, type PickledTensor, type PickleValue } from './pickle.js';

export interface PthContents {
  /** Floating tensors in the file's key order, as float32 (row-major, PyTorch layout). */
  tensors: NamedTensor[];
  /** Integer/bool tensors not converted (BN's `num_batches_tracked`). */
  skipped: string[];
  format: 'zip' | 'legacy';
}

const BYTES: Record<string, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};
const FLOATS = new Set(['float32', 'float16', 'bfloat16', 'float64']);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** A storage's values widened to float64-safe numbers (float32 output keeps them exactly). */
function storageValues(dtype: string, data: Uint8Array): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = Math.floor(data.length / BYTES[dtype]);
  const out = new Float32Array(n);
  if (dtype === 'float32') for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  else if (dtype === 'float64') for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  else if (dtype === 'float16') for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  else {
    const bits = new DataView(new ArrayBuffer(4)); // bfloat16 is the top half of a float32
    for (let i = 0; i < n; i++) {
      bits.setUint32(0, view.getUint16(2 * i, true) << 16);
      out[i] = bits.getFloat32(0);
    }
  }
  return out;
}

function isTensor(v: PickleValue): v is PickledTensor {
  return (
    typeof v === 'object' && v !== null && !(v instanceof Map) && !Array.isArray(v) && !(v instanceof Uint8Array) && v.kind === 'tensor'
  );
}

/** The tensor's elements in row-major order, read through its offset and strides. */
function gather(name: string, t: PickledTensor, values: Float32Array, source: string): Float32Array {
  const { size, stride, offset } = t;
  if (size.length !== stride.length)
    throw new WeightsError(`${source}: tensor "${name}" has ${size.length} sizes but ${stride.length} strides`);
  const count = size.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  if (count === 0) return out;
  const last = offset + size.reduce((s, d, i) => s + (d - 1) * stride[i], 0);
  if (offset < 0 || last >= values.length || stride.some((s) => s < 0)) {
    throw new WeightsError(
      `${source}: tensor "${name}" ${JSON.stringify(size)} reaches element ${last} of a storage of ${values.length}: the file is damaged`,
    );
  }
  const index = new Array(size.length).fill(0);
  let src = offset;
  for (let o = 0; o < count; o++) {
    out[o] = values[src];
    for (let d = size.length - 1; d >= 0; d--) {
      index[d]++;
      src += stride[d];
      if (index[d] < size[d]) break;
      src -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return out;
}

/** The state dict (a dict of name -> tensor) out of the unpickled object. */
function collect(root: PickleValue, load: (s: PickledStorage) => Float32Array, source: string): Omit<PthContents, 'format'> {
  let dict = root;
  // torch.save({'state_dict': ...}) / {'model': ...} checkpoints: take the dict of tensors inside.
  if (dict instanceof Map && ![...dict.values()].some(isTensor)) {
    const inner = ['state_dict', 'model', 'model_state_dict']
      .map((k) => (dict as Map<PickleValue, PickleValue>).get(k))
      .find((v) => v instanceof Map);
    if (inner) dict = inner;
  }
  if (!(dict instanceof Map)) throw new WeightsError(`${source} holds no state dict (a dict of tensors): save model.state_dict()`);
  const tensors: NamedTensor[] = [];
  const skipped: string[] = [];
  const cache = new Map<PickledStorage, Float32Array>();
  for (const [key, value] of dict) {
    const name = String(key);
    if (!isTensor(value)) throw new WeightsError(`${source}: entry "${name}" is not a tensor: save model.state_dict()`);
    if (!FLOATS.has(value.storage.dtype)) {
      skipped.push(name);
      continue;
    }
    let values = cache.get(value.storage);
    if (!values) cache.set(value.storage, (values = load(value.storage)));
    tensors.push({ name, shape: [...value.size], data: gather(name, value, values, source) });
  }
  return { tensors, skipped };
}

function storageFrom(pid: PickleValue, source: string): PickledStorage {
  // ('storage', <storage type>, key, location, numel[, view metadata])
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
    throw new WeightsError(`${source}: unsupported persistent id in its pickle`);
  const type = pid[1] as { kind?: string; dtype?: string } | null;
  if (!type || type.kind !== 'storage-type' || !type.dtype) throw new WeightsError(`${source}: a storage of unknown type`);
  if (Array.isArray(pid[5])) throw new WeightsError(`${source}: storage views (legacy view metadata) are not supported`);
  return { kind: 'storage', dtype: type.dtype, key: String(pid[2]), numel: Number(pid[4]) };
}

function readZipPth(bytes: Uint8Array, source: string): PthContents {
  const zip = readZip(bytes, source);
  const pkl = [...zip.entries.keys()].find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (!pkl) throw new WeightsError(`${source} is a zip archive but not a torch.save file (no data.pkl)`);
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little')
      throw new WeightsError(`${source} was saved on a ${order}-endian machine; only little-endian files are supported`);
  }
  const storages = new Map<string, PickledStorage>();
  const { value } = readPickle(zip.read(pkl), {
    source,
    persistentLoad: (pid) => {
      const s = storageFrom(pid, source);
      const known = storages.get(s.key);
      if (known) return known;
      storages.set(s.key, s);
      return s;
    },
  });
  return {
    ...collect(
      value,
      (s) => {
        const data = zip.read(`${prefix}data/${s.key}`);
        if (data.length < s.numel * BYTES[s.dtype])
          throw new WeightsError(
            `${source}: storage ${s.key} has ${data.length} bytes, ${s.numel} ${s.dtype} values need ${s.numel * BYTES[s.dtype]}`,
          );
        return storageValues(s.dtype, data.subarray(0, s.numel * BYTES[s.dtype]));
      },
      source,
    ),
    format: 'zip',
  };
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function readLegacyPth(bytes: Uint8Array, source: string): PthContents {
  const noStorage = (): never => {
    throw new WeightsError(`${source}: malformed legacy .pth (a storage before the object)`);
  };
  const magic = readPickle(bytes, { source, persistentLoad: noStorage });
  if (magic.value !== LEGACY_MAGIC) throw new WeightsError(`${source} is neither a zip nor a legacy torch.save file`);
  const protocol = readPickle(bytes, { source, persistentLoad: noStorage }, magic.end);
  if (protocol.value !== 1001)
    throw new WeightsError(`${source}: legacy torch.save protocol ${String(protocol.value)} is not supported (1001 is)`);
  const sysInfo = readPickle(bytes, { source, persistentLoad: noStorage }, protocol.end);
  const storages = new Map<string, PickledStorage>();
  const object = readPickle(
    bytes,
    {
      source,
      persistentLoad: (pid) => {
        const s = storageFrom(pid, source);
        if (!storages.has(s.key)) storages.set(s.key, s);
        return storages.get(s.key) as PickledStorage;
      },
    },
    sysInfo.end,
  );
  const keys = readPickle(bytes, { source, persistentLoad: noStorage }, object.end);
  if (!Array.isArray(keys.value)) throw new WeightsError(`${source}: malformed legacy .pth (no storage key list)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Map<string, Float32Array | null>();
  let at = keys.end;
  for (const k of keys.value) {
    const s = storages.get(String(k));
    if (!s) throw new WeightsError(`${source}: malformed legacy .pth (storage ${String(k)} is not used)`);
    if (at + 8 > bytes.length) throw new WeightsError(`${source} is truncated (storage ${s.key} is missing)`);
    const numel = Number(view.getBigInt64(at, true));
    const end = at + 8 + numel * BYTES[s.dtype];
    if (end > bytes.length) throw new WeightsError(`${source} is truncated (storage ${s.key} ends at byte ${end} of ${bytes.length})`);
    data.set(s.key, FLOATS.has(s.dtype) ? storageValues(s.dtype, bytes.subarray(at + 8, end)) : null);
    at = end;
  }
  return {
    ...collect(
      object.value,
      (s) => {
        const values = data.get(s.key);
        if (!values) throw new WeightsError(`${source}: storage ${s.key} is missing`);
        return values;
      },
      source,
    ),
    format: 'legacy',
  };
}

/** Parse a .pth file's bytes; `source` names it in the one-line errors. */
export function readPth(data: Uint8Array | ArrayBuffer, source = 'the file'): PthContents {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (isZip(bytes)) return readZipPth(bytes, source);
  if (bytes.length > 2 && bytes[0] === 0x80) return readLegacyPth(bytes, source);
  throw new WeightsError(`${source} is not a PyTorch file (neither a torch.save zip nor a legacy pickle)`);
}
