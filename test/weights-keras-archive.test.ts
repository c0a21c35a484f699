/**
 * Keras 3 `.keras` archives: the zip writer, our write -> our read (bit-identical, the model
 * recognised from config.json alone), the reader on archives laid out as Keras 3 writes them, and
 * the refusals. Provenance of the fixtures (tools/make_keras_archive_fixtures.py): Keras 3 is not
 * installed here, so the two archives are written with zipfile + h5py + json following Keras
 * 3.16's saving_lib / serialization_lib / functional.py and applications/mobilenet_v3.py layer for
 * layer (hard_sigmoid as ops, DTypePolicy dicts, a nested base at node index 1): a
 * MobileNetV3Small(alpha 0.35, 96x96, no top) nested under GlobalAveragePooling2D + Dropout(0.2)
 * + Dense(5, softmax), and a minimalistic one without preprocessing at 64x80 flattened into
 * GlobalAveragePooling2D + Dense(3). keras-archives.json holds each weighted Keras layer's
 * variable shapes, sums and first values. Not verified: that Keras 3 itself loads the archives we
 * write (it cannot run here); their config is checked against the layout Keras's source writes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { buildModel, type ModelOptions } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { attachClassifier, readLabels } from '../src/train/classifier.js';
import { buildModelFromKerasArchive, kerasArchiveSpec, readKerasArchive, writeKerasArchive } from '../src/weights/keras3/archive.js';
import { kerasModelConfig } from '../src/weights/keras3/config-write.js';
import { readKerasModelConfig } from '../src/weights/keras3/config-read.js';
import { crc32, readZip, writeZip } from '../src/weights/zip.js';
import { randomizeWeights } from './helpers.js';
import { sharedPath } from './shared.js';

await useTfBackend('wasm');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'test-output', 'weights-keras-archive');
mkdirSync(OUT, { recursive: true });
const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const refs: Record<string, Record<string, [number[], number, number][]>> = JSON.parse(readFileSync(fixture('keras-archives.json'), 'utf8'));
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });

function oneLine(message: RegExp): (e: Error) => boolean {
  return (e) => e.name === 'WeightsError' && message.test(e.message) && !e.message.includes('\n');
}

function sameWeights(a: tf.LayersModel, b: tf.LayersModel): void {
  const wa = a.getWeights();
  const wb = b.getWeights();
  assert.equal(wa.length, wb.length);
  wa.forEach((w, i) => assert.deepEqual(wb[i].dataSync(), w.dataSync(), a.weights[i].name));
}

describe('zip writer', () => {
  it('writes archives the reader (and any zip tool) takes back: CRC-32, stored and deflated entries', () => {
    const text = new TextEncoder().encode('123456789');
    assert.equal(crc32(text), 0xcbf43926); // the check value of CRC-32/ISO-HDLC
    const big = new Uint8Array(5000).map((_, i) => i % 7);
    const zip = readZip(
      writeZip([
        { name: 'a.txt', data: text },
        { name: 'dir/b.bin', data: big, deflate: true },
      ]),
    );
    assert.deepEqual([...zip.entries.keys()], ['a.txt', 'dir/b.bin']);
    assert.equal(zip.entries.get('a.txt')!.method, 0);
    assert.equal(zip.entries.get('dir/b.bin')!.method, 8);
    assert.ok(zip.entries.get('dir/b.bin')!.compressedSize < big.length);
    assert.deepEqual(zip.read('a.txt'), text);
    assert.deepEqual(zip.read('dir/b.bin'), big);
  });
});

describe('.keras: our write -> our read', () => {
  const variants: (ModelOptions | 'head')[] = [
    { arch: 'small' },
    { arch: 'large', alpha: 0.75, inputShape: [160, 192, 3] },
    { arch: 'small', minimalistic: true, includeTop: false, pooling: 'max' },
    { arch: 'large', includeTop: false, includePreprocessing: false },
    { arch: 'small', alpha: 0.5, classes: 5, classifierActivation: null, dropoutRate: 0 },
    { arch: 'small', padding: 'symmetric', includePreprocessing: false, inputShape: [97, 130, 3] },
    { arch: 'small', flavor: 'blog' },
    'head',
  ];
  for (const options of variants) {
    it(`bit-identical, and the model recognised from config.json alone: ${JSON.stringify(options)}`, async () => {
      const a =
        options === 'head'
          ? attachClassifier(buildModel({ arch: 'small', alpha: 0.35, includeTop: false, pooling: 'avg' }), {
              classes: ['cat', 'dog', 'emu'],
              dropout: 0.3,
            })
          : buildModel(options);
      randomizeWeights(a, 3);
      const archive = await readKerasArchive(await writeKerasArchive(a), 'x.keras');
      const ours = buildModelFromKerasArchive(archive, {}, 'x.keras');
      sameWeights(a, ours.model);
      if (options === 'head') assert.deepEqual(readLabels(ours.model), ['cat', 'dog', 'emu']);
      // Without this package's record in metadata.json: what a file from Keras gives (the blog
      // flavour is not a keras.applications model: refused).
      delete archive.metadata.mobilenetv3;
      if (options !== 'head' && options.flavor === 'blog') {
        assert.throws(
          () => buildModelFromKerasArchive(archive, {}, 'x.keras'),
          oneLine(/^x\.keras is not a keras\.applications MobileNetV3/),
        );
        a.dispose();
        ours.model.dispose();
        return;
      }
      const fromConfig = buildModelFromKerasArchive(archive, {}, 'x.keras');
      sameWeights(a, fromConfig.model);
      assert.equal(fromConfig.model.outputs[0].shape.join(), a.outputs[0].shape.join());
      const x = tf.randomUniform([1, ...(a.inputs[0].shape.slice(1) as number[])], 0, 255, 'float32', 5);
      const [ya, yb] = [a.predict(x) as tf.Tensor, fromConfig.model.predict(x) as tf.Tensor];
      assert.ok(tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0] < 1e-6);
      for (const m of [a, ours.model, fromConfig.model]) m.dispose();
    });
  }

  it('writes config.json as serialize_keras_object does: layers with inbound_nodes of __keras_tensor__ args', async () => {
    const model = buildModel({ arch: 'small' });
    const config = kerasModelConfig(model) as {
      class_name: string;
      registered_name: string;
      config: {
        layers: { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: { args: unknown[] }[] }[];
        input_layers: unknown;
        output_layers: unknown;
      };
    };
    assert.equal(config.class_name, 'Functional');
    assert.equal(config.registered_name, 'Functional');
    assert.deepEqual(config.config.input_layers, ['input_layer', 0, 0]);
    assert.deepEqual(config.config.output_layers, ['predictions', 0, 0]);
    const layers = new Map(config.config.layers.map((l) => [l.name, l]));
    assert.deepEqual(layers.get('input_layer')!.config, {
      name: 'input_layer',
      dtype: 'float32',
      batch_shape: [null, 224, 224, 3],
      sparse: false,
    });
    const conv = layers.get('conv')!;
    assert.deepEqual(
      [conv.config.filters, conv.config.kernel_size, conv.config.strides, conv.config.use_bias],
      [16, [3, 3], [2, 2], false],
    );
    assert.deepEqual(conv.inbound_nodes[0].args, [
      { class_name: '__keras_tensor__', config: { shape: [null, 224, 224, 3], dtype: 'float32', keras_history: ['rescaling', 0, 0] } },
    ]);
    // A merge layer is called on a list of tensors.
    const mul = layers.get('expanded_conv_squeeze_excite_mul')!;
    assert.equal((mul.inbound_nodes[0].args[0] as unknown[]).length, 2);
    assert.deepEqual(layers.get('expanded_conv_depthwise_pad')!.config.padding, [
      [0, 1],
      [0, 1],
    ]);
    assert.ok([...layers.values()].filter((l) => l.class_name === 'Activation').some((l) => l.config.activation === 'hard_swish'));
    assert.ok([...layers.values()].filter((l) => l.class_name === 'Activation').some((l) => l.config.activation === 'hard_sigmoid'));
    const bytes = await writeKerasArchive(model);
    const zip = readZip(bytes);
    // Keras's order and names; stored, as Python's zipfile writes them.
    assert.deepEqual([...zip.entries.keys()], ['metadata.json', 'config.json', 'model.weights.h5']);
    assert.ok([...zip.entries.values()].every((e) => e.method === 0));
    const metadata = JSON.parse(new TextDecoder().decode(zip.read('metadata.json'))) as { keras_version: string; date_saved: string };
    assert.match(metadata.keras_version, /^3\.\d+\.\d+$/);
    assert.match(metadata.date_saved, /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    model.dispose();
  });
});

describe('.keras laid out as Keras 3 writes it', () => {
  const cases: [string, ModelOptions, { classes: number; dropout: number; softmax: boolean }, boolean][] = [
    [
      'keras-transfer-nested.keras',
      {
        arch: 'small',
        alpha: 0.35,
        inputShape: [96, 96, 3],
        minimalistic: false,
        includePreprocessing: true,
        padding: 'same',
        includeTop: false,
        pooling: 'avg',
      },
      { classes: 5, dropout: 0.2, softmax: true },
      true,
    ],
    [
      'keras-transfer-flat.keras',
      {
        arch: 'small',
        alpha: 0.35,
        inputShape: [64, 80, 3],
        minimalistic: true,
        includePreprocessing: false,
        padding: 'same',
        includeTop: false,
        pooling: 'avg',
      },
      { classes: 3, dropout: 0, softmax: false },
      false,
    ],
  ];
  for (const [name, options, head, nested] of cases) {
    it(`${name}: the MobileNetV3 and head recognised, every Keras layer's values in our layer of that name`, async () => {
      const archive = await readKerasArchive(new Uint8Array(readFileSync(fixture(name))), name);
      const spec = kerasArchiveSpec(archive, name);
      assert.deepEqual(spec.options, options);
      assert.deepEqual(spec.head, head);
      assert.equal(spec.nested, nested);
      const { model, classes } = buildModelFromKerasArchive(archive, {}, name);
      assert.equal(classes, head.classes);
      const expected = refs[name];
      assert.equal(Object.keys(expected).length, model.layers.filter((l) => l.weights.length > 0).length);
      for (const [kerasName, vars] of Object.entries(expected)) {
        const layer = model.getLayer(kerasName === 'dense' ? 'logits' : kerasName); // the head's Dense is our `logits`
        const values = layer.getWeights().map((w) => Array.from(w.dataSync()));
        assert.deepEqual(
          layer.getWeights().map((w) => w.shape),
          vars.map((v) => v[0]),
          kerasName,
        );
        vars.forEach(([, sum, first], i) => {
          assert.equal(values[i][0], Math.fround(first), `${kerasName} var ${i}`);
          assert.ok(Math.abs(values[i].reduce((a, b) => a + b, 0) - sum) < 1e-3 * Math.max(1, Math.abs(sum)), `${kerasName} var ${i} sum`);
        });
      }
      const y = model.predict(tf.zeros([2, ...options.inputShape!])) as tf.Tensor;
      assert.deepEqual(y.shape, [2, head.classes]);
      model.dispose();
    });
  }

  it('refuses what is not a MobileNetV3 it can build, each in one line', async () => {
    const archive = await readKerasArchive(new Uint8Array(readFileSync(fixture('keras-transfer-flat.keras'))), 'a.keras');
    const config = archive.config as { config: { layers: { name: string; class_name: string; config: Record<string, unknown> }[] } };
    const renamed = structuredClone(config);
    renamed.config.layers = renamed.config.layers.filter((l) => !/^expanded_conv_10/.test(l.name));
    assert.throws(() => readKerasModelConfig(renamed, 'a.keras'), oneLine(/^a\.keras is not a keras\.applications MobileNetV3/));
    const twoDense = structuredClone(config);
    twoDense.config.layers.push({ ...structuredClone(twoDense.config.layers.at(-1)!), name: 'dense_1' });
    assert.throws(() => readKerasModelConfig(twoDense, 'a.keras'), oneLine(/a head of 2 Dense layers/));
    const lstm = structuredClone(config);
    lstm.config.layers.push({ name: 'lstm', class_name: 'LSTM', config: {} });
    assert.throws(() => readKerasModelConfig(lstm, 'a.keras'), oneLine(/layer lstm \(LSTM\) after the MobileNetV3 base/));
    assert.throws(
      () => readKerasModelConfig({ class_name: 'Sequential', config: { name: 's' } }, 'a.keras'),
      oneLine(/config\.json is not a Keras functional model/),
    );
    const padded = structuredClone(archive);
    const pad = (padded.config as typeof config).config.layers.find((l) => l.class_name === 'ZeroPadding2D')!;
    pad.config.padding = [
      [2, 2],
      [2, 2],
    ];
    assert.throws(
      () => buildModelFromKerasArchive(padded, {}, 'a.keras'),
      oneLine(/^a\.keras: expanded_conv_depthwise_pad pads \[\[2,2\],\[2,2\]\], not as this package builds/),
    );
    const bytes = readFileSync(fixture('keras-transfer-flat.keras'));
    await assert.rejects(
      readKerasArchive(new Uint8Array(bytes.subarray(0, bytes.length - 100)), 'cut.keras'),
      oneLine(/^cut\.keras is truncated/),
    );
    const noWeights = writeZip([{ name: 'config.json', data: new TextEncoder().encode('{}') }]);
    await assert.rejects(
      readKerasArchive(noWeights, 'w.keras'),
      oneLine(/^w\.keras is not a Keras 3 \.keras archive \(no model\.weights\.h5\)/),
    );
  });
});

describe('CLI: .keras', () => {
  it("Keras's published Small as .keras classifies elephant.jpg as an African elephant (classify --weights x.keras)", () => {
    const k = join(OUT, 'imagenet-small.keras');
    let r = cli('export', '--arch', 'small', '--weights', sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5'), '-o', k);
    assert.equal(r.status, 0, r.stderr);
    r = cli('classify', sharedPath('data/elephant.jpg'), '--weights', k, '--json', '--top', '1');
    assert.equal(r.status, 0, r.stderr);
    const line = JSON.parse(r.stdout.trim()) as { predictions: { index: number; probability: number }[] };
    assert.equal(line.predictions[0].index, 386); // African elephant
    assert.ok(line.predictions[0].probability > 0.5);
  });

  it('export --format keras, weights inspect, --weights x.keras, convert .keras -> .h5 -> .keras', async () => {
    const k = join(OUT, 'small.keras');
    let r = cli('export', '--arch', 'small', '--alpha', '0.75', '--classes', '7', '-o', k);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.includes('HDF5'), false, r.stderr);
    r = cli('weights', 'inspect', k, '--json');
    assert.equal(r.status, 0, r.stderr);
    const inspected = JSON.parse(r.stdout) as { format: string; fitsFlags: string; totalParams: number };
    assert.equal(inspected.format, 'keras');
    assert.equal(inspected.fitsFlags, '--arch small --alpha 0.75 --classes 7');
    r = cli('weights', 'inspect', fixture('keras-transfer-nested.keras'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Fits: --arch small --alpha 0\.35 --no-top --pooling avg \+ Dense head of 5 classes/m);
    r = cli('summary', '--weights', fixture('keras-transfer-nested.keras'), '--json');
    assert.equal(r.status, 0, r.stderr);
    r = cli('weights', 'convert', fixture('keras-transfer-nested.keras'), join(OUT, 'nested.h5'), '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { from: string }).from, 'keras');
    r = cli('weights', 'convert', join(OUT, 'nested.h5'), join(OUT, 'back.keras'));
    assert.equal(r.status, 0, r.stderr);
    const back = buildModelFromKerasArchive(await readKerasArchive(new Uint8Array(readFileSync(join(OUT, 'back.keras')))));
    const first = buildModelFromKerasArchive(await readKerasArchive(new Uint8Array(readFileSync(fixture('keras-transfer-nested.keras')))));
    sameWeights(first.model, back.model);
    r = cli('classify', sharedPath('data/elephant.jpg'), '--weights', fixture('keras-transfer-nested.keras'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mobilenetv3: .*holds a transfer-learning model \(a Dense head of 5 classes\): convert it/);
    writeFileSync(join(OUT, 'bad.keras'), 'not a zip at all, just text');
    r = cli('summary', '--weights', join(OUT, 'bad.keras'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mobilenetv3: .*bad\.keras is truncated or not a zip archive/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
