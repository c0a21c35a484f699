/**
 * Learning-rate schedules, per step as torchvision's and timm's recipes apply them: a linear
 * warm-up from `warmupStart * base` over the first `warmupSteps`, then constant, cosine decay to
 * `minRate`, or step decay (times `gamma` every `stepEvery` steps).
 */
export type ScheduleName = 'constant' | 'cosine' | 'step';
export const SCHEDULE_NAMES: readonly ScheduleName[] = ['constant', 'cosine', 'step'];

export interface ScheduleConfig {
  name: ScheduleName;
  base: number;
  totalSteps: number;
  warmupSteps?: number;
  /** Warm-up starts at this fraction of the base rate (default 0.01, torchvision's lr_warmup_decay). */
  warmupStart?: number;
  /** cosine: the rate at the end (default 0). */
  minRate?: number;
  /** step: decay every this many steps (default a third of the run), by gamma (default 0.1). */
  stepEvery?: number;
  gamma?: number;
}

export function learningRateAt(c: ScheduleConfig, step: number): number {
  const warmup = Math.min(c.warmupSteps ?? 0, Math.max(0, c.totalSteps - 1));
  if (step < warmup) {
    const start = c.warmupStart ?? 0.01;
    return c.base * (start + ((1 - start) * step) / warmup);
  }
  const t = step - warmup;
  const span = Math.max(1, c.totalSteps - warmup);
  switch (c.name) {
    case 'constant':
      return c.base;
    case 'cosine': {
      const min = c.minRate ?? 0;
      return min + ((c.base - min) * (1 + Math.cos((Math.PI * Math.min(t, span)) / span))) / 2;
    }
    case 'step': {
      const every = c.stepEvery ?? Math.max(1, Math.ceil(span / 3));
      return c.base * (c.gamma ?? 0.1) ** Math.floor(t / every);
    }
  }
}
