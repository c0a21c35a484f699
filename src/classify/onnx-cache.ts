/**
 * A cache of exported ONNX models, so that classifying with `--weights x.h5` on the ONNX engine
 * pays for TF.js, the .h5 reader and the export only once: the key is the weights' SHA-256, the
 * resolved model options and the exporter revision. Files are written atomically.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedOptions } from '../architecture/options.js';
import { writeFileAtomic } from '../io/atomic.js';
import { cacheDir } from '../io/cache-dir.js';
import { MAX_BYTES, readRegularFile } from '../io/read-file.js';

/** Bump when the exporter's output changes, so old cache entries are not used. */
export const ONNX_EXPORT_REVISION = 4;

export function onnxCachePath(weights: Uint8Array, options: ResolvedOptions): string {
  const hash = createHash('sha256');
  hash.update(`mobilenetv3-onnx-${ONNX_EXPORT_REVISION}\n${JSON.stringify(options)}\n`);
  hash.update(weights);
  return join(cacheDir(), 'onnx', `${hash.digest('hex').slice(0, 32)}.onnx`);
}

/** A cache entry's bytes, or undefined when there is none (or it is not a regular file). */
export async function readCached(path: string): Promise<Uint8Array | undefined> {
  return readRegularFile(path, { maxBytes: MAX_BYTES.onnx, what: 'cached ONNX model' }).catch(() => undefined);
}

/** A cache entry that failed to load (truncated, from a crash or a full disk): gone, so it is rebuilt. */
export async function dropCached(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}

/** A model or weights file the user named: its bytes, or one line saying why not. */
export function readInputFile(path: string, what: string): Promise<Uint8Array> {
  return readRegularFile(path, { maxBytes: MAX_BYTES.onnx, what });
}

/** Best effort: a read-only cache folder must not make classification fail. */
export async function writeCached(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes).catch(() => undefined);
}
