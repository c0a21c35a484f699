/**
 * The bad-input corpus's machinery: one CLI process per case (tsx, as test/cli.test.ts runs it)
 * with its own TMPDIR, HOME, cache and output folder, a 127.0.0.1 weights mirror that misbehaves
 * on request, and the checks every case gets (exit code, one stderr line of our own without a
 * stack trace, nothing left in the output folder, the cache, TMPDIR or HOME).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, cp, lstat, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

/** Permission cases need a user the permission bits apply to: as root, the CLI runs as nobody. */
export const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/**
 * Whether, as root, the permission cases can run at all: nobody must be able to reach the checkout
 * and its node_modules (a clone under a private folder, e.g. mktemp -d, is not). Otherwise they are
 * skipped with this reason, rather than failing on the environment.
 */
export function permissionCasesSkipped(): string | false {
  if (!AS_ROOT) return false;
  const probe = spawnSync(process.execPath, ['--import', 'tsx', '-e', '0'], {
    cwd: ROOT,
    uid: NOBODY,
    gid: NOBODY,
    stdio: 'ignore',
    timeout: 60_000,
  });
  return probe.status === 0
    ? false
    : `running as root and user nobody cannot read ${ROOT}: permission cases need a checkout other users can read`;
}

export interface Ctx {
  /** The case's own folder (inputs it makes go here). */
  dir: string;
  /** Output folder (does not exist at the start). */
  out: string;
  cache: string;
  tmp: string;
  home: string;
  /** The misbehaving mirror: `${mirror}/<mode>/` with mode ok, slow, silent, stall, truncated, badhash, reset, missing. */
  mirror: string;
  /** Shared fixtures made once (read-only by convention). */
  fix: string;
}

export interface Result {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  lines: string[];
}

export interface Case {
  name: string;
  args: (c: Ctx) => string[];
  setup?: (c: Ctx) => Promise<void>;
  env?: (c: Ctx) => Record<string, string>;
  /** Expected exit code (null with `signal`). */
  code: number | null;
  /** What the one stderr line (or, with `lines`, each) must say. */
  stderr?: RegExp;
  /** stderr lines expected (default: 1 on failure, any number of our own lines on success). */
  lines?: number;
  stdout?: RegExp;
  /** Extra checks on the result and the files. */
  check?: (r: Result, c: Ctx) => Promise<void> | void;
  /** Run as another user when the tests run as root (permission bits). */
  asUser?: boolean;
  /** Send this signal once `when` holds (polled), then expect the process to end of it. */
  signal?: { name: NodeJS.Signals; when: (c: Ctx, r: Result) => Promise<boolean> | boolean };
  /** Skip the "nothing left in the output folder" check for a case that succeeds in writing there. */
  writes?: boolean;
  /** Known to fail until another issue lands (test runs, marked todo). */
  todo?: string;
}

// --- the mirror ----------------------------------------------------------------------------------

export const MIRROR_BODY = new Uint8Array(64 * 1024).map((_, i) => (i * 31 + 7) & 255);

export async function startMirror(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const mode = (req.url ?? '').split('/')[1];
    const body = MIRROR_BODY;
    const head = () => res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    switch (mode) {
      case 'silent':
        return; // accepts, never answers
      case 'missing':
        res.writeHead(404, 'Not Found').end('no such file');
        return;
      case 'error':
        res.writeHead(500, 'Internal Server Error').end();
        return;
      case 'stall':
        head();
        res.write(body.subarray(0, 4096));
        return; // then nothing, kept open
      case 'truncated':
        head();
        res.end(body.subarray(0, 4096));
        return; // closes early
      case 'reset':
        head();
        res.write(body.subarray(0, 4096), () => res.socket?.resetAndDestroy());
        return;
      case 'badhash':
        head();
        res.end(body);
        return; // complete, but not the published file
      case 'slow': {
        // complete in 8 pieces, 250 ms apart: slower overall than the 1 s timeout, never idle that long
        head();
        let i = 0;
        const step = body.length / 8;
        const next = () => {
          if (i === 8) return void res.end();
          res.write(body.subarray(i * step, (i + 1) * step));
          i++;
          setTimeout(next, 250);
        };
        return next();
      }
      default:
        res.writeHead(404, 'Not Found').end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// --- running one case ----------------------------------------------------------------------------

export async function newCtx(root: string, index: number, mirror: string, fix: string): Promise<Ctx> {
  const dir = await mkdtemp(join(root, `case-${index}-`));
  const c: Ctx = { dir, out: join(dir, 'out'), cache: join(dir, 'cache'), tmp: join(dir, 'tmp'), home: join(dir, 'home'), mirror, fix };
  for (const d of [c.cache, c.tmp, c.home]) await mkdir(d);
  return c;
}

/**
 * tsx keeps its compiled files in $TMPDIR/tsx-<uid>; each case's fresh TMPDIR starts with a copy of
 * one warmed up here, so a case pays for its command, not for compiling the CLI again.
 */
let warmTsx: string | undefined;
export async function warmUp(root: string): Promise<void> {
  const tmp = join(root, 'tsx-warm');
  await mkdir(tmp);
  for (const args of [
    ['summary', '--arch', 'small', '--json'],
    ['weights', 'inspect', '/nonexistent.h5'],
    ['classify', '--help'],
  ]) {
    await new Promise<void>((resolve) =>
      spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: 'ignore' }).on(
        'close',
        () => resolve(),
      ),
    );
  }
  const [dir] = (await readdir(tmp)).filter((n) => /^tsx-\d+$/.test(n));
  warmTsx = dir ? join(tmp, dir) : undefined;
}

async function seedTsx(tmp: string, uid: number): Promise<void> {
  if (warmTsx) await cp(warmTsx, join(tmp, `tsx-${uid}`), { recursive: true });
}

async function chownTree(path: string): Promise<void> {
  const info = await lstat(path);
  await chown(path, NOBODY, NOBODY).catch(() => undefined);
  if (info.isDirectory()) for (const name of await readdir(path)) await chownTree(join(path, name));
}

/** Every file under `dir` (relative paths), links not followed. */
export async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...(await listTree(join(dir, e.name), rel)));
  }
  return out;
}

export async function runCase(k: Case, c: Ctx, timeoutMs = 90_000): Promise<Result> {
  await k.setup?.(c);
  const asUser = Boolean(k.asUser && AS_ROOT);
  await seedTsx(c.tmp, asUser ? NOBODY : (process.getuid?.() ?? 0));
  if (asUser) {
    await chmod(c.dir, 0o755);
    await chown(c.dir, NOBODY, NOBODY);
    for (const d of [c.cache, c.tmp, c.home]) await chownTree(d);
    // The case's inputs keep their modes (the unreadable ones stay unreadable) but become nobody's.
    for (const name of await readdir(c.dir)) if (!['cache', 'tmp', 'home'].includes(name)) await chownTree(join(c.dir, name));
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TMPDIR: c.tmp,
    HOME: c.home,
    XDG_CACHE_HOME: join(c.home, '.cache'),
    MOBILENETV3_CACHE: c.cache,
    MOBILENETV3_WEIGHTS_URL: `${c.mirror}/missing/`,
    MOBILENETV3_TORCHVISION_URL: `${c.mirror}/missing/`,
    MOBILENETV3_DOWNLOAD_TIMEOUT: '1',
    ...(k.env?.(c) ?? {}),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...k.args(c)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asUser ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  const r: Result = { code: null, signal: null, stdout: '', stderr: '', lines: [] };
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    r.stdout += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    r.stderr += s;
  });
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exited = new Promise<void>((resolve) =>
    child.on('close', (code, signal) => {
      r.code = code;
      r.signal = signal;
      resolve();
    }),
  );
  if (k.signal) {
    const { name, when } = k.signal;
    let done = false;
    void exited.then(() => {
      done = true;
    });
    while (!done && !(await when(c, r))) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!done) child.kill(name);
  }
  await exited;
  clearTimeout(timer);
  assert.ok(!hung, `hung: killed after ${timeoutMs / 1000} s\n${r.stderr}`);
  r.lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  return r;
}

const FOREIGN = /Hi, looks like you are running TensorFlow\.js|={10}|^\s+at |node:internal|Error: |\bUnhandled\b|\bWarning:/;

/** The checks every case gets. */
export async function checkCase(k: Case, c: Ctx, r: Result): Promise<void> {
  const show = `exit ${r.code} signal ${r.signal}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`;
  if (k.signal) assert.equal(r.signal ?? r.code, k.code === null ? k.signal.name : k.code, show);
  else assert.equal(r.code, k.code, show);
  for (const line of r.lines) assert.doesNotMatch(line, FOREIGN, `a foreign line on stderr: ${line}\n${show}`);
  if (k.code !== 0 && !k.signal) {
    assert.equal(r.lines.length, k.lines ?? 1, `stderr lines\n${show}`);
    // The error is the last line; before it only our own progress lines (train's "6 images in 2 classes").
    assert.match(r.lines.at(-1) ?? '', /^mobilenetv3: \S/, `the error is not our own line\n${show}`);
    for (const line of r.lines) assert.match(line, /^mobilenetv3: \S|^\d+ images in \d+ classes$/, `not our own line: ${line}`);
  } else if (k.lines !== undefined) {
    assert.equal(r.lines.length, k.lines, `stderr lines\n${show}`);
  }
  if (k.stderr) for (const line of k.lines && k.code !== 0 ? r.lines : [r.lines.join('\n')]) assert.match(line, k.stderr, show);
  if (k.stdout) assert.match(r.stdout, k.stdout, show);
  // Nothing left behind.
  const temps = (await listTree(c.cache)).filter((p) => /\.tmp$|\.part$/.test(p));
  assert.deepEqual(temps, [], 'temporary files in the cache');
  const out = await listTree(c.out);
  assert.deepEqual(
    out.filter((p) => /\.tmp$/.test(p)),
    [],
    'temporary files in the output folder',
  );
  if (!k.writes && k.code !== 0) assert.deepEqual(out, [], 'a failed command wrote into the output folder');
  // tsx keeps its compile cache in TMPDIR (tsx-<uid>): the harness's, not the CLI's.
  assert.deepEqual(
    (await readdir(c.tmp)).filter((n) => !/^tsx-\d+$/.test(n)),
    [],
    'files left in $TMPDIR',
  );
  assert.deepEqual(
    (await listTree(c.home)).filter((p) => p.includes('Microsoft')),
    [],
    'ONNX Runtime telemetry files in HOME',
  );
  await k.check?.(r, c);
}

export async function makeRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mobilenetv3-bad-input-'));
  await chmod(root, 0o755);
  return root;
}
