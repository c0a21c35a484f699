/**
 * A small zip reader and writer: the central directory, stored and deflated entries (Node's zlib).
 * Enough for what torch.save writes (stored entries, 64-byte aligned) and for Keras 3's `.keras`
 * archives (stored, as Python's zipfile writes them; deflated also read); zip64 and encryption are refused. Every malformed or truncated archive is
 * one `WeightsError` line naming the file.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { WeightsError } from './errors.js';

export interface ZipEntry {
  name: string;
  /** Compression method: 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  headerOffset: number;
}

export interface ZipArchive {
  entries: Map<string, ZipEntry>;
  /** The entry's bytes (a view into the archive for stored entries, no copy). */
  read(name: string): Uint8Array;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function findEnd(view: DataView, source: string): number {
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB.
  const last = view.byteLength - 22;
  for (let at = last; at >= Math.max(0, last - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD) return at;
  }
  throw new WeightsError(`${source} is truncated or not a zip archive (no end-of-archive record)`);
}

export function readZip(bytes: Uint8Array, source = 'the file'): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22) throw new WeightsError(`${source} is truncated or not a zip archive (${bytes.length} bytes)`);
  const end = findEnd(view, source);
  const count = view.getUint16(end + 10, true);
  const dirSize = view.getUint32(end + 12, true);
  const dirOffset = view.getUint32(end + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff) throw new WeightsError(`${source} is a zip64 archive, which is not supported`);
  if (dirOffset + dirSize > end) throw new WeightsError(`${source} is truncated or damaged (its central directory lies outside the file)`);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder();
  let at = dirOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL)
      throw new WeightsError(`${source} is damaged (central directory entry ${i} is malformed)`);
    const flags = view.getUint16(at + 8, true);
    if (flags & 1) throw new WeightsError(`${source} is encrypted, which is not supported`);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const entry: ZipEntry = {
      name: decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      headerOffset: view.getUint32(at + 42, true),
    };
    if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.headerOffset === 0xffffffff) {
      throw new WeightsError(`${source} is a zip64 archive (entry ${entry.name} is over 4 GiB), which is not supported`);
    }
    entries.set(entry.name, entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return {
    entries,
    read(name) {
      const entry = entries.get(name);
      if (!entry) throw new WeightsError(`${source} has no ${name}`);
      const h = entry.headerOffset;
      if (h + 30 > bytes.length || view.getUint32(h, true) !== LOCAL)
        throw new WeightsError(`${source} is damaged (entry ${name} has no local header)`);
      const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
      const stop = start + entry.compressedSize;
      if (stop > bytes.length) throw new WeightsError(`${source} is truncated (entry ${name} ends past the end of the file)`);
      const raw = bytes.subarray(start, stop);
      if (entry.method === 0) return raw;
      if (entry.method !== 8)
        throw new WeightsError(`${source}: entry ${name} uses zip compression method ${entry.method}; supported: stored, deflate`);
      try {
        return new Uint8Array(inflateRawSync(raw));
      } catch {
        throw new WeightsError(`${source} is damaged (entry ${name} does not inflate)`);
      }
    },
  };
}

/** One file to put in an archive. */
export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** Deflate it (default false: stored, as Python's `zipfile.ZipFile(f, 'w')` and so Keras 3 write `.keras`). */
  deflate?: boolean;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, the zip checksum); node:zlib only has one from Node 22 on. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A zip archive of `files` (no zip64: each file and the whole archive under 4 GiB). Entries are
 * dated 1980-01-01 so the same files give the same bytes.
 */
export function writeZip(files: readonly ZipInput[]): Uint8Array {
  const encoder = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const file of files) {
    const name = encoder.encode(file.name);
    const body = file.deflate ? new Uint8Array(deflateRawSync(file.data)) : file.data;
    if (body.length >= 0xffffffff || file.data.length >= 0xffffffff || offset >= 0xffffffff)
      throw new WeightsError(`${file.name} is too large for a zip archive without zip64`);
    const fields = (view: DataView, at: number) => {
      view.setUint16(at, 20, true); // version needed: 2.0
      view.setUint16(at + 2, 0x0800, true); // flags: names are UTF-8
      view.setUint16(at + 4, file.deflate ? 8 : 0, true);
      view.setUint16(at + 6, 0, true); // time 00:00
      view.setUint16(at + 8, (0 << 9) | (1 << 5) | 1, true); // date 1980-01-01
      view.setUint32(at + 10, crc32(file.data), true);
      view.setUint32(at + 14, body.length, true);
      view.setUint32(at + 18, file.data.length, true);
      view.setUint16(at + 22, name.length, true);
      view.setUint16(at + 24, 0, true); // extra field length
    };
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, LOCAL, true);
    fields(lv, 4);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, CENTRAL, true);
    cv.setUint16(4, 20, true); // version made by: 2.0, MS-DOS attributes
    fields(cv, 6);
    // comment length, disk number, internal and external attributes: 0
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, body);
    centrals.push(central);
    offset += local.length + body.length;
  }
  const dirSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, EOCD, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, dirSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + dirSize + 22);
  let at = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
