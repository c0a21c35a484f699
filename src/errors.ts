/**
 * The library's error vocabulary, shared by every folder: one-line messages in one style
 * (`<name> must be <expected>, got <actual>`, as sharp words its checks), naming the library's
 * own option (`fineTune`, `inputShape`), never a CLI flag: the error carries the option's name,
 * and the CLI (src/cli/errors.ts) turns it into its flag (`--fine-tune`). No Node imports.
 */

/** How a received value is shown in a message: strings quoted, arrays joined, the rest as is. */
export function showValue(actual: unknown): string {
  if (typeof actual === 'string') return `"${actual}"`;
  if (Array.isArray(actual)) return `[${actual.map(showValue).join(', ')}]`;
  return String(actual);
}

/**
 * A bad value of a named option: `<label> must be <expected>, got <actual>`. `option` is the
 * library's name, which the CLI maps to its flag; `label` how the message names it (default the
 * option, e.g. 'input size' for `inputShape`).
 */
export class InvalidValueError extends Error {
  override name = 'InvalidValueError';
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly actual: unknown,
    readonly label: string = option,
  ) {
    super(`${label} must be ${expected}, got ${showValue(actual)}`);
  }
}

/** The one-line error for a bad option value: `invalidValue('alpha', 'a number in (0, 4]', 0)`. */
export function invalidValue(option: string, expected: string, actual: unknown, label?: string): InvalidValueError {
  return new InvalidValueError(option, expected, actual, label);
}

/** Unusable input data (a training folder, an evaluation folder, a class index); one line. */
export class DataError extends Error {
  override name = 'DataError';
}
