export { clipGradientNorm, createOptimizer, OPTIMIZER_NAMES, resolveOptimizerConfig } from './optimizer.js';
export type { Optimizer, OptimizerConfig, OptimizerName, OptimizerState } from './optimizer.js';
export { learningRateAt, SCHEDULE_NAMES } from './schedule.js';
export type { ScheduleConfig, ScheduleName } from './schedule.js';
