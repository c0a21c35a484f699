/**
 * The inputs of the training stages: feature tables cached once per view (stage 1 and stage 2
 * on the last blocks), the data fingerprint --resume checks, and the optimiser / batch-norm state
 * a checkpoint carries for the step-graph stages.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import * as tf from '../runtime/tf.js';
import type { NamedTensor, Checkpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import type { Sample } from './dataset.js';
import { selectRows, type FeatureTable } from './features.js';
import { evaluate, type Examples } from './loop.js';
import type { StageData } from './network-stage.js';
import type { OptimizerState } from './optim/index.js';
import type { TopSegment } from './split-model.js';

/** File names (relative) and sizes of the data: what --resume must find unchanged. */
export async function fingerprint(root: string, samples: readonly Sample[]): Promise<string> {
  const hash = createHash('sha256');
  for (const s of samples) hash.update(`${relative(root, s.path)}\t${s.label}\t${(await stat(s.path)).size}\n`);
  return hash.digest('hex').slice(0, 16);
}

/** Examples backed by a feature table with `views` rows per example (view 0 first). */
export function tableExamples(table: FeatureTable, rowsOf: number[][], labels: Int32Array): Examples {
  return {
    count: rowsOf.length,
    labels,
    batch(indices, random) {
      const rows = indices.map((i) => {
        const options = rowsOf[i];
        return options.length === 1 || !random ? options[0] : options[Math.floor(random.next() * options.length)];
      });
      const picked = selectRows(table, rows);
      return tf.tensor(picked.data, [rows.length, ...table.rowShape]);
    },
  };
}

/**
 * Stage 2 on cached activations: a training example's input is one of its cached views (drawn
 * from the batch generator), validation runs the top on the cached evaluation views.
 */
export function cachedData(top: TopSegment, table: FeatureTable, rowsOf: number[][], val: Examples, classes: number): StageData {
  return {
    async batch(indices, _epoch, random) {
      const rows = indices.map((i) => (rowsOf[i].length === 1 ? rowsOf[i][0] : rowsOf[i][Math.floor(random.next() * rowsOf[i].length)]));
      return selectRows(table, rows).data;
    },
    async validate() {
      return val.count ? evaluate((x, t) => top.run(x, t), val, classes, 64) : undefined;
    },
  };
}

/**
 * Whether every batch norm of the model is the identity but for its shift (gamma 1, moving mean 0,
 * moving variance constant): the statistics were folded into the convolutions.
 */
export function foldedBatchNorm(model: tf.LayersModel): boolean {
  const bns = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  return (
    bns.length > 0 &&
    bns.every((layer) => {
      const weights = layer.getWeights();
      if (weights.length !== 4) return false;
      const [gamma, , mean, variance] = weights.map((w) => w.dataSync() as Float32Array);
      return gamma.every((v) => v === 1) && mean.every((v) => v === 0) && variance.every((v) => v === variance[0]);
    })
  );
}

/** Our optimiser's slots as checkpoint tensors (`slot:<name>:<param key>`), and back. */
export function namedSlots(state: OptimizerState): NamedTensor[] {
  return [...state.slots].map(([name, values]) => ({ name: `slot:${name}`, tensor: tf.tensor1d(values) }));
}

export function optimizerStateOf(checkpoint: Checkpoint<TrainConfig>): OptimizerState | undefined {
  const slots = checkpoint.optimizer.filter((w) => w.name.startsWith('slot:'));
  if (!slots.length && !checkpoint.header.optimizerSteps) return undefined;
  return {
    steps: checkpoint.header.optimizerSteps ?? 0,
    slots: new Map(slots.map((w) => [w.name.slice('slot:'.length), w.tensor.dataSync() as Float32Array])),
  };
}
