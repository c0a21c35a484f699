/**
 * The real task of issue 7: the 1000 ImageNet sample photos grouped into six super-classes by
 * class index (dogs, birds, reptiles & amphibians, insects, fish & aquatic, road vehicles; the
 * other photos are left out), trained on 80% with the real MobileNetV3-Small weights, validated
 * on 20%. Stage 1 (head only); then from the same start stage 2 on the last 3 blocks (cached
 * activations), and stage 2 on every layer (photos augmented every epoch), printed as a table.
 * Usage: npx tsx scripts/train-superclasses.ts [--fine-tune N] [--epochs N] [--keep]
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { sharedPath } from '../test/shared.js';
import { train, type TrainResult } from '../src/train/train.js';
import { makeSuperclassFolder } from './imagenet-superclasses.js';

const { values } = parseArgs({
  options: { 'fine-tune': { type: 'string', default: '3' }, keep: { type: 'boolean' }, epochs: { type: 'string', default: '20' } },
});
const weights = sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5');
const data = await makeSuperclassFolder();
const out = join(tmpdir(), `mobilenetv3-superclasses-out-${process.pid}`);

const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);
const row = (name: string, r: TrainResult, wall: number) =>
  `| ${name} | ${r.counts.train} / ${r.counts.val} | ${pct(r.valAccuracy)} | ${wall.toFixed(1)} s | ${r.seconds.features.toFixed(1)} s | ${(r.seconds.stage1 + r.seconds.stage2).toFixed(1)} s | ${r.fineTuneImagesPerSecond?.toFixed(1) ?? '-'} |`;

const rows: string[] = [];
for (const fineTune of [0, Number(values['fine-tune']), 'all' as const]) {
  const output = `${out}-${fineTune}`;
  await rm(output, { recursive: true, force: true });
  const started = performance.now();
  const r = await train({ data, output, arch: 'small', weights, epochs: Number(values.epochs), fineTune, seed: 42 });
  const wall = (performance.now() - started) / 1000;
  const stage2 = r.history.filter((h) => h.stage === 2).length;
  const name =
    fineTune === 'all'
      ? `stage 1 + stage 2 (every layer, BN ${r.batchNorm}, ${stage2} epochs)`
      : fineTune
        ? `stage 1 + stage 2 (last ${fineTune} blocks, ${stage2} epochs)`
        : 'stage 1 (head only)';
  rows.push(row(name, r, wall));
  if (fineTune) rows.push(`\nstage 2 changed validation accuracy from ${pct(r.stage1ValAccuracy)} to ${pct(r.valAccuracy)}`);
  console.error(`outputs in ${output}`);
  for (const c of r.perClass) console.error(`  ${c.name.padEnd(20)} precision ${pct(c.precision)} recall ${pct(c.recall)} (${c.support})`);
  if (!values.keep) await rm(output, { recursive: true, force: true });
}
console.log('| run | train / val images | val accuracy | wall | features | training | stage 2 images/s |');
console.log('|---|---|---|---|---|---|---|');
console.log(rows.join('\n'));
await rm(data, { recursive: true, force: true });
