/**
 * Downloads never wait forever: a server that accepts the connection and says nothing, or stops
 * sending half way, is given up on after the idle timeout, in one line, leaving nothing behind;
 * a slow server that keeps sending is waited for.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { fetchCached } from '../src/weights/download.js';

const BODY = new Uint8Array(4096).map((_, i) => (i * 7) & 255);
const FILE = { fileName: 'w.h5', md5: createHash('md5').update(BODY).digest('hex') };

let server: Server;
let base: string;
const sockets = new Set<import('node:net').Socket>();
before(async () => {
  server = createServer((req, res) => {
    const mode = (req.url ?? '').split('/')[1];
    if (mode === 'silent') return; // accepts, never answers
    res.writeHead(200, { 'content-length': String(BODY.length) });
    if (mode === 'stall') {
      res.write(BODY.subarray(0, 1000)); // then nothing, connection kept open
      return;
    }
    // slow: 4 chunks, 150 ms apart (each gap below the timeout, the whole above it)
    let i = 0;
    const next = () => {
      if (i === 4) return void res.end();
      res.write(BODY.subarray(i * 1024, (i + 1) * 1024));
      i++;
      setTimeout(next, 150);
    };
    next();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  for (const s of sockets) s.destroy();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const oneLine = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof Error && error.name === 'WeightsError', String(error));
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('\n'));
  return true;
};

describe('download timeouts', () => {
  it('a silent server: given up on after the timeout, nothing left in the cache', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'mobilenetv3-dl-'));
    await assert.rejects(
      fetchCached(FILE, { baseUrl: `${base}/silent/`, cacheDir, progress: false, timeoutSeconds: 0.3 }),
      oneLine(/cannot download .*\/silent\/w\.h5: no answer from 127\.0\.0\.1:\d+ for 0\.3 s \(server not responding\)/),
    );
    assert.deepEqual(await readdir(cacheDir), []);
    await rm(cacheDir, { recursive: true });
  });

  it('a server that stops sending: cut off after the idle timeout, the partial file deleted', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'mobilenetv3-dl-'));
    await assert.rejects(
      fetchCached(FILE, { baseUrl: `${base}/stall/`, cacheDir, progress: false, timeoutSeconds: 0.3 }),
      oneLine(/cut off after 1000 of 4096 bytes \(no answer from .* for 0\.3 s: stalled\); the partial file was deleted/),
    );
    assert.deepEqual(await readdir(cacheDir), []);
    await rm(cacheDir, { recursive: true });
  });

  it('a slow server that keeps sending is waited for', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'mobilenetv3-dl-'));
    const path = await fetchCached(FILE, { baseUrl: `${base}/slow/`, cacheDir, progress: false, timeoutSeconds: 0.4 });
    assert.deepEqual(await readdir(cacheDir), ['w.h5']);
    assert.equal(path, join(cacheDir, 'w.h5'));
    await rm(cacheDir, { recursive: true });
  });
});

describe('a signal during a write', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: the temporary file is removed and the process dies of the signal`, async () => {
      const { spawn } = await import('node:child_process');
      const dir = await mkdtemp(join(tmpdir(), 'mobilenetv3-sig-'));
      const script = `import { withAtomicFile } from './src/io/atomic.ts';
import { writeFile } from 'node:fs/promises';
await withAtomicFile(${JSON.stringify(join(dir, 'out.bin'))}, async (t) => { await writeFile(t, 'partial'); console.log('writing'); await new Promise(() => setInterval(() => {}, 1000)); });`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: new URL('..', import.meta.url),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      assert.equal((await readdir(dir)).filter((n) => n.endsWith('.tmp')).length, 1, 'the write is in flight');
      child.kill(signal);
      const [code, sig] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      assert.deepEqual([code, sig], [null, signal]);
      assert.deepEqual(await readdir(dir), []);
      await rm(dir, { recursive: true });
    });
  }
});
