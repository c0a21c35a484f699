/** Reading a weights file's bytes, apart from h5-file.ts so readers of other formats load no h5wasm. */
import { FileReadError, MAX_BYTES, readRegularFile } from '../io/read-file.js';
import { WeightsError } from './errors.js';

/** Read a file (regular files only, size capped), with "not found" and friends as one-line WeightsErrors. */
export async function readWeightsBytes(path: string, what = 'weights file'): Promise<Uint8Array> {
  try {
    return await readRegularFile(path, { maxBytes: MAX_BYTES.weights, what });
  } catch (error) {
    const code = error instanceof FileReadError ? error.code : (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WeightsError(`${what} not found: ${path}`);
    if (code === 'EISDIR') throw new WeightsError(`${what} is a directory, not a file: ${path}`);
    if (code === 'EACCES') throw new WeightsError(`no permission to read ${what}: ${path}`);
    throw new WeightsError(error instanceof FileReadError ? error.message : `cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}
