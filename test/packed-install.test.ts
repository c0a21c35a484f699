/**
 * A consumer's install (issue 16): `npm pack` this checkout, install the tarball into a fresh folder
 * outside it with the registry's packages only (none of our .npmrc or npm settings; only the
 * ONNX Runtime variable the README tells users to set offline), then run the installed CLI
 * (`summary`, `classify` with the real Small weights) and import the API as ESM from there.
 * Needs a built dist/ (`npm run build`, which `npm ci` runs) and the registry or a warm npm cache.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from './serve.js';
import { sharedPath } from './shared.js';

const SMALL_H5 = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
const ELEPHANT = sharedPath('data/elephant.jpg');

// A consumer's environment: nothing npm passed down to this test run (our .npmrc's settings reach
// children as npm_config_*), only what the README says.
const consumerEnv = (dir: string): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
  ONNXRUNTIME_NODE_INSTALL: 'skip',
  MOBILENETV3_CACHE: join(dir, 'cache'),
});

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

describe('packed install: what a consumer gets from npm', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const bin = () => join(dir, 'node_modules/.bin/mobilenetv3');

  before(() => {
    for (const built of ['dist/cli/main.js', 'dist/runtime/tf.browser.js', 'dist/web/index.html', 'dist/visualize/page/viewer.bundle.js']) {
      assert.ok(existsSync(join(ROOT, built)), `${built} is built (npm run build)`);
    }
    dir = mkdtempSync(join(tmpdir(), 'mobilenetv3-consumer-'));
    env = consumerEnv(dir);
    // The files of dist/ are packed as they are: `npm run build` made them; prepare would rebuild.
    const pack = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], ROOT, env);
    assert.equal(pack.code, 0, pack.stderr);
    const tarball = join(dir, pack.stdout.trim().split('\n').pop()!);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const install = run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], dir, env);
    assert.equal(install.code, 0, `npm install failed:\n${install.stderr.slice(-2000)}`);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs the runtime dependencies only: no TF.js umbrella, webgl, Vite, esbuild, tsx or ONNX Runtime Web', (t) => {
    const modules = join(dir, 'node_modules');
    for (const name of [
      'mobilenetv3',
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-layers',
      '@tensorflow/tfjs-backend-wasm',
      'onnxruntime-node',
      'sharp',
      'h5wasm',
    ]) {
      assert.ok(existsSync(join(modules, name)), `${name} installed`);
    }
    for (const name of [
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-converter',
      'vite',
      'esbuild',
      'tsx',
      'onnxruntime-web',
      'typescript',
    ]) {
      assert.ok(!existsSync(join(modules, name)), `${name} not installed`);
    }
    t.diagnostic(`node_modules: ${(folderBytes(modules) / 1e6).toFixed(0)} MB`);
  });

  it('runs summary from the installed CLI, nothing on stderr', () => {
    const r = run(bin(), ['summary', '--arch', 'small'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /Total params: 2,554,968/);
  });

  it('classifies the elephant with the real Small weights', () => {
    const r = run(bin(), ['classify', ELEPHANT, '--arch', 'small', '--weights', SMALL_H5, '--json'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n')[0]) as { predictions: { label: string; probability: number }[] };
    assert.equal(result.predictions[0].label, 'African elephant');
    assert.ok(result.predictions[0].probability > 0.5);
  });

  it('imports the API as ESM and builds and summarises a model', () => {
    const script =
      "import { buildModel, summarize } from 'mobilenetv3'; const m = buildModel({ arch: 'small' }); console.log(summarize(m).totalParams);";
    const r = run(process.execPath, ['--input-type=module', '-e', script], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no TF.js banner through the API either');
    assert.equal(r.stdout.trim(), '2554968');
  });
});
