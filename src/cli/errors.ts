/**
 * One-line errors for the CLI. Anything thrown by a command becomes `mobilenetv3: <message>` on
 * stderr and a non-zero exit code: 2 for a command line that cannot work (unknown or bad option
 * values, model options the builder refuses), 1 for everything else (bad files, bad data, failed
 * downloads). Stack traces only with MOBILENETV3_DEBUG=1.
 */
import { OptionError } from '../architecture/options.js';

export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** The first line of an error's message, without the noise libraries prepend. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n').map((s) => s.trim()).filter(Boolean)[0] ?? 'unknown error';
}

export function reportAndExit(error: unknown): never {
  if (process.env.MOBILENETV3_DEBUG) console.error(error);
  process.stderr.write(`mobilenetv3: ${oneLine(error)}\n`);
  process.exit(error instanceof CliError ? error.exitCode : error instanceof OptionError ? 2 : 1);
}
