/**
 * `weights convert` over every pair of formats it reads and writes: a model written in each input
 * format (Keras legacy .h5, Keras 3 .keras and .weights.h5, TF.js model.json, PyTorch .pth) is
 * converted to each output format (the same four and .onnx), read back (ONNX through ONNX
 * Runtime) and must give the source model's outputs (log-probabilities, to 1e-5). Three sources:
 * Keras's own top with 5 classes, train's classifier (a Dense head of 3 classes on a backbone
 * without top) and torchvision's Small with a 5-class head (test/fixtures/pth, torch.save).
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { ModelOptions } from '../src/architecture/options.js';
import { buildModel } from '../src/index.js';
import { createOnnxEngine } from '../src/runtime/onnx-engine.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { attachClassifier } from '../src/train/classifier.js';
import { convertWeights } from '../src/weights/convert.js';
import { saveKerasH5Weights } from '../src/weights/h5-file.js';
import { buildModelFromKerasFile, saveKerasArchive } from '../src/weights/keras3/file.js';
import { writeKeras3WeightsH5 } from '../src/weights/keras3/weights-h5.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { buildModelFromPth } from '../src/weights/pth/file.js';
import { loadTfjsModel, saveTfjsModel } from '../src/weights/tfjs-files.js';
import { randomizeWeights } from './helpers.js';

await useTfBackend('wasm');

const OUT = join(fileURLToPath(new URL('..', import.meta.url)), 'test-output', 'weights-convert');
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const NAMES = { h5: 'm.h5', keras: 'm.keras', 'weights.h5': 'm.weights.h5', tfjs: 'm/model.json', pth: 'm.pth', onnx: 'm.onnx' } as const;
type Format = keyof typeof NAMES;
const OUTPUTS: Format[] = ['h5', 'keras', 'weights.h5', 'tfjs', 'onnx'];

async function write(model: tf.LayersModel, format: Format, path: string): Promise<void> {
  if (format === 'h5') await saveKerasH5Weights(model, path);
  else if (format === 'keras') await saveKerasArchive(model, path);
  else if (format === 'weights.h5') await writeFileAtomic(path, await writeKeras3WeightsH5(model));
  else await saveTfjsModel(model, path);
}

/** Log-probabilities: the same for logits and softmax outputs up to float error. */
const logProbs = (y: Float32Array, classes: number): number[] => {
  const out: number[] = [];
  for (let r = 0; r < y.length / classes; r++) {
    const row = Array.from(y.subarray(r * classes, (r + 1) * classes));
    const looksSoftmax = row.every((v) => v >= 0) && Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4;
    const logits = looksSoftmax ? row.map(Math.log) : row;
    const top = Math.max(...logits);
    const lse = top + Math.log(logits.reduce((a, v) => a + Math.exp(v - top), 0));
    out.push(...logits.map((v) => v - lse));
  }
  return out;
};

/** The output of a converted file on `x`: TF.js for every format but ONNX; a .weights.h5 carries no options, so `readAs` are given. */
async function outputOf(path: string, format: Format, x: tf.Tensor4D, readAs: ModelOptions): Promise<Float32Array> {
  if (format === 'onnx') {
    const engine = await createOnnxEngine(path);
    try {
      return (await engine.predict({ data: x.dataSync() as Float32Array, shape: x.shape })).data;
    } finally {
      await engine.dispose();
    }
  }
  let model: tf.LayersModel;
  if (format === 'tfjs') model = await loadTfjsModel(path);
  else if (format === 'keras') model = (await buildModelFromKerasFile(path)).model;
  else {
    const json = `${path}.back/model.json`;
    await convertWeights(path, json, format === 'weights.h5' ? readAs : {});
    model = await loadTfjsModel(json);
  }
  try {
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  } finally {
    model.dispose();
  }
}

/** `range`: the input values (0..255 pixels, or already normalised for a model without Rescaling). */
interface Source {
  name: string;
  classes: number;
  inputs: Format[];
  readAs: ModelOptions;
  range: [number, number];
  make: () => Promise<tf.LayersModel>;
}

const SOURCES: Source[] = [
  {
    name: 'keras top, 5 classes',
    classes: 5,
    inputs: ['h5', 'keras', 'weights.h5', 'tfjs'],
    readAs: {},
    range: [0, 255],
    make: async () => buildModel({ arch: 'small', alpha: 0.35, classes: 5 }),
  },
  {
    name: 'Dense head, 3 classes',
    classes: 3,
    inputs: ['h5', 'keras', 'weights.h5', 'tfjs'],
    readAs: {},
    range: [0, 255],
    make: async () =>
      attachClassifier(buildModel({ arch: 'small', alpha: 0.35, includeTop: false, pooling: 'avg' }), {
        classes: ['a', 'b', 'c'],
        dropout: 0.2,
      }),
  },
  {
    // torchvision's padding is not in a .weights.h5 (weights only): reading it back needs the flags.
    name: 'torchvision .pth, 5 classes',
    classes: 5,
    inputs: ['pth'],
    readAs: { padding: 'symmetric', includePreprocessing: false },
    range: [-2, 2],
    make: async () => (await buildModelFromPth(fileURLToPath(new URL('fixtures/pth/small-5class.pth', import.meta.url)))).model,
  },
];

describe('weights convert: every input format -> every output format, same outputs to 1e-5', () => {
  for (const [s, source] of SOURCES.entries()) {
    for (const from of source.inputs) {
      it(`${source.name}: ${from} -> ${OUTPUTS.join(', ')}`, async () => {
        const model = await source.make();
        if (from !== 'pth') randomizeWeights(model, 11 + s);
        const x = tf.randomUniform([2, 224, 224, 3], ...source.range, 'float32', 17) as tf.Tensor4D;
        const expected = logProbs((model.predict(x) as tf.Tensor).dataSync() as Float32Array, source.classes);
        const dir = join(OUT, `${s}-${from}`);
        const input = from === 'pth' ? fileURLToPath(new URL('fixtures/pth/small-5class.pth', import.meta.url)) : join(dir, NAMES[from]);
        if (from !== 'pth') await write(model, from, input);
        model.dispose();
        for (const to of OUTPUTS) {
          const output = join(dir, 'to', NAMES[to]);
          const result = await convertWeights(input, output, from === 'weights.h5' ? source.readAs : {});
          assert.equal(result.to, to);
          const got = logProbs(await outputOf(output, to, x, source.readAs), source.classes);
          assert.equal(got.length, expected.length, `${from} -> ${to}`);
          const worst = Math.max(...got.map((v, i) => Math.abs(v - expected[i])));
          assert.ok(worst < 1e-5, `${from} -> ${to}: log-probabilities differ by ${worst}`);
        }
        x.dispose();
      });
    }
  }
});
