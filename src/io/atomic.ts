/**
 * Atomic file output: write next to the target under a temporary name, then rename. A crash,
 * Ctrl-C or error never leaves a partly written file at the target path, and the temporary file
 * itself is removed on error, on process exit and on SIGINT / SIGTERM / SIGHUP (temp-files.ts).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { reasonOfCode } from './read-file.js';
import { trackTempFile, untrackTempFile } from './temp-files.js';

/** A temporary sibling path of `target` (same directory, so rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Make the target's folder, and say in one line (before any work is done) when the target cannot be a file. */
async function prepareTarget(target: string): Promise<void> {
  try {
    await mkdir(dirname(target), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new Error(`cannot write ${target}: ${dirname(target)} or a folder above it is a file`);
    throw writeError(target, error);
  }
  if ((await stat(target).catch(() => undefined))?.isDirectory()) throw new Error(`cannot write ${target}: it is a folder`);
  // Before any work, and in words about the folder (libvips would name the temporary file).
  await access(dirname(target), constants.W_OK).catch((error: unknown) => {
    throw writeError(target, error);
  });
}

const WRITE_ERRORS = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EISDIR',
  'ENOTDIR',
  'ENAMETOOLONG',
  'EMFILE',
  'ENFILE',
  'EXDEV',
]);

/**
 * A file system error while writing, told about the file the user named: the temporary name
 * (".a.svg.09c273a0.tmp") means nothing to them. Errors that are not the file system's pass.
 */
function writeError(target: string, error: unknown, temp?: string): unknown {
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  const ours = path === undefined || path === temp || path === target || path === dirname(target);
  if (typeof code !== 'string' || !WRITE_ERRORS.has(code) || !ours) {
    // A library's own message (libvips: "unable to open file .a.png.1f2e.tmp") names the target instead.
    if (temp && error instanceof Error && error.message.includes(temp)) error.message = error.message.split(temp).join(target);
    return error;
  }
  const reason =
    code === 'ENOSPC'
      ? 'no space left on the device'
      : code === 'EROFS'
        ? 'read-only file system'
        : code === 'EDQUOT'
          ? 'disk quota exceeded'
          : reasonOfCode(code, code);
  const where = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? ` (folder ${dirname(target)})` : '';
  return new Error(`cannot write ${target}: ${reason}${where}`);
}

/** Create the file through `produce(tempPath)`, then move it into place; clean up on failure. */
export async function withAtomicFile<T>(target: string, produce: (tempPath: string) => Promise<T>): Promise<T> {
  await prepareTarget(target);
  const temp = tempPathFor(target);
  trackTempFile(temp);
  try {
    const result = await produce(temp);
    await rename(temp, target);
    return result;
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw writeError(target, error, temp);
  } finally {
    untrackTempFile(temp);
  }
}

export function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  return withAtomicFile(target, (temp) => writeFile(temp, data));
}
