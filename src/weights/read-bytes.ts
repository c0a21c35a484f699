/** Reading a weights file's bytes, apart from h5-file.ts so readers of other formats load no h5wasm. */
import { readFile } from 'node:fs/promises';
import { WeightsError } from './errors.js';

/** Read a file, with "not found" and friends as one-line WeightsErrors. */
export async function readWeightsBytes(path: string, what = 'weights file'): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WeightsError(`${what} not found: ${path}`);
    if (code === 'EISDIR') throw new WeightsError(`${what} is a directory, not a file: ${path}`);
    if (code === 'EACCES') throw new WeightsError(`no permission to read ${what}: ${path}`);
    throw new WeightsError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}
