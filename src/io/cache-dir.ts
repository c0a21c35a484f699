/**
 * The package's cache folder, shared by downloaded weights and cached ONNX exports:
 * env MOBILENETV3_CACHE, else `$XDG_CACHE_HOME/mobilenetv3` (default ~/.cache/mobilenetv3).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  if (process.env.MOBILENETV3_CACHE) return process.env.MOBILENETV3_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mobilenetv3');
}
