/**
 * Issue 16: a command pays only for what it uses. Which packages each CLI path loads (read by a
 * preload that records every resolved package), that nothing foreign reaches stderr (TF.js's
 * "running TensorFlow.js in Node.js" banner), and that models whose weights are loaded next or
 * never read are built without Keras's initialisers, while a load that may leave layers as built
 * (by name, a new head) keeps them.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Command } from 'commander';
import { buildModel } from '../src/architecture/builder.js';
import { COMMANDS, commandsFor } from '../src/cli/registry.js';
import { exportOnnx } from '../src/export/onnx/export.js';
import { readOnnxMetadata } from '../src/export/onnx/metadata.js';
import { decodeModel } from '../src/export/onnx/proto.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { readKerasH5File } from '../src/weights/h5-file.js';
import { buildModelWithWeights } from '../src/weights/load.js';
import { ROOT } from './serve.js';
import { sharedPath } from './shared.js';

const TMP = join(ROOT, 'test-output/startup');
const SMALL_H5 = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
const ELEPHANT = sharedPath('data/elephant.jpg');
const TRACKER = join(ROOT, 'test/fixtures/track-packages.mjs');
/** Never needed by a command that only builds a model; webgl and the umbrella never in Node. */
const HEAVY = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-converter',
  '@tensorflow/tfjs-data',
  'h5wasm',
  'sharp',
  'onnxruntime-node',
  '@hpcc-js/wasm-graphviz',
  'protobufjs',
  'esbuild',
];

let runs = 0;
/** Run the CLI from the sources; `packages`: every package the process resolved. */
function cli(...args: string[]) {
  const out = join(TMP, `packages-${runs++}.txt`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', TRACKER, 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TRACK_PACKAGES: out, MOBILENETV3_CACHE: join(TMP, 'cache') },
  });
  const packages = new Set(existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, packages };
}

const loaded = (packages: Set<string>, names: string[]) => names.filter((n) => packages.has(n));
const allZero = (values: ArrayLike<number>) => Array.prototype.every.call(values, (v: number) => v === 0);

describe('start-up: what each command loads', () => {
  before(async () => {
    rmSync(TMP, { recursive: true, force: true });
    await mkdir(TMP, { recursive: true });
  });

  it('--help and --version load commander and nothing else', () => {
    for (const flag of ['--help', '--version']) {
      const r = cli(flag);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const ours = [...r.packages].filter(
        (p) => p !== 'tsx' && p !== 'esbuild' && !p.startsWith('@esbuild/') && p !== 'get-tsconfig' && p !== 'resolve-pkg-maps',
      );
      assert.deepEqual(ours, ['commander'], `${flag} loaded ${ours.join(', ')}`);
    }
  });

  it('summary builds on tfjs-core + tfjs-layers + the cpu backend, quietly, without h5wasm, webgl or the umbrella', () => {
    const r = cli('summary', '--arch', 'small');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr (no TF.js banner)');
    assert.match(r.stdout, /Total params: 2,554,968/);
    for (const p of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu'])
      assert.ok(r.packages.has(p), `${p} loaded`);
    assert.deepEqual(
      loaded(
        r.packages,
        HEAVY.filter((p) => p !== 'esbuild'),
      ),
      [],
    );
  });

  it('a TF.js model.json (weights convert, then summary and classify on TF.js) prints nothing foreign', () => {
    const model = join(TMP, 'small/model.json');
    const convert = cli('weights', 'convert', SMALL_H5, model);
    assert.equal(convert.code, 0, convert.stderr);
    const summary = cli('summary', '--weights', model);
    assert.equal(summary.code, 0, summary.stderr);
    assert.equal(summary.stderr, '');
    assert.deepEqual(loaded(summary.packages, ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgl', 'h5wasm']), []);
    const classify = cli('classify', ELEPHANT, '--engine', 'tfjs', '--weights', model);
    assert.equal(classify.code, 0, classify.stderr);
    assert.equal(classify.stderr, '');
    assert.match(classify.stdout, /African elephant/);
  });

  it('classify with a warm ONNX cache runs on ONNX Runtime alone: no TF.js, no h5wasm', () => {
    const args = ['classify', ELEPHANT, '--arch', 'small', '--weights', SMALL_H5];
    const cold = cli(...args);
    assert.equal(cold.code, 0, cold.stderr);
    const warm = cli(...args);
    assert.equal(warm.code, 0, warm.stderr);
    assert.equal(warm.stderr, '');
    assert.match(warm.stdout, /African elephant/);
    assert.ok(warm.packages.has('onnxruntime-node'));
    assert.deepEqual(loaded(warm.packages, ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', 'h5wasm']), []);
  });

  it('serve loads no TF.js and prints only its address line', async () => {
    assert.ok(existsSync(join(ROOT, 'dist/web/index.html')), 'dist/web is built (npm run build)');
    const out = join(TMP, 'serve-packages.txt');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', TRACKER, 'src/cli/main.ts', 'serve', '--port', '0', '--arch', 'small', '--weights', SMALL_H5],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TRACK_PACKAGES: out },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.includes('\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    await new Promise<void>((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
    assert.match(stdout, /^mobilenetv3 page: http:\/\/127\.0\.0\.1:\d+\//);
    assert.equal(stderr, '');
    const packages = new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean));
    assert.deepEqual(loaded(packages, ['@tensorflow/tfjs-core', '@tensorflow/tfjs', 'h5wasm', 'sharp']), []);
  });
});

describe('start-up: the command registry', () => {
  it('names exactly the commands its modules register, in help order', async () => {
    const program = new Command('mobilenetv3');
    for (const entry of COMMANDS) {
      const before = program.commands.length;
      (await entry.load()).register(program);
      assert.deepEqual(
        program.commands.slice(before).map((c) => c.name()),
        entry.names,
      );
    }
    assert.deepEqual(
      commandsFor(['explain', 'x.jpg']).map((c) => c.names),
      [['activations', 'explain']],
    );
    assert.equal(commandsFor(['--help']).length, COMMANDS.length);
    assert.equal(commandsFor(['sumary']).length, COMMANDS.length, 'a typo gets every name for the suggestion');
  });
});

describe('start-up: ONNX metadata read off the wire', () => {
  it('gives what protobufjs decodes, and a one-line error for a cut file', async () => {
    await useTfBackend('cpu');
    const model = buildModel({ arch: 'small', inputShape: [32, 32, 3], classes: 3 }, { initialize: false });
    const bytes = exportOnnx(model, { labels: ['a', 'b', 'ç'] });
    model.dispose();
    const decoded = decodeModel(bytes).metadata_props as { key: string; value: string }[];
    assert.deepEqual(readOnnxMetadata(bytes), Object.fromEntries(decoded.map((p) => [p.key, p.value])));
    assert.deepEqual(JSON.parse(readOnnxMetadata(bytes).labels), ['a', 'b', 'ç']);
    assert.throws(() => readOnnxMetadata(bytes.subarray(0, bytes.length - 7)), /^Error: not an ONNX model/);
  });
});

describe('start-up: weights are initialised only where they count', () => {
  before(() => useTfBackend('cpu'));

  it('initialize: false builds zeros with the same layers and config (Keras initialisers kept in it)', () => {
    const options = { arch: 'small', inputShape: [32, 32, 3] } as const;
    const keras = buildModel(options);
    const cheap = buildModel(options, { initialize: false });
    try {
      assert.deepEqual(cheap.toJSON(null, false), keras.toJSON(null, false));
      const conv = (m: typeof keras) => m.getLayer('conv').getWeights()[0].dataSync();
      assert.ok(allZero(conv(cheap)));
      assert.ok(!allZero(conv(keras)), 'the default build still initialises');
    } finally {
      keras.dispose();
      cheap.dispose();
    }
  });

  it("loaded by order every weight is the file's; loaded by name a new head keeps Keras's initialiser", async () => {
    const { model } = await buildModelWithWeights({ arch: 'small', weights: SMALL_H5 });
    const { model: head, report } = await buildModelWithWeights({ arch: 'small', classes: 5, weights: SMALL_H5 }, { byName: true });
    try {
      const file = await readKerasH5File(SMALL_H5);
      const weighted = model.layers.filter((l) => l.weights.length > 0);
      assert.equal(weighted.length, file.layers.length);
      weighted.forEach((layer, i) =>
        layer.getWeights().forEach((w, j) => {
          const bytes = (a: ArrayLike<number>) => Buffer.from(Float32Array.from(a).buffer);
          assert.ok(bytes(w.dataSync()).equals(bytes(file.layers[i].weights[j].data)), `${layer.name} weight ${j} is the file's`);
        }),
      );
      assert.deepEqual(
        report?.skipped.map((s) => s.layer),
        ['logits'],
      );
      assert.ok(!allZero(head.getLayer('logits').getWeights()[0].dataSync()), 'the new head is initialised');
    } finally {
      model.dispose();
      head.dispose();
    }
  });
});
