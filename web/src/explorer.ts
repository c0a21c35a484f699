/**
 * The architecture explorer: build the model in the page for the chosen arch / flavour / alpha /
 * minimalistic, show its totals, its diagram and, for a clicked block, its details.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, readableCount, summarize, type ModelOptions, type ModelSummary } from '../../src/browser.js';

export interface ExplorerChoice {
  arch: 'large' | 'small';
  flavor: 'keras' | 'blog';
  alpha: number;
  minimalistic: boolean;
}

export interface ExplorerView {
  options: ModelOptions;
  summary: ModelSummary;
  model: tf.LayersModel;
}

/** Build (random weights are never used for prediction here, only shapes and counts). */
export function buildView(choice: ExplorerChoice): ExplorerView {
  const options: ModelOptions = { ...choice, inputShape: [224, 224, 3] };
  const model = buildModel(options);
  return { options, summary: summarize(model), model };
}

export function statsHtml(summary: ModelSummary, buildMs: number): string {
  const item = (value: string, label: string) => `<div class="stat"><b>${value}</b><span>${label}</span></div>`;
  return [
    item(summary.totalParams.toLocaleString('en-US'), 'parameters'),
    item(readableCount(summary.macs).replace(' ', '&nbsp;'), 'MACs'),
    item(String(summary.layers.length), 'layers'),
    item(`${Math.round(buildMs)} ms`, 'built in page'),
  ].join('');
}
