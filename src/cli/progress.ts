/**
 * Progress bars for long work, on stderr so stdout stays clean for tables and --json. Drawn only
 * on a terminal; in pipes, CI logs and tests they stay silent.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Whether the bar is drawn (false in pipes, CI and tests, where callers may log lines instead). */
  readonly visible: boolean;
  /** Advance by `n` (default 1), optionally updating the named payload fields shown in the bar. */
  tick(n?: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/** `fields`: extra payload tokens, e.g. 'loss {loss}'; `initial` gives their values before the first tick. */
export function progressBar(label: string, total: number, fields = '', initial: Record<string, string | number> = {}): Progress {
  if (!process.stderr.isTTY || process.env.CI) return { visible: false, tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}${fields ? ' | ' + fields : ''}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, initial);
  return {
    visible: true,
    tick(n = 1, payload) {
      bar.increment(n, payload);
    },
    stop() {
      bar.stop();
    },
  };
}
