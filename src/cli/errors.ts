/**
 * One-line errors for the CLI. Anything thrown by a command becomes `mobilenetv3: <message>` on
 * stderr and a non-zero exit code: 2 for a command line that cannot work (unknown or bad option
 * values, model options the builder refuses), 1 for everything else (bad files, bad data, failed
 * downloads). Stack traces only with MOBILENETV3_DEBUG=1.
 */
import { OptionError } from '../architecture/options.js';
import { InvalidValueError } from '../errors.js';

/** Library option names whose flag is not their kebab-case (`fineTune` is `--fine-tune` by the rule). */
const FLAGS: Record<string, string> = {
  inputShape: '--input-size',
  dropoutRate: '--dropout',
  includeTop: '--no-top',
  includePreprocessing: '--no-preprocessing',
  learningRate: '--lr',
  fineTuneLearningRate: '--fine-tune-lr',
  batchSize: '--batch',
  warmupEpochs: '--warmup',
};

/** The CLI flag of a library option name. */
export function flagOf(option: string): string {
  return FLAGS[option] ?? `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The one line the CLI prints: a library's bad option value is worded with the CLI's flag. */
export function cliMessage(error: unknown): string {
  const hint = error instanceof InvalidValueError || error instanceof OptionError ? error : undefined;
  if (hint?.option && hint.label && hint.message.startsWith(hint.label)) return flagOf(hint.option) + hint.message.slice(hint.label.length);
  return oneLine(error);
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The first line of an error's message, without the noise libraries prepend. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (
    message
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean)[0] ?? 'unknown error'
  );
}

export function reportAndExit(error: unknown): never {
  if (process.env.MOBILENETV3_DEBUG) console.error(error);
  process.stderr.write(`mobilenetv3: ${cliMessage(error)}\n`);
  // A bad option value (the builder's or any library check's) is a command line that cannot work.
  process.exit(error instanceof CliError ? error.exitCode : error instanceof OptionError || error instanceof InvalidValueError ? 2 : 1);
}
