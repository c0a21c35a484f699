/** Listing the images of a folder, shared by train's class folders and classify's folder arguments. */
import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { collectImageFiles } from '../src/classify/inputs.js';
import { listImageFiles } from '../src/images/files.js';

const ROOT = 'test-output/image-files';

describe('listImageFiles', () => {
  it('walks sorted, skips hidden entries and non-images, follows links, ends a link loop', async () => {
    await rm(ROOT, { recursive: true, force: true });
    const store = join(ROOT, 'store');
    const dir = join(ROOT, 'photos');
    await mkdir(store, { recursive: true });
    await mkdir(join(dir, 'sub'), { recursive: true });
    for (const f of ['b.jpg', 'a.PNG', 'notes.txt', '._b.jpg']) await writeFile(join(dir, f), 'x');
    await writeFile(join(dir, 'sub', 'c.webp'), 'x');
    await writeFile(join(store, 'linked.jpg'), 'x');
    await symlink(resolve(store, 'linked.jpg'), join(dir, 'l.jpg'));
    await symlink(resolve(dir), join(dir, 'sub', 'loop'));
    await symlink(resolve(store, 'missing.jpg'), join(dir, 'broken.jpg'));
    const expected = ['a.PNG', 'b.jpg', 'l.jpg', 'sub/c.webp'].map((f) => join(dir, f));
    assert.deepEqual(await listImageFiles(dir), expected);
    // classify's folder arguments see the same files (links were skipped there before).
    assert.deepEqual((await collectImageFiles([dir])).files, expected);
  });
});
