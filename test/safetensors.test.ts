/**
 * The safetensors reader against a file laid out as `safetensors.torch.save_file` does, written by
 * tools/torchvision_reference.py with torch's own dtype conversions as the expected values.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readSafetensors } from '../src/index.js';

const bytes = new Uint8Array(readFileSync(new URL('fixtures/torch-tensors.safetensors', import.meta.url)));
const expected: Record<string, { shape: number[]; float32: number[] }> = JSON.parse(
  readFileSync(new URL('fixtures/torch-tensors.json', import.meta.url), 'utf8'),
);

/** Asserts a one-line WeightsError whose message matches. */
function refuses(data: Uint8Array, message: RegExp): void {
  assert.throws(
    () => readSafetensors(data, 'x.safetensors'),
    (e: Error) => e.name === 'WeightsError' && message.test(e.message) && !e.message.includes('\n'),
  );
}

/** The fixture with its header text edited (same length, so the offsets stay valid). */
function withHeader(edit: (header: string) => string): Uint8Array {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  const edited = new TextEncoder().encode(edit(header));
  assert.equal(edited.length, length);
  const out = bytes.slice();
  out.set(edited, 8);
  return out;
}

describe('readSafetensors', () => {
  it('reads F32, F16, BF16 and F64 tensors (unaligned data too) as torch converts them to float32', () => {
    const { tensors, skipped, metadata } = readSafetensors(bytes);
    assert.deepEqual(
      tensors.map((t) => t.name),
      Object.keys(expected),
    );
    for (const t of tensors) {
      assert.deepEqual(t.shape, expected[t.name].shape, t.name);
      assert.deepEqual(Array.from(t.data), expected[t.name].float32, t.name);
    }
    assert.deepEqual(skipped, ['features.0.1.num_batches_tracked']);
    assert.deepEqual(metadata, { format: 'pt' });
  });

  it('accepts an ArrayBuffer and a Uint8Array view inside a larger buffer', () => {
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const a = readSafetensors(padded.subarray(3));
    const b = readSafetensors(bytes.slice().buffer);
    assert.deepEqual(
      a.tensors.map((t) => Array.from(t.data)),
      b.tensors.map((t) => Array.from(t.data)),
    );
  });

  it('refuses truncated, foreign or malformed files with one line', () => {
    refuses(bytes.subarray(0, 5), /not a safetensors file \(5 bytes/);
    refuses(bytes.subarray(0, 100), /truncated or not a safetensors file/);
    refuses(bytes.subarray(0, bytes.length - 3), /truncated: tensor "d\.f64" ends at byte/);
    refuses(new TextEncoder().encode('\u0004\0\0\0\0\0\0\0nope'), /header is not JSON/);
    refuses(
      withHeader((h) => h.replace('"F64"', '"F99"')),
      /"d\.f64" has dtype F99; supported: F64, F32/,
    );
    refuses(
      withHeader((h) => h.replace('"F64"', '"F32"')),
      /"d\.f64" \(F32 \[3\]\) needs 12 bytes, its offsets span 24/,
    );
    refuses(
      withHeader((h) => h.replace('"shape":[3]', '"shape":"3"')),
      /"d\.f64" needs dtype, shape and data_offsets/,
    );
  });
});
