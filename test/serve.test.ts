/** `mobilenetv3 serve`: what it serves and its one-line errors (the page itself: test/web.test.ts). */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildWeb, cli, ROOT, startServe, type Served } from './serve.js';
import { SHARED } from './shared.js';

const WEIGHTS = join(SHARED, 'weights/mobilenet_v3_small_224_1.0_float.h5');
const TMP = join(ROOT, 'test-output/serve');

function expectOneLineError(args: string[], pattern: RegExp): void {
  const r = cli('serve', ...args);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(r.stdout, '');
}

describe('mobilenetv3 serve', () => {
  let served: Served;
  before(async () => {
    mkdirSync(TMP, { recursive: true });
    if (!existsSync(join(ROOT, 'dist/web/index.html'))) buildWeb();
    served = await startServe(['--arch', 'small', '--weights', WEIGHTS, '--port', '0']);
  });
  after(() => served?.stop());

  it('serves the page, the config and the weights, cross-origin isolated', async () => {
    const page = await fetch(served.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>MobileNetV3 in the browser<\/title>/);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
    const config = await (await fetch(new URL('api/config.json', served.url))).json();
    assert.equal(config.model.arch, 'small');
    assert.equal(config.weights.format, 'h5');
    const weights = await fetch(new URL(config.weights.url, served.url));
    assert.equal(weights.status, 200);
    assert.equal(Number(weights.headers.get('content-length')), config.weights.bytes);
    await weights.arrayBuffer();
  });

  it('serves nothing outside the page folder and the weights', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/weights/other.h5', '/src/browser.ts']) {
      const r = await fetch(new URL(path, served.url));
      assert.equal(r.status, 404, path);
      await r.text();
    }
  });

  it('says when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      expectOneLineError(['--port', String(port)], new RegExp(`port ${port} .*in use`));
    } finally {
      blocker.close();
    }
  });

  it('says when the weights are missing or not weights', () => {
    expectOneLineError(['--weights', join(TMP, 'missing.h5')], /weights file not found: .*missing\.h5/);
    writeFileSync(join(TMP, 'fake.h5'), 'not hdf5');
    expectOneLineError(['--weights', join(TMP, 'fake.h5')], /not an HDF5 file/);
    writeFileSync(join(TMP, 'model.json'), '{"modelTopology": {}, "weightsManifest": [{"paths": ["gone.bin"], "weights": []}]}');
    expectOneLineError(['--weights', join(TMP, 'model.json')], /weight shard not found: .*gone\.bin/);
    expectOneLineError(['--weights', join(TMP, 'weights.onnx')], /unsupported weights file/);
  });

  it('rejects a bad port', () => {
    expectOneLineError(['--port', '70000'], /--port must be/);
  });
});
