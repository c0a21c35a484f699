/**
 * The step graph's blocked-batch layout (ONNX Runtime's NCHWc kernels, used when the machine's
 * NCHWc block divides the batch) against its plain layout, which the torchvision fixtures check:
 * same loss, same gradients, same batch-norm statistics. The fixtures' batch of 4 never blocks, so
 * this is what covers the blocked graph.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModel } from '../src/architecture/builder.js';
import { readMetadata } from '../src/architecture/blocks.js';
import { lastBnecks } from '../src/train/split-model.js';
import { nchwcBlockSize } from '../src/train/step/nchwc.js';
import { StepRunner } from '../src/train/step/runner.js';
import { randomizeWeights } from './helpers.js';

type Ort = typeof import('onnxruntime-node');
const ortModule = (await import('onnxruntime-node')) as Ort & { default?: Ort };
const ort = ortModule.default ?? ortModule;
const block = await nchwcBlockSize(ort);
const BATCH = 16; // a multiple of every NCHWc block (8 with AVX2, 16 with AVX-512)

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Relative error of a gradient, against the case's gradient scale for a gradient that is zero in
 * exact arithmetic (a bias or beta feeding a training-mode batch norm is float noise either way).
 */
function gradError(got: Float32Array, want: Float32Array, scale: number): number {
  let d = 0;
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    d += (got[i] - want[i]) ** 2;
    w += want[i] ** 2;
  }
  const rms = Math.sqrt(w / want.length);
  return rms >= 1e-3 * scale ? Math.sqrt(d / w) : Math.sqrt(d / want.length) / scale;
}

interface Case {
  name: string;
  arch: 'small' | 'large';
  padding: 'same' | 'symmetric';
  size: number;
  batchNorm: 'train' | 'frozen';
  top?: number;
}

const cases: Case[] = [
  { name: 'Small, every layer, BN training, TF padding', arch: 'small', padding: 'same', size: 40, batchNorm: 'train' },
  {
    name: 'Large, last 3 bnecks on cut activations, BN frozen, symmetric padding, odd size',
    arch: 'large',
    padding: 'symmetric',
    size: 45,
    batchNorm: 'frozen',
    top: 3,
  },
];

describe('training step: blocked (NCHWc) layout equals the plain layout', {
  skip: block === 1 ? 'this ONNX Runtime build has no NCHWc kernels' : false,
}, () => {
  for (const c of cases) {
    it(c.name, async () => {
      const model = buildModel({ arch: c.arch, padding: c.padding, inputShape: [c.size, c.size, 3], classes: 5, dropoutRate: 0.2 });
      randomizeWeights(model, 7);
      const fromLayer = c.top ? readMetadata(model)!.blocks.find((b) => b.id === lastBnecks(model, c.top!)[0])!.layers[0] : undefined;
      const options = { batch: BATCH, fromLayer, batchNorm: c.batchNorm, threads: 2 } as const;
      const blocked = await StepRunner.create(model, options);
      const plain = await StepRunner.create(model, { ...options, nchwc: false });
      try {
        assert.equal(blocked.graph.block, block, 'the blocked graph uses the NCHWc block');
        assert.equal(plain.graph.block, 1);
        const rnd = lcg(3);
        const dims = blocked.graph.input.dims;
        const input = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (c.top ? 2 * rnd() - 1 : 255 * rnd()));
        const targets = new Float32Array(BATCH * 5);
        for (let i = 0; i < BATCH; i++) targets[i * 5 + (i % 5)] = 1;
        const draws = Float32Array.from({ length: 4096 }, rnd);
        const dropout = (count: number) => draws.subarray(0, count);
        const a = await blocked.step(input, targets, dropout);
        const b = await plain.step(input, targets, dropout);
        assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.abs(b.loss), `loss ${a.loss} vs ${b.loss}`);
        let sq = 0;
        let count = 0;
        for (const g of b.gradients.values()) {
          for (const v of g) sq += v * v;
          count += g.length;
        }
        const scale = Math.sqrt(sq / count);
        assert.equal(a.gradients.size, b.gradients.size);
        for (const [key, want] of b.gradients) {
          const e = gradError(a.gradients.get(key)!, want, scale);
          assert.ok(e < 1e-4, `${key}: relative error ${e}`);
        }
        for (const [layer, want] of plain.batchNorms) {
          const got = blocked.batchNorms.get(layer)!;
          for (let i = 0; i < want.mean.length; i++) {
            assert.ok(Math.abs(got.mean[i] - want.mean[i]) <= 1e-5 * (1 + Math.abs(want.mean[i])), `${layer} moving mean`);
            assert.ok(Math.abs(got.variance[i] - want.variance[i]) <= 1e-5 * (1 + Math.abs(want.variance[i])), `${layer} moving variance`);
          }
        }
      } finally {
        await blocked.dispose();
        await plain.dispose();
      }
    });
  }
});
