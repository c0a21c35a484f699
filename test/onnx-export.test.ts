import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/architecture/builder.js';
import type { ModelOptions } from '../src/architecture/options.js';
import { exportOnnx, OnnxExportError, samePads } from '../src/export/onnx/export.js';
import { decodeModel } from '../src/export/onnx/proto.js';
import { createEngine } from '../src/runtime/create-engine.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { randomizeWeights } from './helpers.js';

const SIZE: [number, number, number] = [48, 56, 3];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Both engines on the same random batch; outputs must agree within 1e-4 (relative for features). */
async function compareEngines(options: ModelOptions, batch = 3) {
  const model = buildModel({ ...options, inputShape: SIZE });
  randomizeWeights(model, 11);
  const data = tf.tidy(() => tf.randomUniform([batch, ...SIZE], 0, 255, 'float32', 5).dataSync() as Float32Array);
  const input = { data, shape: [batch, ...SIZE] };
  const onnx = await createEngine(model, { engine: 'onnx', threads: 1 });
  const tfjs = await createEngine(model, { engine: 'tfjs' });
  const [a, b] = [await onnx.predict(input), await tfjs.predict(input)];
  assert.deepEqual([...a.shape], [...b.shape]);
  assert.deepEqual(onnx.outputShape, tfjs.outputShape);
  const scale = Math.max(1, ...Array.from(b.data, Math.abs));
  const diff = maxAbsDiff(a.data, b.data);
  assert.ok(diff <= 1e-4 * scale, `ONNX vs TF.js differ by ${diff} (scale ${scale})`);
  await onnx.dispose();
  await tfjs.dispose();
  return { a, b, model };
}

describe('ONNX export reproduces the TF.js model', () => {
  before(() => useTfBackend('wasm'));

  for (const arch of ['large', 'small'] as const) {
    for (const flavor of ['keras', 'blog'] as const) {
      it(`${arch} / ${flavor}: probabilities within 1e-4`, async () => {
        const { a } = await compareEngines({ arch, flavor, classes: 10 });
        assert.deepEqual([...a.shape], [3, 10]);
        // Not a degenerate output: the random weights give distinct, non-uniform probabilities.
        const row = Array.from(a.data.slice(0, 10));
        assert.ok(Math.max(...row) - Math.min(...row) > 0.01, `probabilities too flat: ${row}`);
      });
    }
  }
  it('logits with symmetric padding (stride-2 pads folded into the convs)', async () => {
    await compareEngines({ arch: 'small', padding: 'symmetric', classifierActivation: null, classes: 7 });
    await compareEngines({ arch: 'small', flavor: 'blog', padding: 'symmetric', classifierActivation: null, classes: 7 });
    // The rescaling's factor folds into a conv behind explicit zero padding (blog with preprocessing).
    await compareEngines({ arch: 'small', flavor: 'blog', padding: 'symmetric', includePreprocessing: true, classes: 7 });
  });
  it('feature extractors: bare feature map (NHWC), avg and max pooling, minimalistic', async () => {
    const bare = await compareEngines({ arch: 'small', includeTop: false });
    assert.deepEqual([...bare.a.shape], [3, 2, 2, 576]);
    const avg = await compareEngines({ arch: 'large', includeTop: false, pooling: 'avg', minimalistic: true });
    assert.deepEqual([...avg.a.shape], [3, 960]);
    const max = await compareEngines({ arch: 'small', flavor: 'blog', includeTop: false, pooling: 'max' });
    assert.deepEqual([...max.a.shape], [3, 576]);
  });
});

describe('the exported ONNX file', () => {
  before(() => useTfBackend('wasm'));

  it('folds BN, uses HardSwish/HardSigmoid, names nodes after layers, has a dynamic batch and metadata', () => {
    const model = buildModel({ arch: 'small', inputShape: SIZE });
    const labels = Array.from({ length: 1000 }, (_, i) => `class ${i}`);
    const m = decodeModel(exportOnnx(model, { labels }));
    assert.equal(m.ir_version, 8);
    assert.deepEqual(m.opset_import, [{ domain: '', version: 17 }]);
    const ops = m.graph.node.map((n: any) => n.op_type) as string[];
    assert.ok(!ops.includes('BatchNormalization'), 'BN folded away');
    assert.ok(!ops.includes('Pad'), 'zero padding folded into conv pads');
    assert.ok(!ops.includes('Transpose'), 'the stem conv reads the NHWC input as a one-channel image');
    const stem = m.graph.node.find((n: any) => n.name === 'conv');
    const attr0 = Object.fromEntries(stem.attribute.map((a: any) => [a.name, a.ints ?? a.i]));
    assert.deepEqual(attr0.kernel_shape, [3, 9]);
    assert.deepEqual(attr0.strides, [2, 6]);
    assert.deepEqual(attr0.pads, [0, 0, 1, 3], 'TF same padding of 48x56, stride 2: one row below, one pixel (3 values) right');
    assert.ok(ops.includes('HardSwish'));
    const hs = m.graph.node.find((n: any) => n.op_type === 'HardSigmoid');
    const attr = Object.fromEntries(hs.attribute.map((a: any) => [a.name, a.f]));
    assert.ok(Math.abs(attr.alpha - 1 / 6) < 1e-7 && attr.beta === 0.5, JSON.stringify(attr));
    const names = new Set(m.graph.node.map((n: any) => n.name));
    for (const layer of [
      'conv',
      'expanded_conv_depthwise',
      'expanded_conv_squeeze_excite_mul',
      'expanded_conv_3_expand',
      'logits',
      'predictions',
    ]) {
      assert.ok(names.has(layer), layer);
    }
    const conv = m.graph.node.find((n: any) => n.name === 'expanded_conv_1_depthwise');
    assert.match(conv.doc_string, /expanded_conv_1_depthwise_bn folded/);
    const group = conv.attribute.find((a: any) => a.name === 'group').i;
    assert.equal(group, 72);
    const [input] = m.graph.input;
    assert.equal(input.name, 'input_layer');
    assert.deepEqual(input.type.tensor_type.shape.dim, [{ dim_param: 'batch' }, { dim_value: 48 }, { dim_value: 56 }, { dim_value: 3 }]);
    assert.equal(m.graph.output[0].name, 'predictions');
    const props = Object.fromEntries(m.metadata_props.map((p: any) => [p.key, p.value]));
    assert.equal(props.arch, 'small');
    assert.equal(props.flavor, 'keras');
    assert.equal(props.input_size, '48x56');
    assert.match(props.preprocessing, /NHWC RGB: pixels 0\.\.255/);
    assert.deepEqual(JSON.parse(props.labels), labels);
    // The model card, as JSON: what readers take the contract and the labels from.
    const card = JSON.parse(props['mobilenetv3.card']);
    assert.equal(card.version, 1);
    assert.deepEqual(card.input.size, [48, 56]);
    assert.deepEqual([card.input.scale, card.input.offset, card.input.crop], [[1, 1, 1], [0, 0, 0], 0.875]);
    assert.deepEqual(card.labels, labels);
  });

  it('computes TF "same" padding (odd pixel after)', () => {
    assert.deepEqual(samePads(224, 3, 2), [0, 1]);
    assert.deepEqual(samePads(225, 3, 2), [1, 1]);
    assert.deepEqual(samePads(14, 5, 1), [2, 2]);
    assert.deepEqual(samePads(7, 5, 2), [2, 2]);
  });

  it('keeps Mul + Add for a rescaling no conv follows', async () => {
    const input = tf.input({ shape: [6, 5, 3], name: 'in' });
    const scaled = tf.layers.rescaling({ scale: 0.5, offset: 2, name: 'scale' }).apply(input) as tf.SymbolicTensor;
    const out = tf.layers.globalMaxPooling2d({ name: 'pool' }).apply(scaled) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const m = decodeModel(exportOnnx(model));
    assert.deepEqual(
      m.graph.node.map((n: any) => n.op_type),
      ['Mul', 'Add', 'Transpose', 'GlobalMaxPool', 'Flatten'],
    );
    const { createOnnxEngine } = await import('../src/runtime/onnx-engine.js');
    const engine = await createOnnxEngine(exportOnnx(model));
    const data = Float32Array.from({ length: 2 * 6 * 5 * 3 }, (_, i) => (i * 37) % 11);
    const got = await engine.predict({ data, shape: [2, 6, 5, 3] });
    const want = (model.predict(tf.tensor(data, [2, 6, 5, 3])) as tf.Tensor).dataSync() as Float32Array;
    assert.ok(maxAbsDiff(got.data, want) < 1e-6);
    await engine.dispose();
  });

  it('names an unsupported layer in a one-line error', () => {
    const input = tf.input({ shape: [8, 8, 3], name: 'in' });
    const out = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(input) as tf.SymbolicTensor;
    assert.throws(
      () => exportOnnx(tf.model({ inputs: input, outputs: out })),
      (e: Error) => {
        assert.ok(e instanceof OnnxExportError);
        assert.match(e.message, /cannot export layer "up": ONNX export does not support UpSampling2D/);
        return true;
      },
    );
  });
});
