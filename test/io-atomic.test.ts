import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withAtomicFile, writeFileAtomic } from '../src/io/atomic.js';

const OUT = fileURLToPath(new URL('../test-output/io-atomic', import.meta.url));
const oneLine = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof Error, String(error));
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('\n'));
  return true;
};

describe('atomic writes', () => {
  before(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(OUT, { recursive: true });
  });

  it('writes through a temporary file and leaves only the target', async () => {
    await writeFileAtomic(join(OUT, 'new/deeper/a.txt'), 'hello');
    assert.equal(await readFile(join(OUT, 'new/deeper/a.txt'), 'utf8'), 'hello');
    assert.deepEqual(await readdir(join(OUT, 'new/deeper')), ['a.txt']);
  });

  it('a target that is a folder, or under a file, is refused in one line before any work', async () => {
    await mkdir(join(OUT, 'folder.onnx'), { recursive: true });
    await writeFile(join(OUT, 'plain-file'), 'x');
    let produced = 0;
    const produce = async (temp: string) => {
      produced++;
      await writeFile(temp, 'data');
    };
    await assert.rejects(withAtomicFile(join(OUT, 'folder.onnx'), produce), oneLine(/cannot write .*folder\.onnx: it is a folder/));
    await assert.rejects(
      withAtomicFile(join(OUT, 'plain-file/x.onnx'), produce),
      oneLine(/cannot write .*plain-file\/x\.onnx: .*plain-file or a folder above it is a file/),
    );
    assert.equal(produced, 0);
    assert.deepEqual(
      (await readdir(OUT)).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });
});
