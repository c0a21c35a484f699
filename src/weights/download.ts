/**
 * Downloading published weights into a cache, the way Keras's `get_file` does it and a bit more
 * carefully: the cached file is used when its MD5 is right (re-fetched otherwise); a download
 * streams to a temporary file beside the target with a progress bar, is checked for length and
 * MD5, and only then renamed into place. A bad download is deleted and reported in one line; with
 * no network the message says how to pass a local file instead. A server that accepts the
 * connection and then says nothing (or stops sending) is given up on after an idle timeout.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { progressBar } from '../cli/progress.js';
import { withAtomicFile } from '../io/atomic.js';
import { cacheDir } from '../io/cache-dir.js';
import { MAX_BYTES } from '../io/read-file.js';
import { WeightsError } from './errors.js';
import type { ModelOptions } from '../architecture/options.js';
import { findImagenetWeights, KERAS_WEIGHTS_URL } from './imagenet.js';

/** What to fetch: a file name under the base URL and the MD5 it must have (or the start of its SHA-256). */
export interface RemoteFile {
  readonly fileName: string;
  /** The full MD5 (Keras publishes these); or, when only that is known, */
  readonly md5?: string;
  /** the first hex digits of the SHA-256 (torchvision puts 8 of them in its file names). */
  readonly sha256Prefix?: string;
  /** Where it is published when that is not under Keras's weights folder (a mirror still wins). */
  readonly url?: string;
  /** How to hand over a local copy instead, for the error message (default: `--weights`). */
  readonly localCopy?: string;
}

export interface DownloadOptions {
  /** Base URL (a folder, ending in '/'); default env MOBILENETV3_WEIGHTS_URL, else Keras's bucket. */
  baseUrl?: string;
  /** Cache folder; default env MOBILENETV3_CACHE, else $XDG_CACHE_HOME/mobilenetv3 (~/.cache/mobilenetv3). */
  cacheDir?: string;
  /** Draw a progress bar on a terminal (default true; silent when stderr is not a TTY). */
  progress?: boolean;
  /**
   * Seconds without progress (no connection, no headers, no bytes) before giving up; default env
   * MOBILENETV3_DOWNLOAD_TIMEOUT, else 30.
   */
  timeoutSeconds?: number;
}

function timeoutOf(options: DownloadOptions): number {
  const fromEnv = Number(process.env.MOBILENETV3_DOWNLOAD_TIMEOUT);
  const seconds = options.timeoutSeconds ?? (fromEnv > 0 ? fromEnv : 30);
  return seconds * 1000;
}

/** An abort signal that fires after `ms` without a call to `touch()`: a connect and idle timeout in one. */
function idleTimer(ms: number): { signal: AbortSignal; touch(): void; fired(): boolean; stop(): void } {
  const controller = new AbortController();
  let fired = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fired = true;
      controller.abort();
    }, ms);
  };
  touch();
  return { signal: controller.signal, touch, fired: () => fired, stop: () => clearTimeout(timer) };
}

export function weightsBaseUrl(): string {
  return process.env.MOBILENETV3_WEIGHTS_URL || KERAS_WEIGHTS_URL;
}

/** A mirror (option, then env) serves every file by name; without one each file comes from where it is published. */
function remoteUrl(file: RemoteFile, baseUrl: string | undefined): string {
  const mirror = baseUrl ?? process.env.MOBILENETV3_WEIGHTS_URL;
  if (!mirror && file.url) return file.url;
  const base = mirror || KERAS_WEIGHTS_URL;
  return new URL(file.fileName, base.endsWith('/') ? base : `${base}/`).href;
}

/** Where downloads go: the package's one cache folder (src/io/cache-dir.ts). */
export const weightsCacheDir = cacheDir;

/** Which digest checks the file, and whether a hex digest of it passes. */
function checkOf(file: RemoteFile): { algorithm: 'md5' | 'sha256'; ok(hex: string): boolean; expected: string } {
  if (file.md5) return { algorithm: 'md5', ok: (hex) => hex === file.md5, expected: file.md5 };
  if (!file.sha256Prefix) throw new WeightsError(`no hash is known for ${file.fileName}`);
  const prefix = file.sha256Prefix.toLowerCase();
  return { algorithm: 'sha256', ok: (hex) => hex.startsWith(prefix), expected: `${prefix}... (only this prefix is published)` };
}

export async function md5OfFile(path: string, algorithm: 'md5' | 'sha256' = 'md5'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The underlying reason of a failed fetch (undici wraps it as "fetch failed"). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function offlineHint(file: RemoteFile): string {
  const local = file.localCopy ?? `--weights path/to/${file.fileName} (or weights: '<path>' in the API)`;
  return `download ${file.fileName} elsewhere and pass it as ${local}, or set MOBILENETV3_WEIGHTS_URL to a mirror`;
}

/**
 * The path of `file` in the cache, downloading it first if it is missing or its MD5 is wrong.
 * Throws WeightsError (one line) on HTTP errors, network failure, a cut-off transfer or a wrong MD5.
 */
export async function fetchCached(file: RemoteFile, options: DownloadOptions = {}): Promise<string> {
  const folder = options.cacheDir ?? cacheDir();
  const target = join(folder, file.fileName);
  const check = checkOf(file);
  if ((await exists(target)) && check.ok(await md5OfFile(target, check.algorithm))) return target;

  const url = remoteUrl(file, options.baseUrl);
  const timeout = timeoutOf(options);
  const idle = idleTimer(timeout);
  const silent = () => `no answer from ${new URL(url).host} for ${timeout / 1000} s`;
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: idle.signal });
    } catch (error) {
      if (idle.fired())
        throw new WeightsError(`cannot download ${url}: ${silent()} (server not responding); try again later, or ${offlineHint(file)}`);
      throw new WeightsError(`cannot download ${url} (${networkReason(error)}): no network? ${offlineHint(file)}`);
    }
    idle.touch();
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new WeightsError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}; ${offlineHint(file)}`);
    }
    const expected = Number(response.headers.get('content-length')) || undefined;
    if (expected !== undefined && expected > MAX_BYTES.weights) {
      await response.body.cancel().catch(() => undefined);
      throw new WeightsError(`cannot download ${url}: the server announces ${expected} bytes, more than any weights file (wrong URL?)`);
    }

    await withAtomicFile(target, async (temp) => {
      const hash = createHash(check.algorithm);
      const out = await open(temp, 'w');
      const bar = options.progress === false ? undefined : progressBar(`downloading ${file.fileName}`, expected ?? 0);
      let received = 0;
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          idle.touch();
          received += chunk.length;
          if (received > MAX_BYTES.weights)
            throw new WeightsError(
              `download of ${url} sent more than ${MAX_BYTES.weights} bytes, more than any weights file (wrong URL?); the partial file was deleted`,
            );
          hash.update(chunk);
          await out.write(chunk);
          bar?.tick(chunk.length);
        }
      } catch (error) {
        if (error instanceof WeightsError) throw error;
        const why = idle.fired() ? `${silent()}: stalled` : networkReason(error);
        throw new WeightsError(
          `download of ${url} was cut off after ${received}${expected ? ` of ${expected}` : ''} bytes (${why}); the partial file was deleted, try again`,
        );
      } finally {
        bar?.stop();
        await out.close();
      }
      if (expected !== undefined && received !== expected) {
        throw new WeightsError(
          `download of ${url} was cut off after ${received} of ${expected} bytes; the partial file was deleted, try again`,
        );
      }
      const digest = hash.digest('hex');
      if (!check.ok(digest)) {
        throw new WeightsError(
          `downloaded ${file.fileName} has ${check.algorithm.toUpperCase()} ${digest}, expected ${check.expected}: corrupt download or wrong file at ${url}; deleted it`,
        );
      }
    });
  } finally {
    idle.stop();
  }
  return target;
}

/** Path of the cached ImageNet file for these model options (downloading it if needed). */
export async function imagenetWeightsPath(options: ModelOptions, download: DownloadOptions = {}): Promise<string> {
  const found = findImagenetWeights(options);
  if (typeof found === 'string') throw new WeightsError(found);
  return fetchCached(found, download);
}
