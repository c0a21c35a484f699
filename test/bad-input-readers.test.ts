/**
 * Every reader refuses what is not a regular file before opening it (a FIFO would block forever,
 * /dev/zero never ends) and a size past its cap before allocating, in one line with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readImage } from '../src/images/read.js';
import { checkRegularFile, MAX_BYTES, readRegularFile } from '../src/io/read-file.js';
import { readWeightsBytes } from '../src/weights/h5-file.js';
import { readLabelsFile } from '../src/classify/labels.js';
import { readInputFile } from '../src/classify/onnx-cache.js';

let dir: string;
let fifo: string;
let sparse: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mobilenetv3-readers-'));
  fifo = join(dir, 'pipe.h5');
  execFileSync('mkfifo', [fifo]);
  // A sparse file past every cap: its size is refused before a byte is read.
  sparse = join(dir, 'huge.jpg');
  const handle = await open(sparse, 'w');
  await handle.truncate(MAX_BYTES.weights + 1);
  await handle.close();
  await mkdir(join(dir, 'folder.jpg'));
});
after(() => rm(dir, { recursive: true, force: true }));

const oneLine = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof Error, String(error));
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('\n'), error.message);
  return true;
};

describe('readers refuse what is not a regular file', () => {
  it('a named pipe is refused without opening it (no hang)', async () => {
    await assert.rejects(readRegularFile(fifo, { maxBytes: 100 }), oneLine(/pipe\.h5: it is a named pipe/));
    await assert.rejects(readWeightsBytes(fifo), oneLine(/weights file .*pipe\.h5: it is a named pipe/));
    await assert.rejects(readImage(fifo, { size: 8 }), oneLine(/cannot read image .*pipe\.h5: it is a named pipe/));
    await assert.rejects(readLabelsFile(fifo), oneLine(/labels file .*named pipe/));
    await assert.rejects(readInputFile(fifo, 'model file'), oneLine(/model file .*named pipe/));
  });

  it('/dev/zero is a device, not an endless file', async () => {
    await assert.rejects(readWeightsBytes('/dev/zero'), oneLine(/\/dev\/zero: it is a device/));
    await assert.rejects(readImage('/dev/zero', { size: 8 }), oneLine(/\/dev\/zero: it is a device/));
  });

  it('a folder is refused as a folder', async () => {
    await assert.rejects(readImage(join(dir, 'folder.jpg'), { size: 8 }), oneLine(/folder\.jpg: it is a folder/));
    await assert.rejects(readWeightsBytes(join(dir, 'folder.jpg')), oneLine(/is a directory, not a file/));
  });

  it('a size past the cap is refused before reading', async () => {
    await assert.rejects(
      readWeightsBytes(sparse),
      oneLine(/huge\.jpg: 1024 MiB is more than any weights file this reads \(at most 1024 MiB\)/),
    );
    await assert.rejects(readImage(sparse, { size: 8 }), oneLine(/huge\.jpg: 1024 MiB is more than any image this reads/));
    await assert.rejects(checkRegularFile(sparse, { maxBytes: 10, what: 'thing' }), oneLine(/more than any thing/));
  });

  it('a missing file says so, and a small file is read whole', async () => {
    await assert.rejects(readImage(join(dir, 'none.jpg'), { size: 8 }), oneLine(/none\.jpg: no such file/));
    await writeFile(join(dir, 'small.bin'), new Uint8Array([1, 2, 3]));
    assert.deepEqual([...(await readRegularFile(join(dir, 'small.bin'), { maxBytes: 3 }))], [1, 2, 3]);
    await assert.rejects(readRegularFile(join(dir, 'small.bin'), { maxBytes: 2 }), oneLine(/3 bytes is more than/));
  });
});

describe('folder walks and training data', () => {
  it('a link back up (cats/up -> ..) is not followed, a file linked twice counts once', async () => {
    const { listImageFiles } = await import('../src/images/files.js');
    const data = join(dir, 'walk');
    for (const cls of ['cats', 'dogs']) {
      await mkdir(join(data, cls), { recursive: true });
      for (const n of ['1.jpg', '2.jpg']) await writeFile(join(data, cls, n), 'x');
    }
    const { symlink } = await import('node:fs/promises');
    await symlink('..', join(data, 'cats/up'));
    await symlink('1.jpg', join(data, 'cats/again.jpg'));
    assert.deepEqual(
      (await listImageFiles(join(data, 'cats'))).map((p) => p.slice(data.length + 1)),
      ['cats/1.jpg', 'cats/2.jpg'],
    );
  });

  it("an earlier run's output folder inside the data folder is skipped and said, not a class", async () => {
    const { scanDataset } = await import('../src/train/dataset.js');
    const data = join(dir, 'data-with-run');
    for (const cls of ['a', 'b']) {
      await mkdir(join(data, cls), { recursive: true });
      await writeFile(join(data, cls, '1.png'), 'x');
    }
    await mkdir(join(data, 'model'));
    await writeFile(join(data, 'model/labels.json'), '["a","b"]');
    await writeFile(join(data, 'model/model.onnx'), 'x');
    const scanned = await scanDataset(data);
    assert.deepEqual(scanned.classes, ['a', 'b']);
    assert.deepEqual(scanned.skipped, [{ path: 'model', reason: 'an output folder of mobilenetv3 train, not a class' }]);
    // Excluded by name too, before it holds anything.
    await mkdir(join(data, 'new-out'));
    await writeFile(join(data, 'new-out/x.png'), 'x');
    assert.deepEqual((await scanDataset(data, { exclude: join(data, 'new-out') })).classes, ['a', 'b']);
  });

  it('the output folder is checked, not created, before the data is read', async () => {
    const { prepareOutputFolder } = await import('../src/train/output-folder.js');
    const { stat } = await import('node:fs/promises');
    await prepareOutputFolder(join(dir, 'not-yet/out'));
    assert.equal(await stat(join(dir, 'not-yet')).catch(() => undefined), undefined);
    await writeFile(join(dir, 'a-file'), 'x');
    await assert.rejects(
      prepareOutputFolder(join(dir, 'a-file/out')),
      oneLine(/cannot write to output folder .*part of the path is a file/),
    );
  });
});
