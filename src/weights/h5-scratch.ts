/**
 * h5wasm, used one way by every HDF5 reader and writer (Keras legacy .h5, Keras 3 .weights.h5):
 * the module loaded once with the HDF5 C library's diagnostic dump (dozens of lines on stderr)
 * sent to /dev/null, and a file read or written through a scratch path of its in-memory file
 * system that is always removed. No Node imports: the browser runs the same code.
 */
import * as h5wasm from 'h5wasm';
import { WeightsError } from './errors.js';

type H5Module = Awaited<typeof h5wasm.ready>;
let ready: Promise<H5Module> | undefined;
let counter = 0;

function h5(): Promise<H5Module> {
  ready ??= h5wasm.ready.then((module) => {
    const fs = module.FS as unknown as {
      getStream(fd: number): unknown;
      close(stream: unknown): void;
      open(path: string, mode: string): { fd: number };
    };
    try {
      fs.close(fs.getStream(2));
      fs.open('/dev/null', 'w'); // takes the lowest free descriptor: 2
    } catch {
      // Diagnostics stay visible; errors are still turned into one-line messages.
    }
    return module;
  });
  return ready;
}

function scratchPath(): string {
  counter += 1;
  return `/mobilenetv3-${Date.now().toString(36)}-${counter}.h5`;
}

function unlink(module: H5Module, path: string): void {
  try {
    module.FS.unlink(path);
  } catch {
    /* never written */
  }
}

/**
 * Open `bytes` as an HDF5 file and `read` it. Anything but a WeightsError from h5wasm (plain
 * strings, HDF5's terse wording) becomes one line naming `label`: a truncated file is by far the
 * usual cause.
 */
export async function readH5<T>(bytes: Uint8Array | ArrayBuffer, label: string, read: (file: h5wasm.File) => T): Promise<T> {
  const module = await h5();
  const path = scratchPath();
  module.FS.writeFile(path, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  let file: h5wasm.File | undefined;
  try {
    file = new h5wasm.File(path, 'r');
    if (file.file_id < 0n) throw new WeightsError(`${label} is not an HDF5 file, or it is truncated or corrupt`);
    return read(file);
  } catch (error) {
    if (error instanceof WeightsError) throw error;
    throw new WeightsError(
      `${label} could not be read as HDF5 (truncated or corrupt?): ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    try {
      if (file && file.file_id >= 0n) file.close();
    } catch {
      /* already failed */
    }
    unlink(module, path);
  }
}

/** A new HDF5 file filled by `write`, as bytes. */
export async function writeH5(write: (file: h5wasm.File) => void): Promise<Uint8Array> {
  const module = await h5();
  const path = scratchPath();
  const file = new h5wasm.File(path, 'w');
  let closed = false;
  try {
    write(file);
    file.flush();
    file.close();
    closed = true;
    return new Uint8Array(module.FS.readFile(path));
  } finally {
    // Closing twice makes HDF5 print a diagnostic: only close what is still open.
    if (!closed) {
      try {
        file.close();
      } catch {
        /* failed while writing */
      }
    }
    unlink(module, path);
  }
}
