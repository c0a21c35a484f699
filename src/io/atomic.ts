/**
 * Atomic file output: write next to the target under a temporary name, then rename. A crash,
 * Ctrl-C or error never leaves a partly written file at the target path.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';

/** A temporary sibling path of `target` (same directory, so rename is atomic). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Create the file through `produce(tempPath)`, then move it into place; clean up on failure. */
export async function withAtomicFile<T>(target: string, produce: (tempPath: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(target), { recursive: true });
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
