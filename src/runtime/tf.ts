/**
 * The one TF.js import of this package: tfjs-core (tensors, ops, io) and tfjs-layers (models),
 * not the `@tensorflow/tfjs` umbrella, which also loads the converter, tf.data and the webgl and
 * cpu backends (webgl cannot run in Node; together they double TF.js's start-up and its install
 * size). Backends are chosen where they are needed: `useTfBackend` (runtime/tfjs.ts) in Node, the
 * page's own engines in the browser. Browser-safe.
 *
 * tfjs-layers registers the gradients (training, Grad-CAM); the chained ops (`x.mul(y)`) are the
 * umbrella's and are not registered here: write `tf.mul(x, y)` (`npm run build`, which type-checks
 * src/ alone, fails on a chained op).
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
