/**
 * Optimisers for the training step's parameters: plain Float32Arrays in Keras layout, updated in
 * place (the step runner feeds the same arrays to ONNX Runtime). The update rules are PyTorch's
 * (`torch.optim`), so one step equals torch's to float rounding (test/train-step.test.ts), except
 * RMSProp, which follows TensorFlow's rule as the MobileNetV3 paper trained with it.
 *
 * Weight decay touches only the parameters `decays` says (kernels, not biases or batch norm, as
 * the timm and torchvision recipes do).
 */

export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'adamw', 'sgd', 'rmsprop'];

export interface OptimizerConfig {
  name: OptimizerName;
  /** Base learning rate; a schedule may pass another one to each step. */
  learningRate: number;
  /** L2 penalty added to the gradient (adam, sgd, rmsprop) or decoupled decay (adamw). */
  weightDecay?: number;
  /** sgd and rmsprop momentum (default 0.9). */
  momentum?: number;
  /** sgd only: Nesterov momentum. */
  nesterov?: boolean;
  /** adam/adamw beta1, beta2 (default 0.9, 0.999). */
  beta1?: number;
  beta2?: number;
  /** rmsprop decay of the squared-gradient average (default 0.9). */
  rho?: number;
  /** Added for stability (adam: 1e-7 as Keras, rmsprop: 1e-3 as the paper). */
  epsilon?: number;
}

/** The optimiser's slots by `<slot>:<param key>`, plus the step count: what a checkpoint keeps. */
export interface OptimizerState {
  steps: number;
  slots: Map<string, Float32Array>;
}

export interface Optimizer {
  readonly config: Required<OptimizerConfig>;
  /** Steps taken so far (Adam's bias correction counts them). */
  readonly steps: number;
  /** One update of every parameter that has a gradient, at `learningRate` (default the base rate). */
  step(params: ReadonlyMap<string, Float32Array>, gradients: ReadonlyMap<string, Float32Array>, learningRate?: number): void;
  state(): OptimizerState;
  /** Continue from a saved state (resume); slots must match the parameters' sizes. */
  restore(state: OptimizerState): void;
}

export function resolveOptimizerConfig(c: OptimizerConfig): Required<OptimizerConfig> {
  return {
    name: c.name,
    learningRate: c.learningRate,
    weightDecay: c.weightDecay ?? 0,
    momentum: c.momentum ?? 0.9,
    nesterov: c.nesterov ?? false,
    beta1: c.beta1 ?? 0.9,
    beta2: c.beta2 ?? 0.999,
    rho: c.rho ?? 0.9,
    epsilon: c.epsilon ?? (c.name === 'rmsprop' ? 1e-3 : 1e-7),
  };
}

/** A parameter's update given its slots; `lr` the step's rate, `t` the 1-based step number. */
type Rule = (
  p: Float32Array,
  g: Float32Array,
  slot: (name: string, init?: number) => Float32Array,
  lr: number,
  t: number,
  decay: number,
) => void;

const rules: Record<OptimizerName, (c: Required<OptimizerConfig>) => Rule> = {
  // torch.optim.SGD: d = g + wd p; buf = momentum buf + d; p -= lr (nesterov ? d + momentum buf : buf).
  sgd: (c) => (p, g, slot, lr, _t, wd) => {
    const buf = c.momentum > 0 ? slot('momentum') : undefined;
    for (let i = 0; i < p.length; i++) {
      let d = g[i] + wd * p[i];
      if (buf) {
        buf[i] = c.momentum * buf[i] + d;
        d = c.nesterov ? d + c.momentum * buf[i] : buf[i];
      }
      p[i] -= lr * d;
    }
  },
  // torch.optim.Adam (L2 in the gradient) and AdamW (decay of the weight itself, before the step).
  adam: (c) => adamRule(c, false),
  adamw: (c) => adamRule(c, true),
  // TensorFlow's RMSProp (the paper's: decay 0.9, momentum 0.9, epsilon inside the root, the
  // average starting at one as timm's RMSpropTF): ms = rho ms + (1-rho) g^2; mom = m mom + lr g / sqrt(ms + eps).
  rmsprop: (c) => (p, g, slot, lr, _t, wd) => {
    const ms = slot('ms', 1);
    const mom = c.momentum > 0 ? slot('momentum') : undefined;
    for (let i = 0; i < p.length; i++) {
      const d = g[i] + wd * p[i];
      ms[i] = c.rho * ms[i] + (1 - c.rho) * d * d;
      const u = (lr * d) / Math.sqrt(ms[i] + c.epsilon);
      if (mom) {
        mom[i] = c.momentum * mom[i] + u;
        p[i] -= mom[i];
      } else {
        p[i] -= u;
      }
    }
  },
};

function adamRule(c: Required<OptimizerConfig>, decoupled: boolean): Rule {
  return (p, g, slot, lr, t, wd) => {
    const m = slot('m');
    const v = slot('v');
    const c1 = 1 - c.beta1 ** t;
    const c2 = Math.sqrt(1 - c.beta2 ** t);
    const size = lr / c1;
    const l2 = decoupled ? 0 : wd;
    const shrink = decoupled ? 1 - lr * wd : 1;
    for (let i = 0; i < p.length; i++) {
      const d = g[i] + l2 * p[i];
      m[i] = c.beta1 * m[i] + (1 - c.beta1) * d;
      v[i] = c.beta2 * v[i] + (1 - c.beta2) * d * d;
      p[i] = p[i] * shrink - (size * m[i]) / (Math.sqrt(v[i]) / c2 + c.epsilon);
    }
  };
}

/**
 * `decays(key)` says whether weight decay applies to a parameter (default: every one).
 */
export function createOptimizer(config: OptimizerConfig, decays: (key: string) => boolean = () => true): Optimizer {
  const c = resolveOptimizerConfig(config);
  checkConfig(c);
  const rule = rules[c.name](c);
  const slots = new Map<string, Float32Array>();
  let steps = 0;
  return {
    config: c,
    get steps() {
      return steps;
    },
    step(params, gradients, learningRate = c.learningRate) {
      steps++;
      for (const [key, g] of gradients) {
        const p = params.get(key);
        if (!p) throw new Error(`optimizer: no parameter ${key} for its gradient`);
        const slot = (name: string, init = 0) => {
          const id = `${name}:${key}`;
          let s = slots.get(id);
          if (!s) slots.set(id, (s = new Float32Array(p.length).fill(init)));
          return s;
        };
        rule(p, g, slot, learningRate, steps, decays(key) ? c.weightDecay : 0);
      }
    },
    state: () => ({ steps, slots: new Map([...slots].map(([k, v]) => [k, Float32Array.from(v)])) }),
    restore(state) {
      steps = state.steps;
      slots.clear();
      for (const [k, v] of state.slots) slots.set(k, Float32Array.from(v));
    },
  };
}

function checkConfig(c: Required<OptimizerConfig>): void {
  if (!OPTIMIZER_NAMES.includes(c.name))
    throw new RangeError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${String(c.name)}`);
  const check = (name: string, v: number, ok: boolean) => {
    if (!ok) throw new RangeError(`${name} must be ${name === 'learning rate' ? 'a positive number' : 'in range'}, got ${v}`);
  };
  check('learning rate', c.learningRate, Number.isFinite(c.learningRate) && c.learningRate > 0);
  check('weight decay', c.weightDecay, Number.isFinite(c.weightDecay) && c.weightDecay >= 0);
  check('momentum', c.momentum, c.momentum >= 0 && c.momentum < 1);
  check('beta1', c.beta1, c.beta1 >= 0 && c.beta1 < 1);
  check('beta2', c.beta2, c.beta2 >= 0 && c.beta2 < 1);
  check('rho', c.rho, c.rho >= 0 && c.rho < 1);
  check('epsilon', c.epsilon, c.epsilon > 0);
}

/** Scale every gradient so their global L2 norm is at most `maxNorm`; returns the norm before. */
export function clipGradientNorm(gradients: ReadonlyMap<string, Float32Array>, maxNorm: number): number {
  let sum = 0;
  for (const g of gradients.values()) for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const g of gradients.values()) for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
  return norm;
}
