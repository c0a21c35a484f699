import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildModel, summarize } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { fetchCached, md5OfFile } from '../src/weights/download.js';
import { loadWeights } from '../src/weights/load.js';
import { findImagenetWeights, IMAGENET_WEIGHTS } from '../src/weights/imagenet.js';
import { sharedPath } from './shared.js';

await useTfBackend('cpu');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SMALL_H5 = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
/** The shared file, served under a name; its real MD5 (not Keras's: it is a conversion, see its README). */
const SMALL = { fileName: 'mobilenet_v3_small_224_1.0_float.h5', md5: '10c22a8c5711a0277334847c9c4e8621' };

/** 127.0.0.1 server: /ok/<file> serves ../shared/weights, /truncated/<file> stops half way, anything else 404. */
let server: Server;
let base: string;
let requests = 0;
before(async () => {
  server = createServer(async (req, res) => {
    requests++;
    const [, mode, name] = (req.url ?? '').split('/');
    // Keras's file names map onto the shared files (weights_mobilenet_v3_X.h5 -> mobilenet_v3_X.h5).
    const file = sharedPath('weights', basename(name ?? '').replace(/^weights_/, ''));
    const size = await stat(file).then(
      (s) => s.size,
      () => -1,
    );
    if (size < 0 || (mode !== 'ok' && mode !== 'truncated')) {
      res.writeHead(404, 'Not Found').end('no such file');
      return;
    }
    res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
    if (mode === 'ok') {
      createReadStream(file).pipe(res);
      return;
    }
    const bytes = await readFile(file);
    res.write(bytes.subarray(0, size >> 1), () => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const freshCache = () => mkdtemp(join(tmpdir(), 'mobilenetv3-cache-'));
const oneLine = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof Error && error.name === 'WeightsError', String(error));
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('\n'));
  return true;
};

describe('downloading weights into the cache', () => {
  it('right file: downloaded, verified, cached, and not fetched again', async () => {
    const cacheDir = await freshCache();
    const before = requests;
    const path = await fetchCached(SMALL, { baseUrl: `${base}/ok/`, cacheDir, progress: false });
    assert.equal(path, join(cacheDir, SMALL.fileName));
    assert.equal(await md5OfFile(path), SMALL.md5);
    assert.equal(await fetchCached(SMALL, { baseUrl: `${base}/ok/`, cacheDir, progress: false }), path);
    assert.equal(requests - before, 1, 'second call served from the cache');
    assert.deepEqual(await readdir(cacheDir), [SMALL.fileName], 'no temporary files left');
    // A damaged cached file is fetched again.
    await writeFile(path, 'damaged');
    await fetchCached(SMALL, { baseUrl: `${base}/ok/`, cacheDir, progress: false });
    assert.equal(await md5OfFile(path), SMALL.md5);
    await rm(cacheDir, { recursive: true });
  });

  it('wrong hash: the download is deleted and reported', async () => {
    const cacheDir = await freshCache();
    await assert.rejects(
      fetchCached({ ...SMALL, md5: '0'.repeat(32) }, { baseUrl: `${base}/ok/`, cacheDir, progress: false }),
      oneLine(/has MD5 10c22a8c5711a0277334847c9c4e8621, expected 0{32}.*deleted/),
    );
    assert.deepEqual(await readdir(cacheDir), []);
    await rm(cacheDir, { recursive: true });
  });

  it('truncated transfer: reported, nothing left behind', async () => {
    const cacheDir = await freshCache();
    await assert.rejects(
      fetchCached(SMALL, { baseUrl: `${base}/truncated/`, cacheDir, progress: false }),
      oneLine(/cut off after \d+ (of 10784064 )?bytes/),
    );
    assert.deepEqual(await readdir(cacheDir), []);
    await rm(cacheDir, { recursive: true });
  });

  it('404: the status and how to pass a local file', async () => {
    const cacheDir = await freshCache();
    await assert.rejects(
      fetchCached(SMALL, { baseUrl: `${base}/missing/`, cacheDir, progress: false }),
      oneLine(/HTTP 404 Not Found.*--weights path\/to\/mobilenet_v3_small_224_1\.0_float\.h5/),
    );
    await rm(cacheDir, { recursive: true });
  });

  it('server down: an offline message that says how to pass a local file', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const cacheDir = await freshCache();
    await assert.rejects(
      fetchCached(SMALL, { baseUrl: `http://127.0.0.1:${port}/`, cacheDir, progress: false }),
      oneLine(/ECONNREFUSED.*no network\?.*--weights path\/to\//),
    );
    await rm(cacheDir, { recursive: true });
  });

  it('imagenet by name for a new head fetches the 1000-class file instead of refusing the class count', async () => {
    const cacheDir = await freshCache();
    const head = buildModel({ arch: 'small', classes: 5, inputShape: [32, 32, 3] });
    try {
      // The mirror 404s: what matters is that the published top file was asked for.
      await assert.rejects(
        loadWeights(head, 'imagenet', { byName: true, baseUrl: `${base}/missing/`, cacheDir, progress: false }),
        oneLine(/\/missing\/weights_mobilenet_v3_small_224_1\.0_float\.h5: HTTP 404/),
      );
      await assert.rejects(
        loadWeights(head, 'imagenet', { baseUrl: `${base}/missing/`, cacheDir, progress: false }),
        oneLine(/1000 classes.*by name/),
      );
    } finally {
      head.dispose();
      await rm(cacheDir, { recursive: true });
    }
  });

  it('a file published elsewhere comes from its own URL; a mirror still serves it by name', async () => {
    const cacheDir = await freshCache();
    const saved = process.env.MOBILENETV3_WEIGHTS_URL;
    delete process.env.MOBILENETV3_WEIGHTS_URL;
    try {
      const own = { ...SMALL, url: `${base}/ok/${SMALL.fileName}` };
      const path = await fetchCached(own, { cacheDir, progress: false });
      assert.equal(await md5OfFile(path), SMALL.md5);
      await rm(path);
      // With a mirror the record's own URL is not used: /missing/ on the mirror is a 404.
      await assert.rejects(
        fetchCached(own, { baseUrl: `${base}/missing/`, cacheDir, progress: false }),
        oneLine(/\/missing\/mobilenet_v3_small.*HTTP 404/),
      );
    } finally {
      if (saved !== undefined) process.env.MOBILENETV3_WEIGHTS_URL = saved;
    }
    await rm(cacheDir, { recursive: true });
  });

  it('the offline hint names the option that takes a local copy of that file', async () => {
    const cacheDir = await freshCache();
    const index = { ...SMALL, localCopy: '--class-index path/to/index.json' };
    await assert.rejects(
      fetchCached(index, { baseUrl: `${base}/missing/`, cacheDir, progress: false }),
      oneLine(
        /HTTP 404 Not Found; download mobilenet_v3_small_224_1\.0_float\.h5 elsewhere and pass it as --class-index path\/to\/index\.json, or set MOBILENETV3_WEIGHTS_URL/,
      ),
    );
    await rm(cacheDir, { recursive: true });
  });

  it("the CLI: --weights imagenet from a mirror (MOBILENETV3_WEIGHTS_URL) checks Keras's MD5", async () => {
    const cacheDir = await freshCache();
    const run = promisify(execFile);
    const error = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'summary', '--arch', 'small', '--weights', 'imagenet'],
      {
        cwd: ROOT,
        env: { ...process.env, MOBILENETV3_WEIGHTS_URL: `${base}/ok/`, MOBILENETV3_CACHE: cacheDir },
      },
    ).then(
      () => undefined,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    assert.ok(error, 'fails');
    assert.notEqual(error.code, 0);
    // The shared file is a conversion, not Keras's own file: its MD5 differs from WEIGHTS_HASHES.
    assert.match(
      error.stderr,
      /^mobilenetv3: downloaded weights_mobilenet_v3_small_224_1\.0_float\.h5 has MD5 10c22a8c5711a0277334847c9c4e8621, expected 8768d4c2e7dee89b9d02b2d03d65d862/,
    );
    assert.equal(error.stderr.trim().split('\n').length, 1);
    assert.equal(error.stdout, '');
    assert.deepEqual(await readdir(cacheDir), []);
    await rm(cacheDir, { recursive: true });
  });
});

describe('ImageNet weight records', () => {
  it('every combination Keras publishes, with its file name and MD5', () => {
    assert.equal(IMAGENET_WEIGHTS.length, 12);
    const small = findImagenetWeights({ arch: 'small' });
    assert.ok(typeof small !== 'string');
    assert.equal(small.fileName, 'weights_mobilenet_v3_small_224_1.0_float.h5');
    assert.equal(small.md5, '8768d4c2e7dee89b9d02b2d03d65d862');
    const noTop = findImagenetWeights({ arch: 'large', alpha: 0.75, includeTop: false });
    assert.ok(typeof noTop !== 'string');
    assert.equal(noTop.fileName, 'weights_mobilenet_v3_large_224_0.75_float_no_top_v2.h5');
    assert.equal(noTop.md5, '40af19a13ebea4e2ee0c676887f69a2e');
    for (const w of IMAGENET_WEIGHTS)
      assert.match(w.fileName, /^weights_mobilenet_v3_(large|small)(_minimalistic)?_224_(0\.75|1\.0)_float(_no_top_v2)?\.h5$/);
    assert.equal(new Set(IMAGENET_WEIGHTS.map((w) => w.md5)).size, 12);
  });
  it('their parameter and MAC counts are those of the models they fit', () => {
    for (const w of IMAGENET_WEIGHTS) {
      const model = buildModel(w.model);
      assert.equal(model.countParams(), w.meta.numParams, w.id);
      assert.equal(summarize(model).macs, w.meta.macs, w.id);
      model.dispose();
    }
  });
  it('combinations Keras does not publish are refused with the reason', () => {
    assert.match(findImagenetWeights({ alpha: 0.5 }) as string, /alpha 0\.75 and 1\.0/);
    assert.match(findImagenetWeights({ alpha: 0.75, minimalistic: true }) as string, /minimalistic only at 1\.0/);
    assert.match(findImagenetWeights({ classes: 10 }) as string, /1000 classes/);
    assert.match(findImagenetWeights({ flavor: 'blog' }) as string, /keras flavour/);
  });
});
