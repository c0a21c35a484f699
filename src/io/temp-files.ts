/**
 * The one registry of temporary files in flight (atomic writes, downloads): a `finally` does not
 * run when the process is killed by a signal or calls process.exit, so they are removed here too.
 *
 * - on 'exit' (process.exit anywhere, e.g. train's second Ctrl-C): removed synchronously;
 * - on SIGINT / SIGTERM / SIGHUP with no other listener: removed, then the signal is raised again
 *   with the default action restored, so the process dies of it exactly as it would have;
 * - when someone else listens (train finishes its step on Ctrl-C, serve closes its server), that
 *   listener decides; the files go when the process exits or their write ends.
 *
 * Handlers are installed only while a file is in flight, so nothing changes when there is none.
 */
import { rmSync } from 'node:fs';

const inFlight = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeAll(): void {
  for (const path of inFlight) {
    try {
      rmSync(path, { force: true });
    } catch {
      // Nothing more can be done while exiting.
    }
  }
  inFlight.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener owns this signal (a graceful stop): leave the decision to it.
  if (process.listenerCount(signal) > 1) return;
  removeAll();
  uninstall();
  process.kill(process.pid, signal);
}

let installed = false;
function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', removeAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', removeAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Register a temporary file being written; it is removed if the process is stopped before `untrackTempFile`. */
export function trackTempFile(path: string): void {
  inFlight.add(path);
  install();
}

export function untrackTempFile(path: string): void {
  inFlight.delete(path);
  if (inFlight.size === 0) uninstall();
}

/** The temporary files in flight now (for tests). */
export function tempFilesInFlight(): string[] {
  return [...inFlight];
}
