/**
 * The shared resampler (src/images/resample.ts) against torch's antialiased bilinear resize
 * (tools/resample_reference.py), and the preprocessing built on it (prepare.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cropRegion, prepareInput } from '../src/images/prepare.js';
import { resizeRegion } from '../src/images/resample.js';

interface Case {
  height: number;
  width: number;
  pixels: number[];
  region: { left: number; top: number; width: number; height: number } | null;
  outHeight: number;
  outWidth: number;
  expected: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/resample-reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('resizeRegion (antialiased bilinear)', () => {
  for (const c of fixture.cases) {
    const what = `${c.width}x${c.height}${c.region ? ` region ${c.region.width}x${c.region.height}+${c.region.left}+${c.region.top}` : ''} -> ${c.outWidth}x${c.outHeight}`;
    it(`matches torch's interpolate(antialias=True): ${what}`, () => {
      const pixels = { data: Uint8Array.from(c.pixels), width: c.width, height: c.height, channels: 3 as const };
      const region = c.region ?? { left: 0, top: 0, width: c.width, height: c.height };
      const out = resizeRegion(pixels, region, c.outWidth, c.outHeight);
      assert.ok(maxDiff(out, c.expected) < 1e-4, `max |diff| ${maxDiff(out, c.expected)}`);
    });
  }

  it('reads RGBA pixels the same as RGB (alpha ignored) and mirrors exactly', () => {
    const c = fixture.cases[0];
    const rgba = new Uint8ClampedArray(c.width * c.height * 4);
    for (let i = 0; i < c.width * c.height; i++) {
      rgba.set(c.pixels.slice(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = 255;
    }
    const region = { left: 0, top: 0, width: c.width, height: c.height };
    const rgb = resizeRegion(
      { data: Uint8Array.from(c.pixels), width: c.width, height: c.height, channels: 3 },
      region,
      c.outWidth,
      c.outHeight,
    );
    const four = resizeRegion({ data: rgba, width: c.width, height: c.height, channels: 4 }, region, c.outWidth, c.outHeight);
    assert.deepEqual(four, rgb);
    const flipped = resizeRegion({ data: rgba, width: c.width, height: c.height, channels: 4 }, region, c.outWidth, c.outHeight, true);
    const row = c.outWidth * 3;
    assert.deepEqual(flipped.subarray(0, 3), rgb.subarray(row - 3, row));
  });

  it('refuses a region outside the image', () => {
    const pixels = { data: new Uint8Array(4 * 4 * 3), width: 4, height: 4, channels: 3 as const };
    assert.throws(() => resizeRegion(pixels, { left: 1, top: 0, width: 4, height: 4 }, 2, 2), /outside the 4x4 image/);
  });
});

describe('prepareInput', () => {
  const c = fixture.cases[0];
  const pixels = { data: Uint8Array.from(c.pixels), width: c.width, height: c.height, channels: 3 as const };

  it('applies the per-channel scale and offset after resizing', () => {
    const raw = prepareInput(pixels, { size: [c.outHeight, c.outWidth], crop: null, scale: [1, 1, 1], offset: [0, 0, 0] });
    const scaled = prepareInput(pixels, { size: [c.outHeight, c.outWidth], crop: null, scale: [2, 0.5, 1], offset: [-1, 3, 0] });
    assert.ok(maxDiff(raw, c.expected) < 1e-4);
    assert.ok(Math.abs(scaled[0] - (raw[0] * 2 - 1)) < 1e-4);
    assert.ok(Math.abs(scaled[1] - (raw[1] * 0.5 + 3)) < 1e-4);
    assert.equal(scaled[2], raw[2]);
  });

  it('crops the centre as the card says, the whole image for crop null', () => {
    assert.deepEqual(cropRegion(700, 552, { size: [224, 224], crop: 0.875 }), { left: 108, top: 34, width: 483, height: 483 });
    assert.deepEqual(cropRegion(700, 552, { size: [224, 224], crop: null }), { left: 0, top: 0, width: 700, height: 552 });
  });
});
