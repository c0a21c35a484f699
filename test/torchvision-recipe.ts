/**
 * The deterministic weights and inputs of tools/torchvision_reference.py, regenerated bit for bit:
 * the same 32-bit generator, the same float64 arithmetic, rounded to float32 at the end.
 */
import type { NamedTensor } from '../src/weights/torchvision.js';

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BN_RANGES: Record<string, [number, number]> = {
  weight: [0.8, 0.8],
  bias: [-0.05, 0.1],
  running_mean: [-0.05, 0.1],
  running_var: [0.5, 1.0],
};

/** The state dict the Python tool loaded into torchvision (names, shapes and gain from the fixture). */
export function recipeStateDict(entries: { name: string; shape: number[] }[], gain: number): NamedTensor[] {
  const bnModules = new Set(entries.filter((e) => e.name.endsWith('running_mean')).map((e) => e.name.slice(0, e.name.lastIndexOf('.'))));
  return entries.map(({ name, shape }, index) => {
    const next = mulberry32((0x9e3779b9 ^ (index + 1)) >>> 0);
    const n = shape.reduce((a, b) => a * b, 1);
    const kind = name.slice(name.lastIndexOf('.') + 1);
    const data = new Float32Array(n);
    if (bnModules.has(name.slice(0, name.lastIndexOf('.')))) {
      const [lo, span] = BN_RANGES[kind];
      for (let i = 0; i < n; i++) data[i] = lo + span * next();
    } else if (kind === 'bias') {
      for (let i = 0; i < n; i++) data[i] = (next() * 2.0 - 1.0) * 0.02;
    } else {
      const bound = Math.sqrt((3.0 * gain) / Math.floor(n / shape[0]));
      for (let i = 0; i < n; i++) data[i] = (next() * 2.0 - 1.0) * bound;
    }
    return { name, shape, data };
  });
}

const CELL = 28;

/** Image-like inputs, generated NCHW as in Python, returned NHWC for our model. */
export function recipeInput(seed: number, [n, c, h, w]: number[]): Float32Array {
  const next = mulberry32(seed);
  const offset = Array.from({ length: n }, () => Array.from({ length: c }, () => (next() * 2.0 - 1.0) * 1.5));
  const rows = Math.ceil(h / CELL);
  const cols = Math.ceil(w / CELL);
  const cells = Array.from({ length: n }, () =>
    Array.from({ length: c }, () => Array.from({ length: rows * cols }, () => next() * 2.0 - 1.0)),
  );
  const nhwc = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const v = offset[b][ch] + cells[b][ch][Math.floor(i / CELL) * cols + Math.floor(j / CELL)] + (next() * 2.0 - 1.0) * 0.3;
          nhwc[((b * h + i) * w + j) * c + ch] = v;
        }
      }
    }
  }
  return nhwc;
}
