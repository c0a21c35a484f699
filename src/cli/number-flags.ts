/**
 * Number-valued flags, parsed one way in every command: a bad value is one line naming the flag,
 * what it takes and what it got, with exit code 2 (a usage error, as Commander's own).
 */
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
