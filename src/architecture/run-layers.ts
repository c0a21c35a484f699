/** Kept for importers from before src/architecture/cut.ts, the one place that cuts a model. */
export { type ApplyLayer, runLayersFrom } from './cut.js';
