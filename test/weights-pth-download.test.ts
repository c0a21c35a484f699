/**
 * `--weights torchvision` / `torchvision-v2`: the records, and the download path end to end
 * against a 127.0.0.1 server (MOBILENETV3_TORCHVISION_URL) serving a .pth fixture written by
 * torch.save: a file whose SHA-256 starts as the record says is cached and loaded; the served
 * fixture under torchvision's real name has the wrong hash and is refused in one line, and
 * nothing is left in the cache.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readModelCard } from '../src/architecture/card.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { fetchCached } from '../src/weights/download.js';
import { buildModelWithWeights } from '../src/weights/load.js';
import { buildModelFromPth } from '../src/weights/pth/file.js';
import { findTorchvisionWeights, TORCHVISION_WEIGHTS } from '../src/weights/torchvision-weights.js';

await useTfBackend('cpu');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('fixtures/pth/small-fp16.pth', import.meta.url));
const bytes = readFileSync(FIXTURE);
const sha256 = createHash('sha256').update(bytes).digest('hex');

let server: Server;
let base: string;
const served: string[] = [];
before(async () => {
  server = createServer((req, res) => {
    served.push(req.url ?? '');
    res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('torchvision weights', () => {
  it("records torchvision's files, accuracies and evaluation crops", () => {
    assert.deepEqual(
      Object.entries(TORCHVISION_WEIGHTS).flatMap(([name, archs]) =>
        Object.values(archs).map((r) => [name, r.fileName, r.sha256Prefix, r.top1, r.resize, r.crop]),
      ),
      [
        ['torchvision', 'mobilenet_v3_large-8738ca79.pth', '8738ca79', 74.042, 256, 224],
        ['torchvision', 'mobilenet_v3_small-047dcff4.pth', '047dcff4', 67.668, 256, 224],
        ['torchvision-v2', 'mobilenet_v3_large-5c1a4163.pth', '5c1a4163', 75.274, 232, 224],
      ],
    );
    assert.match(String(findTorchvisionWeights('torchvision-v2', 'small')), /exists for --arch large only/);
    const large = findTorchvisionWeights('torchvision', 'large');
    assert.equal(typeof large !== 'string' && large.url, 'https://download.pytorch.org/models/mobilenet_v3_large-8738ca79.pth');
  });

  it('downloads a file whose SHA-256 starts as recorded, caches it, and builds the model it fits', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'mobilenetv3-tv-'));
    const file = { fileName: `mobilenet_v3_small-${sha256.slice(0, 8)}.pth`, sha256Prefix: sha256.slice(0, 8), url: `${base}x.pth` };
    const before = served.length;
    const path = await fetchCached(file, { cacheDir, progress: false });
    assert.equal(readFileSync(path).equals(bytes), true);
    await fetchCached(file, { cacheDir, progress: false });
    assert.equal(served.length, before + 1, 'the second call uses the cache');
    const { model } = await buildModelFromPth(path);
    assert.equal(readModelCard(model)?.input.std?.[2], 0.225);
    model.dispose();
  });

  it('refuses a download with the wrong SHA-256 prefix in one line and leaves nothing in the cache (API and CLI)', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'mobilenetv3-tv-'));
    process.env.MOBILENETV3_TORCHVISION_URL = base;
    try {
      await assert.rejects(
        buildModelWithWeights({ arch: 'small', weights: 'torchvision' }, { cacheDir, progress: false }),
        (e: Error) =>
          e.name === 'WeightsError' &&
          /downloaded mobilenet_v3_small-047dcff4\.pth has SHA256 [0-9a-f]{64}, expected 047dcff4\.\.\. \(only this prefix is published\)/.test(
            e.message,
          ) &&
          !e.message.includes('\n'),
      );
    } finally {
      delete process.env.MOBILENETV3_TORCHVISION_URL;
    }
    assert.ok(served.includes('/models/mobilenet_v3_small-047dcff4.pth'));
    assert.deepEqual(readdirSync(cacheDir), []);
    const cliCache = mkdtempSync(join(tmpdir(), 'mobilenetv3-tv-'));
    // Not spawnSync: the server in this process must keep answering.
    const r = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'summary', '--arch', 'small', '--weights', 'torchvision'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, MOBILENETV3_TORCHVISION_URL: base, MOBILENETV3_CACHE: cliCache },
      },
    ).then(
      () => ({ status: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ status: e.code, stderr: e.stderr }),
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mobilenetv3: .*has SHA256 [0-9a-f]{64}, expected 047dcff4/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.deepEqual(readdirSync(cliCache), []);
  });
});
