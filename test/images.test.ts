import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { centreCropRegion, ImageError, readImage, readImageBatch, isImageFileName } from '../src/images/index.js';

const OUT = 'test-output/images';

/** A 12x8 (width x height) image: left half red, right half blue, top row green. */
function pattern(width = 12, height = 8): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (y === 0) raw.set([0, 255, 0], i);
      else raw.set(x < width / 2 ? [255, 0, 0] : [0, 0, 255], i);
    }
  }
  return raw;
}
const fromRaw = (raw: Buffer, width = 12, height = 8, channels: 1 | 2 | 3 | 4 = 3) => sharp(raw, { raw: { width, height, channels } });
const pixel = (data: Float32Array, width: number, x: number, y: number) =>
  Array.from(data.slice((y * width + x) * 3, (y * width + x) * 3 + 3));
const near = (actual: number[], expected: number[], tol: number) =>
  assert.ok(
    actual.every((v, i) => Math.abs(v - expected[i]) <= tol),
    `${actual} vs ${expected}`,
  );

describe('readImage', () => {
  before(() => mkdir(OUT, { recursive: true }));

  for (const format of ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const) {
    it(`decodes ${format} from a file and a Buffer`, async () => {
      const bytes = await fromRaw(pattern())
        .toFormat(format, format === 'gif' ? {} : { quality: 100 })
        .toBuffer();
      const file = join(OUT, `pattern.${format}`);
      await writeFile(file, bytes);
      for (const source of [file, bytes]) {
        const image = await readImage(source, { size: [8, 12] });
        assert.equal(image.data.length, 8 * 12 * 3);
        assert.deepEqual(image.original, { width: 12, height: 8 });
        const tol = format === 'jpeg' || format === 'webp' || format === 'avif' ? 60 : 2;
        near(pixel(image.data, 12, 1, 5), [255, 0, 0], tol);
        near(pixel(image.data, 10, 5, 5), [0, 0, 255], tol);
      }
    });
  }

  it('applies the EXIF orientation (6: rotate 90 degrees clockwise)', async () => {
    const bytes = await fromRaw(pattern()).withMetadata({ orientation: 6 }).png().toBuffer();
    const image = await readImage(bytes, { size: [12, 8] });
    assert.deepEqual(image.original, { width: 8, height: 12 });
    // The green top row is now the right column; red (left half) is now on top.
    near(pixel(image.data, 8, 7, 6), [0, 255, 0], 2);
    near(pixel(image.data, 8, 3, 1), [255, 0, 0], 2);
    near(pixel(image.data, 8, 3, 10), [0, 0, 255], 2);
  });

  it('crops the centre after orienting', async () => {
    const bytes = await fromRaw(pattern()).withMetadata({ orientation: 6 }).png().toBuffer();
    // Oriented 8 wide x 12 high; a square crop of half the shorter side is x 2..6, y 4..8.
    const image = await readImage(bytes, { size: 4, crop: 0.5 });
    assert.deepEqual(pixel(image.data, 4, 0, 0), [255, 0, 0]);
    assert.deepEqual(pixel(image.data, 4, 3, 3), [0, 0, 255]);
  });

  it('turns CMYK, 16-bit, grayscale and alpha into 8-bit RGB', async () => {
    const cmyk = await fromRaw(pattern()).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    const rgb16 = await fromRaw(pattern()).toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(rgb16).metadata()).depth, 'ushort');
    const gray = await fromRaw(Buffer.alloc(12 * 8, 77), 12, 8, 1)
      .png()
      .toBuffer();
    const rgba = Buffer.alloc(12 * 8 * 4);
    for (let i = 0; i < 12 * 8; i++) rgba.set([10, 200, 30, i % 2 ? 0 : 255], i * 4);
    const alpha = await fromRaw(rgba, 12, 8, 4).png().toBuffer();
    const gray16 = await fromRaw(Buffer.alloc(12 * 8, 200), 12, 8, 1)
      .toColourspace('grey16')
      .png()
      .toBuffer();

    const red = pixel((await readImage(cmyk, { size: [8, 12] })).data, 12, 1, 5);
    assert.ok(red[0] > 200 && red[1] < 80 && red[2] < 80, `CMYK red came back as ${red}`);
    assert.deepEqual(pixel((await readImage(rgb16, { size: [8, 12] })).data, 12, 1, 5), [255, 0, 0]);
    assert.deepEqual(pixel((await readImage(gray, { size: [8, 12] })).data, 12, 3, 3), [77, 77, 77]);
    near(pixel((await readImage(gray16, { size: [8, 12] })).data, 12, 3, 3), [200, 200, 200], 1);
    // Alpha is dropped as PIL's convert('RGB') does, so results match Keras and torchvision.
    assert.deepEqual(pixel((await readImage(alpha, { size: [8, 12] })).data, 12, 1, 0), [10, 200, 30]);
  });

  it('resizes bilinearly and scales to [-1, 1] on request', async () => {
    const image = await readImage(await fromRaw(pattern()).png().toBuffer(), { size: [4, 6], range: '-1-1' });
    assert.equal(image.data.length, 4 * 6 * 3);
    assert.ok(image.data.every((v) => v >= -1 && v <= 1));
    near(pixel(image.data, 6, 0, 3), [1, -1, -1], 0.05);
  });

  it('stacks a batch in NHWC order', async () => {
    const a = await fromRaw(Buffer.alloc(12 * 8 * 3, 10))
      .png()
      .toBuffer();
    const b = await fromRaw(Buffer.alloc(12 * 8 * 3, 250))
      .png()
      .toBuffer();
    const batch = await readImageBatch([a, b], { size: 5 });
    assert.deepEqual(batch.shape, [2, 5, 5, 3]);
    assert.equal(batch.data[0], 10);
    assert.equal(batch.data[5 * 5 * 3], 250);
  });

  it('gives one-line errors for missing, corrupt and non-image files', async () => {
    const jpeg = await fromRaw(pattern(64, 64), 64, 64).jpeg().toBuffer();
    await writeFile(join(OUT, 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    await writeFile(join(OUT, 'notes.jpg'), 'not an image');
    for (const [source, pattern] of [
      [join(OUT, 'missing.jpg'), /missing\.jpg: no such file/],
      [join(OUT, 'truncated.jpg'), /truncated\.jpg: .*premature end/i],
      [join(OUT, 'notes.jpg'), /notes\.jpg: not an image/],
      [Buffer.from('xyz'), /<buffer 0>: not an image/],
    ] as const) {
      await assert.rejects(readImage(source, { size: 8 }), (error: Error) => {
        assert.ok(error instanceof ImageError);
        assert.match(error.message, pattern);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }
  });
});

describe('centreCropRegion', () => {
  it('keeps a fraction of the shorter side for square outputs (Keras/torchvision 0.875)', () => {
    assert.deepEqual(centreCropRegion(640, 480, 224, 224, 0.875), { left: 110, top: 30, width: 420, height: 420 });
    assert.deepEqual(centreCropRegion(480, 640, 224, 224, 1), { left: 0, top: 80, width: 480, height: 480 });
  });
  it('keeps the output aspect ratio for non-square outputs', () => {
    assert.deepEqual(centreCropRegion(1000, 1000, 200, 100, 1), { left: 0, top: 250, width: 1000, height: 500 });
  });
  it('rejects fractions outside (0, 1]', () => {
    assert.throws(() => centreCropRegion(10, 10, 5, 5, 0), /crop fraction/);
    assert.throws(() => centreCropRegion(10, 10, 5, 5, 1.5), /crop fraction/);
  });
  it('knows image file names', () => {
    assert.ok(isImageFileName('a/b/C.JPEG'));
    assert.ok(!isImageFileName('notes.txt'));
  });
});
