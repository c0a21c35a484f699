/**
 * A problem with a weights file or download that the user can fix (wrong file, truncated file,
 * wrong model options, no network). The message is one line that says what to do.
 */
export class WeightsError extends Error {
  override name = 'WeightsError';
}
