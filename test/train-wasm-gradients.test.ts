import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradients } from '../src/train/wasm-gradients.js';

type Shape4 = [number, number, number, number];
type Case = { name: string; depthwise: boolean; x: Shape4; f: Shape4; stride: number; pad: 'same' | 'valid' };

const CASES: Case[] = [
  { name: 'conv 1x1 stride 1', depthwise: false, x: [2, 7, 7, 5], f: [1, 1, 5, 6], stride: 1, pad: 'same' },
  { name: 'conv 3x3 stride 2 same, odd size', depthwise: false, x: [2, 9, 9, 3], f: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { name: 'conv 3x3 stride 2 same, even size', depthwise: false, x: [1, 8, 10, 3], f: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { name: 'conv 3x3 stride 1 valid', depthwise: false, x: [2, 6, 6, 2], f: [3, 3, 2, 3], stride: 1, pad: 'valid' },
  { name: 'depthwise 3x3 stride 1 same', depthwise: true, x: [2, 7, 7, 4], f: [3, 3, 4, 1], stride: 1, pad: 'same' },
  { name: 'depthwise 5x5 stride 1 same', depthwise: true, x: [2, 7, 7, 4], f: [5, 5, 4, 1], stride: 1, pad: 'same' },
  {
    name: 'depthwise 5x5 stride 2 valid (Keras: ZeroPadding2D first)',
    depthwise: true,
    x: [2, 17, 17, 3],
    f: [5, 5, 3, 1],
    stride: 2,
    pad: 'valid',
  },
  { name: 'depthwise 3x3 stride 2 same, even size', depthwise: true, x: [1, 8, 8, 3], f: [3, 3, 3, 1], stride: 2, pad: 'same' },
  { name: 'depthwise 3x3 multiplier 2 (filter gradient)', depthwise: true, x: [1, 5, 5, 2], f: [3, 3, 2, 2], stride: 1, pad: 'same' },
];

/** Gradients of sum(conv(x, f) * r) with respect to x and f, as plain arrays. */
function gradients(c: Case): { dx?: Float32Array; df: Float32Array } {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomNormal(c.f, 0, 1, 'float32', 2) as tf.Tensor4D;
    const conv = (a: tf.Tensor4D, b: tf.Tensor4D) =>
      c.depthwise ? tf.depthwiseConv2d(a, b, c.stride, c.pad) : tf.conv2d(a, b, c.stride, c.pad);
    const r = tf.randomNormal(conv(x, f).shape, 0, 1, 'float32', 3);
    const withInput = !(c.depthwise && c.f[3] > 1);
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r));
    if (withInput) {
      const [dx, df] = tf.grads(loss)([x, f]);
      return { dx: dx.dataSync() as Float32Array, df: df.dataSync() as Float32Array };
    }
    const df = tf.grad((b: tf.Tensor) => loss(x, b))(f);
    return { df: df.dataSync() as Float32Array };
  });
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('stock TF.js wasm cannot take a conv filter gradient (why the kernels exist)', async () => {
  await tf.setBackend('wasm');
  assert.throws(() => gradients(CASES[0]), /Conv2DBackpropFilter' not registered for backend 'wasm'/);
});

test('wasm convolution gradients equal the cpu backend reference', async () => {
  await tf.setBackend('cpu');
  const reference = CASES.map(gradients);
  await tf.setBackend('wasm');
  registerWasmGradients();
  CASES.forEach((c, i) => {
    const got = gradients(c);
    const ref = reference[i];
    assert.ok(maxDiff(got.df, ref.df) < 1e-3, `${c.name}: filter gradient differs by ${maxDiff(got.df, ref.df)}`);
    if (ref.dx) assert.ok(maxDiff(got.dx!, ref.dx) < 1e-3, `${c.name}: input gradient differs by ${maxDiff(got.dx!, ref.dx)}`);
  });
});

test('the broadcast-only Tile replacement and the 1x1 Conv2DBackpropInput replacement agree with the stock results', async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([1, 1, 1, 5], 0, 1, 'float32', 4);
  const general = tf.randomNormal([2, 3], 0, 1, 'float32', 5);
  const dy = tf.randomNormal([2, 4, 4, 6], 0, 1, 'float32', 6) as tf.Tensor4D;
  const w = tf.randomNormal([1, 1, 3, 6], 0, 1, 'float32', 7) as tf.Tensor4D;
  const compute = () =>
    [tf.tile(x, [2, 3, 4, 1]), tf.tile(general, [2, 2]), tf.conv2dTranspose(dy, w, [2, 4, 4, 3], 1, 'same')].map((t) =>
      Array.from(t.dataSync()),
    );
  const reference = compute();
  await tf.setBackend('wasm');
  registerWasmGradients();
  const got = compute();
  got.forEach((values, i) => {
    assert.equal(values.length, reference[i].length);
    values.forEach((v, j) => assert.ok(Math.abs(v - reference[i][j]) < 1e-4, `case ${i} value ${j}: ${v} vs ${reference[i][j]}`));
  });
});
