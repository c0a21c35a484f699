/**
 * Which model does a Keras 3 `.weights.h5` fit? The file names layers by class path only
 * (`layers/conv2d_7`), so candidates are built and their paths and shapes compared with the
 * file's: flavour, arch, minimalistic and alpha from the backbone; then Keras's top (its class
 * count from the logits kernel) or a Dense head (train's classifier, `layers/dense`) or nothing.
 */
import type * as tf from '../../runtime/tf.js';
import { buildModel } from '../../architecture/builder.js';
import type { ModelOptions } from '../../architecture/options.js';
import { attachClassifier } from '../../train/classifier.js';
import type { KerasHead } from './config-read.js';
import { keras3LayerPaths, type Keras3Vars } from './weights-h5.js';

const ALPHAS = [1.0, 0.75, 0.5, 0.35, 1.25, 1.5, 2.0];

export interface Keras3Fit {
  options: ModelOptions;
  head?: KerasHead;
}

function pathShapes(model: tf.LayersModel): Map<string, string> {
  return new Map(keras3LayerPaths(model).map(({ layer, path }) => [path, JSON.stringify(layer.weights.map((w) => w.shape))]));
}

/** Whether every path of `ours` is in the file with the same shapes. */
function covers(file: Map<string, string>, ours: Map<string, string>): boolean {
  for (const [path, shapes] of ours) if (file.get(path) !== shapes) return false;
  return true;
}

const count = (paths: Iterable<string>, cls: string): number =>
  [...paths].filter((p) => new RegExp(`^layers/${cls}(_\\d+)?$`).test(p)).length;

/** The options (input size aside) and head of the model whose weights the file holds, or undefined. */
export function inferKeras3Model(vars: readonly Keras3Vars[]): Keras3Fit | undefined {
  const file = new Map(vars.map((v) => [v.path, JSON.stringify(v.vars.map((x) => x.shape))]));
  const base: ModelOptions = { includeTop: false, includePreprocessing: false, inputShape: [32, 32, 3] };
  for (const flavor of ['keras', 'blog'] as const) {
    for (const arch of ['large', 'small'] as const) {
      for (const minimalistic of flavor === 'keras' ? [false, true] : [false]) {
        for (const alpha of ALPHAS) {
          const model = buildModel({ ...base, flavor, arch, minimalistic, alpha });
          const ours = pathShapes(model);
          model.dispose();
          // alpha changes no layer count: a class count that differs rules out the other alphas too.
          if (['depthwise_conv2d', 'batch_normalization'].some((c) => count(ours.keys(), c) !== count(file.keys(), c))) break;
          if (!covers(file, ours)) continue;
          const options: ModelOptions = { flavor, arch, minimalistic, alpha };
          const extra = [...file.keys()].filter((p) => !ours.has(p));
          if (extra.length === 0) return { options: { ...options, includeTop: false } };
          // Keras's top: conv_2 and the logits conv, the last two Conv2D paths.
          const convs = extra
            .filter((p) => /^layers\/conv2d_\d+$/.test(p))
            .sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()));
          if (convs.length === 2 && extra.length === 2) {
            const logits = vars.find((v) => v.path === convs[1])?.vars[0]?.shape;
            const classes = logits?.[3];
            if (classes) {
              const top = buildModel({ ...base, ...options, includeTop: true, classes });
              const fits = covers(file, pathShapes(top)) && pathShapes(top).size === file.size;
              top.dispose();
              if (fits) return { options: { ...options, includeTop: true, classes } };
            }
          }
          const dense = vars.find((v) => v.path === extra[0])?.vars;
          if (flavor === 'keras' && extra.length === 1 && extra[0] === 'layers/dense' && dense?.length === 2) {
            return {
              options: { ...options, includeTop: false, pooling: 'avg' },
              head: { classes: dense[0].shape[1], dropout: 0, softmax: true },
            };
          }
        }
      }
    }
  }
  return undefined;
}

/** Build the model a fit describes (with its Dense head as train's classifier: classes named by index). */
export function buildKeras3Fit(fit: Keras3Fit): tf.LayersModel {
  if (!fit.head) return buildModel(fit.options);
  const backbone = buildModel({ ...fit.options, includeTop: false, pooling: 'avg' });
  return attachClassifier(backbone, { classes: Array.from({ length: fit.head.classes }, (_, i) => String(i)), dropout: fit.head.dropout });
}
