import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Run the CLI from the TypeScript sources (what `npx mobilenetv3` runs once built). */
export function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('mobilenetv3 summary', () => {
  it('prints the Keras-style table with totals and MACs', () => {
    const r = cli('summary', '--arch', 'large');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Model: "MobileNetV3Large"/);
    assert.match(r.stdout, /Layer \(type\)\s+┃ Output Shape\s+┃\s+Param # ┃\s+MACs ┃ Connected to/);
    assert.match(r.stdout, /Total params: 5,507,432 \(21\.01 MB\)/);
    assert.match(r.stdout, /Trainable params: 5,483,032/);
    assert.match(r.stdout, /Non-trainable params: 24,400 \(95\.31 KB\)/);
    assert.match(r.stdout, /Total MACs: 216,589,760/);
    assert.equal(r.stderr, '');
  });
  it('--json gives totals and layers', () => {
    const r = cli('summary', '--arch', 'small', '--no-top', '--pooling', 'avg', '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.totalParams, 939_120);
    assert.equal(s.trainableParams + s.nonTrainableParams, s.totalParams);
    assert.ok(s.macs > 50e6);
    const last = s.layers[s.layers.length - 1];
    assert.deepEqual(last, { ...last, name: 'avg_pool', type: 'GlobalAveragePooling2D', outputShape: [null, 576] });
    for (const key of ['name', 'type', 'outputShape', 'params', 'macs', 'inbound']) assert.ok(key in last, key);
  });
  it('accepts HxW input sizes and the blog flavour', () => {
    const r = cli('summary', '--flavor', 'blog', '--arch', 'small', '--input-size', '257x311', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).layers[0].outputShape, [null, 257, 311, 3]);
  });
  for (const [args, pattern] of [
    [['--alpha', '0'], /alpha/],
    [['--alpha', 'abc'], /alpha/],
    [['--input-size', '16'], /at least 32/],
    [['--arch', 'huge'], /huge/],
    [['--classes', '-3'], /classes/],
  ] as [string[], RegExp][]) {
    it(`rejects ${args.join(' ')} with a one-line error and the usage exit code 2`, () => {
      const r = cli('summary', ...args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }
  it('a bad file is exit code 1, not the usage code', () => {
    const r = cli('summary', '--weights', 'test-output/no-such-weights.h5');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^mobilenetv3: .*no-such-weights\.h5/);
  });
  it('--help lists the shared model options', () => {
    const r = cli('summary', '--help');
    assert.equal(r.code, 0);
    for (const flag of ['--arch', '--flavor', '--alpha', '--minimalistic', '--input-size', '--classes', '--no-top', '--pooling']) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });
});
