/**
 * Atomic file output: write next to the target under a temporary name, then rename. A crash,
 * Ctrl-C or error never leaves a partly written file at the target path.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

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
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new Error(`cannot write ${target}: ${dirname(target)} or a folder above it is a file`);
    throw error;
  }
  if ((await stat(target).catch(() => undefined))?.isDirectory()) throw new Error(`cannot write ${target}: it is a folder`);
}

/** Create the file through `produce(tempPath)`, then move it into place; clean up on failure. */
export async function withAtomicFile<T>(target: string, produce: (tempPath: string) => Promise<T>): Promise<T> {
  await prepareTarget(target);
  const temp = tempPathFor(target);
  try {
    const result = await produce(temp);
    await rename(temp, target);
    return result;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  return withAtomicFile(target, (temp) => writeFile(temp, data));
}
