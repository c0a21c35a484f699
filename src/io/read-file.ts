/**
 * The one way this package reads a whole input file: only a regular file (a named pipe would block
 * forever, /dev/zero would never end, a folder is no file), never more than a cap (checked on the
 * file's size before a byte is allocated), with the reason in words when it cannot (no such file,
 * no permission, ...). Every reader of user files goes through `readRegularFile`.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';

const MiB = 1024 * 1024;

/** Caps by kind of input: far above any real file of the kind, far below what would exhaust memory. */
export const MAX_BYTES = {
  /** Weights (.h5, .pth, .keras, safetensors, model.weights.bin): MobileNetV3-Large at alpha 1 is 22 MB. */
  weights: 1024 * MiB,
  /** ONNX models (exported MobileNetV3s are 10-22 MB). */
  onnx: 1024 * MiB,
  /** Encoded images: a 100-megapixel 16-bit TIFF is about 600 MB. */
  image: 768 * MiB,
  /** JSON and text files: labels, class indexes, model.json. */
  text: 64 * MiB,
  /** Training checkpoints (trained layers + Adam's two moments). */
  checkpoint: 1024 * MiB,
} as const;

/** Why a file cannot be read, as `code` (stable) and `reason` (words for a one-line message). */
export class FileReadError extends Error {
  override name = 'FileReadError';
  constructor(
    readonly path: string,
    readonly code: string,
    readonly reason: string,
    what = 'file',
  ) {
    super(`cannot read ${what} ${path}: ${reason}`);
  }
}

function formatBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(n >= 100 * MiB ? 0 : 1)} MiB` : `${n} bytes`;
}

/** The words for a file system error code, as a user would want them. */
export function reasonOfCode(code: string | undefined, fallback: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOTDIR':
      return 'part of the path is a file, not a folder';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return fallback;
  }
}

/** What a non-regular file is, for the message. */
function kindOf(info: import('node:fs').Stats): string {
  if (info.isDirectory()) return 'it is a folder, not a file';
  if (info.isFIFO()) return 'it is a named pipe, not a regular file';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'it is a device, not a regular file';
  if (info.isSocket()) return 'it is a socket, not a regular file';
  return 'not a regular file';
}

export interface ReadOptions {
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** Noun for messages ("weights file", "image"). */
  what?: string;
}

/**
 * Check that `path` is a regular file of at most `maxBytes` without opening it (so a FIFO is
 * never opened: opening one for reading blocks until a writer comes). Returns its size.
 */
export async function checkRegularFile(path: string, { maxBytes, what = 'file' }: ReadOptions): Promise<number> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new FileReadError(path, code, reasonOfCode(code, (error as Error).message), what);
  }
  if (!info.isFile()) throw new FileReadError(path, info.isDirectory() ? 'EISDIR' : 'ENOTREG', kindOf(info), what);
  if (info.size > maxBytes) {
    throw new FileReadError(
      path,
      'EFBIG',
      `${formatBytes(info.size)} is more than any ${what} this reads (at most ${formatBytes(maxBytes)})`,
      what,
    );
  }
  return info.size;
}

/** The bytes of a regular file of at most `maxBytes`; FileReadError (one line) otherwise. */
export async function readRegularFile(path: string, options: ReadOptions): Promise<Uint8Array> {
  const what = options.what ?? 'file';
  await checkRegularFile(path, options);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: should the path have become a FIFO since the check, opening it does not block.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new FileReadError(path, code, reasonOfCode(code, (error as Error).message), what);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FileReadError(path, 'ENOTREG', kindOf(info), what);
    if (info.size > options.maxBytes) throw new FileReadError(path, 'EFBIG', `more than ${formatBytes(options.maxBytes)}`, what);
    // Read what the size said, no more: a file that grows while read cannot make this run on.
    const bytes = new Uint8Array(info.size);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await handle.read(bytes, done, bytes.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === bytes.length ? bytes : bytes.subarray(0, done);
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new FileReadError(path, code, reasonOfCode(code, (error as Error).message), what);
  } finally {
    await handle.close();
  }
}

/** A regular text file (UTF-8) of at most MAX_BYTES.text. */
export async function readTextFile(path: string, what = 'file'): Promise<string> {
  return new TextDecoder().decode(await readRegularFile(path, { maxBytes: MAX_BYTES.text, what }));
}
