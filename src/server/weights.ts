/**
 * Which files `serve --weights` offers the page: one Keras .h5 file, or a TF.js model.json with
 * the weight shards its manifest names. Checked up front so a typo is a one-line error at start,
 * not a failed fetch in the browser.
 */
import { open, stat } from 'node:fs/promises';
import { MAX_BYTES, readRegularFile } from '../io/read-file.js';
import { basename, dirname, extname, resolve } from 'node:path';

export interface ServedWeights {
  format: 'h5' | 'tfjs';
  name: string;
  /** URL path the page fetches first (the .h5 file or model.json). */
  url: string;
  bytes: number;
  /** URL path -> file on disk. */
  files: Map<string, string>;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

async function size(file: string, what: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error(`${what} ${file} is not a file`);
    return info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${what} not found: ${file}`);
    throw error;
  }
}

/** Whether the file begins with `signature`, reading only that many bytes (weights files are large). */
async function startsWith(file: string, signature: Buffer): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(signature.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(signature);
  } finally {
    await handle.close();
  }
}

export async function weightsToServe(path: string): Promise<ServedWeights> {
  const file = resolve(path);
  const ext = extname(file).toLowerCase();
  if (ext === '.h5' || ext === '.hdf5' || ext === '.keras') {
    const bytes = await size(file, 'weights file');
    if (!(await startsWith(file, HDF5_SIGNATURE))) throw new Error(`${file} is not an HDF5 file (no HDF5 signature)`);
    const url = `/weights/${encodeURIComponent(basename(file))}`;
    return { format: 'h5', name: basename(file), url, bytes, files: new Map([[decodeURIComponent(url), file]]) };
  }
  if (ext === '.json') {
    let bytes = await size(file, 'model.json');
    let manifest: { weightsManifest?: { paths?: string[] }[] };
    try {
      manifest = JSON.parse(new TextDecoder().decode(await readRegularFile(file, { maxBytes: MAX_BYTES.text, what: 'model.json' })));
    } catch {
      throw new Error(`${file} is not valid JSON (expected a TF.js model.json)`);
    }
    if (!Array.isArray(manifest.weightsManifest)) throw new Error(`${file} has no weightsManifest: not a TF.js model.json`);
    const files = new Map([['/weights/model.json', file]]);
    for (const group of manifest.weightsManifest) {
      for (const shard of group.paths ?? []) {
        const shardFile = resolve(dirname(file), shard);
        if (dirname(shardFile) !== dirname(file)) throw new Error(`weight shard "${shard}" lies outside the folder of ${basename(file)}`);
        bytes += await size(shardFile, 'weight shard');
        files.set(`/weights/${basename(shardFile)}`, shardFile);
      }
    }
    return { format: 'tfjs', name: basename(file), url: '/weights/model.json', bytes, files };
  }
  throw new Error(`unsupported weights file ${basename(file)}: use a Keras .h5 file or a TF.js model.json`);
}
