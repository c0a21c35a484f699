/**
 * The optimisers equal torch.optim over five steps (fixture from tools/optim_reference.py), weight
 * decay only on kernels; RMSProp follows TensorFlow's rule (checked against the formula written
 * out by hand); schedules and gradient clipping do what they say.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { clipGradientNorm, createOptimizer, learningRateAt, type OptimizerConfig } from '../src/train/optim/index.js';

interface Fixture {
  start: Record<string, number[]>;
  gradients: Record<string, number[]>[];
  cases: Record<string, { weightDecay: number; final: Record<string, number[]> }>;
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('fixtures/optim-reference.json', import.meta.url), 'utf8'));

const configs: Record<string, Omit<OptimizerConfig, 'weightDecay'>> = {
  'sgd-nesterov-wd': { name: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true },
  'sgd-momentum': { name: 'sgd', learningRate: 0.1, momentum: 0.8 },
  'adam-l2': { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  adamw: { name: 'adamw', learningRate: 0.01, beta1: 0.85, beta2: 0.99, epsilon: 1e-7 },
};

function run(config: OptimizerConfig, steps = fixture.gradients.length): Map<string, Float32Array> {
  const params = new Map(Object.entries(fixture.start).map(([k, v]) => [k, Float32Array.from(v)]));
  const optimizer = createOptimizer(config, (key) => key === 'kernel');
  for (const g of fixture.gradients.slice(0, steps))
    optimizer.step(params, new Map(Object.entries(g).map(([k, v]) => [k, Float32Array.from(v)])));
  return params;
}

describe('optimisers', () => {
  for (const [name, config] of Object.entries(configs)) {
    it(`${name}: five steps equal torch.optim to 1e-6`, () => {
      const expected = fixture.cases[name];
      const params = run({ ...config, weightDecay: expected.weightDecay });
      for (const [key, want] of Object.entries(expected.final)) {
        const got = params.get(key)!;
        want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `${key}[${i}]: ${got[i]} vs torch ${v}`));
      }
    });
  }

  it('weight decay changes the result (the fixture would catch a decay that is ignored)', () => {
    const a = run({ ...configs.adamw, weightDecay: fixture.cases.adamw.weightDecay }).get('kernel')!;
    const b = run({ ...configs.adamw, weightDecay: 0 }).get('kernel')!;
    assert.ok(a.some((v, i) => Math.abs(v - b[i]) > 1e-5));
  });

  it("rmsprop is TensorFlow's: ms from 1, epsilon inside the root, momentum on the scaled step", () => {
    const p = new Map([['w', Float32Array.from([1, -2])]]);
    const optimizer = createOptimizer({ name: 'rmsprop', learningRate: 0.1, rho: 0.9, momentum: 0.5, epsilon: 1e-3 });
    const g = [0.5, -4];
    let ms = [1, 1];
    let mom = [0, 0];
    const want = [1, -2];
    for (let step = 0; step < 3; step++) {
      optimizer.step(p, new Map([['w', Float32Array.from(g)]]));
      ms = ms.map((m, i) => 0.9 * m + 0.1 * g[i] * g[i]);
      mom = mom.map((m, i) => 0.5 * m + (0.1 * g[i]) / Math.sqrt(ms[i] + 1e-3));
      want.forEach((_, i) => {
        want[i] -= mom[i];
      });
    }
    want.forEach((v, i) => assert.ok(Math.abs(p.get('w')![i] - v) < 1e-6, `w[${i}] ${p.get('w')![i]} vs ${v}`));
  });

  it('state() and restore() continue exactly (what --resume relies on)', () => {
    const config = { ...configs['adam-l2'], weightDecay: 0.01 };
    const whole = run(config);
    const params = new Map(Object.entries(fixture.start).map(([k, v]) => [k, Float32Array.from(v)]));
    const grads = fixture.gradients.map((g) => new Map(Object.entries(g).map(([k, v]) => [k, Float32Array.from(v)])));
    const first = createOptimizer(config, (key) => key === 'kernel');
    grads.slice(0, 2).forEach((g) => first.step(params, g));
    const second = createOptimizer(config, (key) => key === 'kernel');
    second.restore(first.state());
    grads.slice(2).forEach((g) => second.step(params, g));
    assert.equal(second.steps, 5);
    for (const [k, v] of whole) assert.deepEqual(params.get(k), v);
  });

  it('refuses bad settings in one line', () => {
    assert.throws(() => createOptimizer({ name: 'sgd', learningRate: -1 }), /learning rate must be a positive number, got -1/);
    assert.throws(
      () => createOptimizer({ name: 'lion' as 'sgd', learningRate: 1 }),
      /optimizer must be one of adam, adamw, sgd, rmsprop, got lion/,
    );
    assert.throws(() => createOptimizer({ name: 'sgd', learningRate: 1, momentum: 1 }), /momentum/);
  });
});

describe('schedules and clipping', () => {
  it('cosine with warm-up: rises linearly from 1% to the base, then falls to the minimum', () => {
    const c = { name: 'cosine' as const, base: 0.1, totalSteps: 110, warmupSteps: 10 };
    assert.ok(Math.abs(learningRateAt(c, 0) - 0.001) < 1e-12);
    assert.ok(Math.abs(learningRateAt(c, 5) - (0.001 + 0.099 * 0.5)) < 1e-12);
    assert.equal(learningRateAt(c, 10), 0.1);
    assert.ok(Math.abs(learningRateAt(c, 60) - 0.05) < 1e-12);
    assert.ok(learningRateAt(c, 109) < 0.0001);
    for (let s = 11; s < 110; s++) assert.ok(learningRateAt(c, s) <= learningRateAt(c, s - 1));
  });

  it('step: times gamma every stepEvery steps; constant stays', () => {
    const c = { name: 'step' as const, base: 1, totalSteps: 100, stepEvery: 30, gamma: 0.5 };
    assert.deepEqual(
      [0, 29, 30, 60, 99].map((s) => learningRateAt(c, s)),
      [1, 1, 0.5, 0.25, 0.125],
    );
    assert.equal(learningRateAt({ name: 'constant', base: 0.3, totalSteps: 10 }, 7), 0.3);
  });

  it('clipGradientNorm scales to the global norm and leaves small gradients alone', () => {
    const g = new Map([
      ['a', Float32Array.from([3, 0])],
      ['b', Float32Array.from([4])],
    ]);
    assert.equal(clipGradientNorm(g, 10), 5);
    assert.deepEqual([...g.get('a')!, ...g.get('b')!], [3, 0, 4]);
    clipGradientNorm(g, 1);
    const norm = Math.hypot(...g.get('a')!, ...g.get('b')!);
    assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
  });
});
