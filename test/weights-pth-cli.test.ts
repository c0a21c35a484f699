/**
 * `classify --weights x.pth` end to end, against torch's logits for the fixture PNGs (see
 * test/weights-pth.test.ts and tools/make_pth_fixtures.py): the CLI must build the model the file
 * fits and apply torchvision's normalisation from the model card.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/pth/${name}`, import.meta.url));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const softmax = (row: number[]): number[] => {
  const top = Math.max(...row);
  const e = row.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

describe('classify --weights x.pth', () => {
  for (const [name, engine] of [
    ['large-bf16', 'onnx'],
    ['small-fp16', 'tfjs'],
    ['small-5class', 'onnx'],
  ]) {
    it(`${name} (${engine}): torch's classes and probabilities`, () => {
      const expected: { images: string[]; logits: number[][] } = JSON.parse(readFileSync(fixture(`${name}.json`), 'utf8'));
      const r = cli(
        'classify',
        ...expected.images.map(fixture),
        '--weights',
        fixture(`${name}.pth`),
        '--no-crop',
        '--json',
        '--top',
        '3',
        '--engine',
        engine,
        '--no-cache',
      );
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { predictions: { index: number; probability: number }[] });
      assert.equal(lines.length, expected.images.length);
      lines.forEach((line, i) => {
        const p = softmax(expected.logits[i]);
        const order = Array.from(p.keys())
          .sort((a, b) => p[b] - p[a])
          .slice(0, 3);
        assert.deepEqual(
          line.predictions.map((x) => x.index),
          order,
          `image ${i}`,
        );
        for (const x of line.predictions)
          assert.ok(Math.abs(x.probability - p[x.index]) < 1e-5, `image ${i} class ${x.index}: ${x.probability} vs torch ${p[x.index]}`);
      });
    });
  }

  it('weights inspect says which model a .pth is; weights convert takes it to .h5, .weights.h5 and .onnx', async () => {
    const { mkdirSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const out = join(ROOT, 'test-output', 'weights-pth-cli');
    mkdirSync(out, { recursive: true });
    let r = cli('weights', 'inspect', fixture('small-5class.pth'), '--json');
    assert.equal(r.code, 0, r.stderr);
    const inspected = JSON.parse(r.stdout) as {
      format: string;
      fits: { arch: string; classes: number; padding: string };
      fitsFlags: string;
      layers: unknown[];
    };
    assert.equal(inspected.format, 'pth');
    assert.deepEqual([inspected.fits.arch, inspected.fits.classes, inspected.fits.padding], ['small', 5, 'symmetric']);
    assert.match(inspected.fitsFlags, /^--arch small --classes 5 --padding symmetric/);
    for (const name of ['x.h5', 'x.weights.h5', 'x.onnx']) {
      r = cli('weights', 'convert', fixture('small-5class.pth'), join(out, name));
      assert.equal(r.code, 0, r.stderr);
      assert.ok(statSync(join(out, name)).size > 100_000, name);
    }
    r = cli('weights', 'inspect', join(out, 'x.h5'), '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { fits: { padding: string; classes: number } }).fits.classes, 5);
  });

  it('refuses a malicious pickle with one line and exit code 1', () => {
    const r = cli('classify', fixture('image-0.png'), '--weights', fixture('malicious.pth'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^mobilenetv3: .*malicious\.pth: refused: its pickle names posix\.system/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
