/**
 * What kind of weights a `--weights` source names, from its name alone; apart from load.ts so
 * asking loads no reader (h5wasm, the .pth unpickler, TF.js).
 */
import { extname } from 'node:path';

/** Keras 3 names its weights files `x.weights.h5` (and requires that name). */
export function isKeras3WeightsPath(source: string): boolean {
  return /\.weights\.h5$/i.test(source);
}

export function isTfjsModelPath(source: string): boolean {
  return extname(source).toLowerCase() === '.json';
}

export function isPthPath(source: string): boolean {
  return /\.(pth|pt)$/i.test(source);
}

/** A Keras 3 `.keras` archive (config + weights in a zip). */
export function isKerasArchivePath(source: string): boolean {
  return /\.keras$/i.test(source);
}
