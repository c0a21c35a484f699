/**
 * Start `mobilenetv3 serve` from the sources in a child process and wait for its URL; used by the
 * browser test and scripts/web-timing.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Build the page into dist/web from the current sources (a stale build would test old code). */
export function buildWeb(): void {
  const r = spawnSync('npm', ['run', '--silent', 'build:web'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build:web failed:\n${r.stdout}\n${r.stderr}`);
}

/** Run the CLI from the sources to completion. */
export function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Served {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function startServe(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const match = /(http:\/\/\S+\/)/.exec(stdout);
      if (match) resolve({ url: match[1], child, stop });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr.trim()}`)));
  });
}
