/**
 * One training step equals PyTorch's (issue 12). Fixtures from tools/train_step_reference.py:
 * torchvision MobileNetV3 (10 classes, dropout 0, batch norm in training mode) from the recipe
 * weights, one batch of 4 recipe images, cross-entropy, autograd; then one SGD-momentum step and one
 * Adam step, and the batch-norm statistics with Keras's moving-average rule. Our step graph (ONNX
 * Runtime) and optimisers must give the same loss, logits, every parameter's gradient, the updated
 * weights and the updated moving statistics, within 1e-4 relative error, for Large and Small,
 * symmetric padding and TF "same" padding (against the explicitly padded torch model).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, type Padding } from '../src/index.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { createOptimizer } from '../src/train/optim/index.js';
import { StepRunner, type StepResult } from '../src/train/step/runner.js';
import { loadTorchvisionStateDict, torchvisionModuleNames, transpose } from '../src/weights/torchvision.js';
import { recipeInput, recipeStateDict } from './torchvision-recipe.js';

await useTfBackend('wasm');

interface Sample {
  n: number;
  sum: number;
  sumSq: number;
  idx: number[];
  values: number[];
}
interface Fixture {
  arch: 'large' | 'small';
  padding: Padding;
  loss: number;
  logits: number[][];
  labels: number[];
  inputShape: [number, number, number, number];
  inputSeed: number;
  gain: number;
  classes: number;
  entries: { name: string; shape: number[] }[];
  hyper: {
    sgd: { lr: number; momentum: number; nesterov: boolean; weightDecay: number };
    adam: { lr: number; beta1: number; beta2: number; epsilon: number; weightDecay: number };
    bnMomentum: number;
  };
  params: Record<string, { grad: Sample; sgd: Sample; adam: Sample }>;
  bn: Record<string, { batchMean: Sample; batchVar: Sample; runningMean: Sample; runningVar: Sample }>;
}

const TOLERANCE = 1e-4;

const load = (arch: string, padding: string): Fixture =>
  JSON.parse(readFileSync(new URL(`fixtures/train-step-${arch}-${padding}.json`, import.meta.url), 'utf8'));

/**
 * How far `ours` (torch layout, flat) is from a Sample: the worst of the sampled values' max error
 * relative to the tensor's scale (its largest sampled magnitude or RMS), and of the sum and the
 * root sum of squares (which see every element), each relative to its own bound.
 */
export function sampleError(ours: Float32Array, s: Sample): number {
  assert.equal(ours.length, s.n, 'element count');
  const scale = Math.max(Math.sqrt(s.sumSq / s.n), ...s.values.map(Math.abs), 1e-12);
  let worst = 0;
  s.idx.forEach((i, k) => {
    worst = Math.max(worst, Math.abs(ours[i] - s.values[k]) / scale);
  });
  let sum = 0;
  let sumSq = 0;
  for (const v of ours) {
    sum += v;
    sumSq += v * v;
  }
  // The sum relative to the bound on it, sum |t| <= n * rms(t).
  worst = Math.max(
    worst,
    Math.abs(sum - s.sum) / (Math.sqrt(s.sumSq / s.n) * s.n || 1e-24),
    Math.abs(Math.sqrt(sumSq) - Math.sqrt(s.sumSq)) / Math.sqrt(s.sumSq || 1e-24),
  );
  return worst;
}

/** Our Keras-layout array of a torch parameter, in torch's layout. */
function torchLayout(data: Float32Array, className: string, shape: number[]): Float32Array {
  if (shape.length !== 4) return data; // biases, batch norm
  if (className === 'DepthwiseConv2D') return transpose(data, shape, [2, 3, 0, 1]); // (kh,kw,C,1) -> (C,1,kh,kw)
  return transpose(data, shape, [3, 2, 0, 1]); // (kh,kw,in,out) -> (out,in,kh,kw); a Linear's (out,in) is the same order
}

interface Run {
  model: tf.LayersModel;
  runner: StepRunner;
  result: StepResult;
  /** torch parameter name -> our key, layer class, Keras shape. */
  names: Map<string, { key: string; className: string; shape: number[] }>;
  /** torch BN module -> our layer. */
  bnLayers: Map<string, string>;
  before: Map<string, Float32Array>;
}

async function runStep(f: Fixture): Promise<Run> {
  const [n, , h, w] = f.inputShape;
  const model = buildModel({
    arch: f.arch,
    padding: f.padding,
    inputShape: [h, w, 3],
    includePreprocessing: false,
    classes: f.classes,
    dropoutRate: 0,
    classifierActivation: null,
  });
  loadTorchvisionStateDict(model, recipeStateDict(f.entries, f.gain));
  const runner = await StepRunner.create(model, { batch: n, batchNorm: 'train', threads: 2 });
  const before = new Map([...runner.params].map(([k, v]) => [k, Float32Array.from(v)]));
  const targets = new Float32Array(n * f.classes);
  f.labels.forEach((label, i) => {
    targets[i * f.classes + label] = 1;
  });
  const result = await runner.step(recipeInput(f.inputSeed, f.inputShape), targets, (size) => new Float32Array(size));
  const names = new Map<string, { key: string; className: string; shape: number[] }>();
  const bnLayers = new Map<string, string>();
  for (const { layer, module } of torchvisionModuleNames(model)) {
    const l = model.getLayer(layer);
    const className = l.getClassName();
    if (className === 'BatchNormalization') bnLayers.set(module, layer);
    for (const p of runner.graph.params.filter((q) => q.layer === layer)) {
      const suffix = className === 'BatchNormalization' ? (p.index === 0 ? 'weight' : 'bias') : p.index === 0 ? 'weight' : 'bias';
      names.set(`${module}.${suffix}`, { key: p.key, className, shape: p.shape });
    }
  }
  return { model, runner, result, names, bnLayers, before };
}

function worstOf(errors: [string, number][]): [string, number] {
  return errors.reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
}

const rms = (s: Sample) => Math.sqrt(s.sumSq / s.n);

/**
 * Parameters whose gradient is zero in exact arithmetic: the bias of a batch norm whose output
 * reaches the loss only through another batch norm in training mode (the projection BN of a bneck
 * without a residual): the next BN removes any per-channel shift. Both libraries give float noise
 * there (~1e-8 against gradients of ~0.3), so a relative error means nothing; they must be tiny.
 */
function zeroGradients(f: Fixture): { names: Set<string>; largest: number } {
  const largest = Math.max(...Object.values(f.params).map((p) => rms(p.grad)));
  return {
    names: new Set(
      Object.entries(f.params)
        .filter(([, p]) => rms(p.grad) < 1e-6 * largest)
        .map(([n]) => n),
    ),
    largest,
  };
}

function gradientErrors(f: Fixture, run: Run, gradients = run.result.gradients): [string, number][] {
  const zero = zeroGradients(f);
  return Object.entries(f.params).map(([name, p]) => {
    const ours = run.names.get(name);
    assert.ok(ours, `torch parameter ${name} has no trained parameter of ours`);
    const g = torchLayout(gradients.get(ours.key)!, ours.className, ours.shape);
    if (zero.names.has(name)) {
      // Passes (<= TOLERANCE) when every element is below 1e-6 of the largest gradient's scale.
      const worst = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      return [name, (worst / (1e-6 * zero.largest)) * TOLERANCE];
    }
    return [name, sampleError(g, p.grad)];
  });
}

const cases = [
  ['small', 'symmetric'],
  ['small', 'same'],
  ['large', 'symmetric'],
  ['large', 'same'],
] as const;

describe('one training step equals torchvision autograd', () => {
  for (const [arch, padding] of cases) {
    it(`${arch}, padding ${padding}: loss, logits, gradients, SGD and Adam updates, BN statistics within ${TOLERANCE}`, async () => {
      const f = load(arch, padding);
      const run = await runStep(f);
      try {
        assert.equal(run.names.size, Object.keys(f.params).length, 'every torch parameter is trained, and nothing else');
        assert.ok(Math.abs(run.result.loss - f.loss) / f.loss <= TOLERANCE, `loss ${run.result.loss} vs torch ${f.loss}`);
        const logitScale = Math.max(...f.logits.flat().map(Math.abs));
        const logitError = Math.max(...f.logits.flat().map((v, i) => Math.abs(run.result.logits[i] - v))) / logitScale;
        assert.ok(logitError <= TOLERANCE, `logits: ${logitError}`);

        const [gradName, gradError] = worstOf(gradientErrors(f, run));
        assert.ok(gradError <= TOLERANCE, `gradient of ${gradName}: relative error ${gradError.toExponential(2)}`);

        // SGD from the same start with our gradients: the whole chain, every element.
        const sgd = new Map([...run.before].map(([k, v]) => [k, Float32Array.from(v)]));
        createOptimizer({ name: 'sgd', learningRate: f.hyper.sgd.lr, momentum: f.hyper.sgd.momentum, nesterov: f.hyper.sgd.nesterov }).step(
          sgd,
          run.result.gradients,
        );
        const [sgdName, sgdError] = worstOf(
          Object.entries(f.params).map(([torchName, p]) => {
            const ours = run.names.get(torchName)!;
            return [torchName, sampleError(torchLayout(sgd.get(ours.key)!, ours.className, ours.shape), p.sgd)];
          }),
        );
        assert.ok(sgdError <= TOLERANCE, `sgd update of ${sgdName}: relative error ${sgdError.toExponential(2)}`);

        // Adam's first step is about lr * sign(g): where |g| is near epsilon it amplifies float
        // noise of the gradient (already checked above), so the rule is checked on torch's own
        // gradient at the sampled elements, from our (identical) starting weights.
        const [adamName, adamError] = worstOf(
          Object.entries(f.params).map(([torchName, p]) => {
            const ours = run.names.get(torchName)!;
            const start = torchLayout(run.before.get(ours.key)!, ours.className, ours.shape);
            assert.deepEqual(p.adam.idx, p.grad.idx);
            const params = new Map([['p', Float32Array.from(p.grad.idx, (i) => start[i])]]);
            const a = f.hyper.adam;
            createOptimizer({ name: 'adam', learningRate: a.lr, beta1: a.beta1, beta2: a.beta2, epsilon: a.epsilon }).step(
              params,
              new Map([['p', Float32Array.from(p.grad.values)]]),
            );
            const got = params.get('p')!;
            const scale = Math.max(...p.adam.values.map(Math.abs), 1e-12);
            return [torchName, Math.max(...p.adam.values.map((v, k) => Math.abs(got[k] - v) / scale))];
          }),
        );
        assert.ok(adamError <= TOLERANCE, `adam update of ${adamName}: relative error ${adamError.toExponential(2)}`);

        // The moving statistics after the step, Keras's rule (momentum 0.999).
        const [bnName, bnError] = worstOf(
          Object.entries(f.bn).flatMap(([module, s]) => {
            const state = run.runner.batchNorms.get(run.bnLayers.get(module)!)!;
            return [
              [`${module} mean`, sampleError(state.mean, s.runningMean)],
              [`${module} variance`, sampleError(state.variance, s.runningVar)],
            ] as [string, number][];
          }),
        );
        assert.ok(bnError <= TOLERANCE, `moving statistics of ${bnName}: relative error ${bnError.toExponential(2)}`);

        // Saved models carry them: write back, read from the tf.LayersModel.
        await run.runner.writeBack();
        const [module, s] = Object.entries(f.bn)[3];
        const layer = run.model.getLayer(run.bnLayers.get(module)!);
        const variance = layer.getWeights()[3].dataSync() as Float32Array;
        assert.ok(sampleError(variance, s.runningVar) <= TOLERANCE, 'the model holds the updated moving variance');
      } finally {
        await run.runner.dispose();
        run.model.dispose();
      }
    });
  }

  it('fails a wrong gradient: a depthwise kernel gradient with its spatial axes swapped, or the other padding', async () => {
    const f = load('small', 'symmetric');
    const run = await runStep(f);
    try {
      assert.ok(worstOf(gradientErrors(f, run))[1] <= TOLERANCE, 'the right gradient passes');
      // The classic depthwise bug: kernel gradient transposed (kh <-> kw) in one stride-2 5x5 layer.
      const victim = runner5x5(run);
      const wrong = new Map(run.result.gradients);
      const g = wrong.get(victim.key)!;
      wrong.set(victim.key, transpose(g, victim.shape, [1, 0, 2, 3]));
      const [name, error] = worstOf(gradientErrors(f, run, wrong));
      assert.ok(error > 100 * TOLERANCE, `the swapped gradient of ${name} is caught (${error})`);
    } finally {
      await run.runner.dispose();
      run.model.dispose();
    }
    const other = await runStep({ ...f, padding: 'same' });
    try {
      const [, error] = worstOf(gradientErrors(f, other));
      assert.ok(error > 100 * TOLERANCE, `TF padding against the symmetric torch model is caught (${error})`);
    } finally {
      await other.runner.dispose();
      other.model.dispose();
    }
  });
});

/** A depthwise kernel of size > 1 whose gradient is not symmetric under kh <-> kw. */
function runner5x5(run: Run): { key: string; shape: number[] } {
  const spec = run.runner.graph.params.find((p) => p.key.endsWith('depthwise_kernel') && p.shape[0] === 5);
  assert.ok(spec, 'the model has a 5x5 depthwise kernel');
  return spec;
}
