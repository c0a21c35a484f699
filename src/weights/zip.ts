/**
 * A small read-only zip reader: the central directory, stored and deflated entries (Node's zlib).
 * Enough for what torch.save writes (stored entries, 64-byte aligned) and for Keras 3's `.keras`
 * archives (deflated); zip64 and encryption are refused. Every malformed or truncated archive is
 * one `WeightsError` line naming the file.
 */
import { inflateRawSync } from 'node:zlib';
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
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL) throw new WeightsError(`${source} is damaged (central directory entry ${i} is malformed)`);
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
      if (h + 30 > bytes.length || view.getUint32(h, true) !== LOCAL) throw new WeightsError(`${source} is damaged (entry ${name} has no local header)`);
      const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
      const stop = start + entry.compressedSize;
      if (stop > bytes.length) throw new WeightsError(`${source} is truncated (entry ${name} ends past the end of the file)`);
      const raw = bytes.subarray(start, stop);
      if (entry.method === 0) return raw;
      if (entry.method !== 8) throw new WeightsError(`${source}: entry ${name} uses zip compression method ${entry.method}; supported: stored, deflate`);
      try {
        return new Uint8Array(inflateRawSync(raw));
      } catch {
        throw new WeightsError(`${source} is damaged (entry ${name} does not inflate)`);
      }
    },
  };
}
