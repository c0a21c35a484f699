/**
 * Number-valued flags, parsed one way in every command: a bad value is one line naming the flag,
 * what it takes and what it got, with exit code 2 (a usage error, as Commander's own).
 */
import { availableParallelism } from 'node:os';
import { CliError } from './errors.js';

/** `text` as a finite number that passes `check`, or a CliError saying the flag must be `what`. */
export function numberFlag(flag: string, text: string, check: (n: number) => boolean = () => true, what = 'a number'): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !check(n)) throw new CliError(`--${flag} must be ${what}, got "${text}"`, 2);
  return n;
}

export function wholeNumberFlag(flag: string, text: string, min = 1): number {
  return numberFlag(flag, text, (n) => Number.isInteger(n) && n >= min, `a whole number of at least ${min}`);
}

/** A centre-crop fraction of the shorter side: (0, 1]. */
export function cropFlag(text: string): number {
  return numberFlag('crop', text, (n) => n > 0 && n <= 1, 'a fraction in (0, 1]');
}

/**
 * ONNX Runtime threads: 1 to the number of cores here. More threads than cores only take turns
 * (999 on 2 cores crawls), so such a value is a mistake worth saying, not silently slow.
 */
export function threadsFlag(text: string): number {
  const cores = availableParallelism();
  return numberFlag(
    'threads',
    text,
    (n) => Number.isInteger(n) && n >= 1 && n <= cores,
    `a whole number from 1 to ${cores} (the CPU cores here)`,
  );
}

/** The largest input side accepted: 9x ImageNet's 224; beyond it one image's activations take gigabytes. */
export const MAX_INPUT_SIDE = 2048;

/** "224" -> [224, 224]; "257x311" -> [257, 311] (height x width); anything else, or a side past MAX_INPUT_SIDE, exits 2. */
export function inputSizeFlag(text: string): [number, number] {
  const match = /^\s*(\d+)\s*(?:[x×]\s*(\d+)\s*)?$/i.exec(text);
  if (!match) throw new CliError(`--input-size must be N or HxW (e.g. 224 or 257x311), got "${text}"`, 2);
  const h = Number(match[1]);
  const w = match[2] === undefined ? h : Number(match[2]);
  if (h > MAX_INPUT_SIDE || w > MAX_INPUT_SIDE)
    throw new CliError(`--input-size must be at most ${MAX_INPUT_SIDE} on each side, got "${text}"`, 2);
  return [h, w];
}
