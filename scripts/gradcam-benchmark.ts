/**
 * Where should Grad-CAM run? The TF.js wasm backend is fast for inference but has no conv
 * backprop kernels; the cpu backend has every gradient but is slow. Grad-CAM only needs the
 * gradient of the classifier part (after the last feature map), so explain.ts splits the model.
 * This prints the time per image of each way, measured in the same run (median of N).
 *
 *   npx tsx scripts/gradcam-benchmark.ts [--arch small|large] [--runs 5]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../src/architecture/builder.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { gradCam } from '../src/visualize/explain.js';

const { values } = parseArgs({ options: { arch: { type: 'string', default: 'small' }, runs: { type: 'string', default: '5' } } });
const arch = values.arch as 'small' | 'large';
const runs = Number(values.runs);
const image = new URL('../../shared/data/elephant.jpg', import.meta.url).pathname;
const shared = (await import('node:fs')).existsSync(image) ? image : new URL('../../../shared/data/elephant.jpg', import.meta.url).pathname;

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up (kernel compilation, weight upload)
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const rows: [string, number | string][] = [];
await useTfBackend('wasm');
const model = buildModel({ arch });
rows.push(['front wasm + tail gradient cpu (default)', await median(() => gradCam(model, shared, { tailBackend: 'cpu' }))]);
try {
  rows.push(['everything on wasm', await median(() => gradCam(model, shared, { tailBackend: 'current' }))]);
} catch (error) {
  rows.push(['everything on wasm', `fails: ${(error as Error).message.split('\n')[0].slice(0, 60)}`]);
}
await tf.setBackend('cpu');
rows.push(['everything on cpu', await median(() => gradCam(model, shared, { tailBackend: 'current' }))]);

const base = rows[0][1] as number;
console.log(`Grad-CAM++ of one 224x224 image, MobileNetV3-${arch}, median of ${runs} (${tf.version_core})`);
console.log('| way | ms / image | vs default |');
console.log('|---|--:|--:|');
for (const [name, ms] of rows) {
  console.log(typeof ms === 'number' ? `| ${name} | ${ms.toFixed(0)} | ${(ms / base).toFixed(1)}x |` : `| ${name} | ${ms} | - |`);
}
