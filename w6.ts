import * as tf from '@tensorflow/tfjs';
import { buildModel } from './src/architecture/builder.js';
import { loadKerasH5Weights } from './src/weights/h5-file.js';
import { useTfBackend } from './src/runtime/tfjs.js';
import { defaultCamLayer } from './src/visualize/explain.js';
import { imageBatchFor } from './src/visualize/model-input.js';
import { frontModel, runTail, tailLayers } from './src/visualize/split.js';
await useTfBackend('cpu');
const model = buildModel({ arch: 'small' });
await loadKerasH5Weights(model, '/work/shared/weights/mobilenet_v3_small_224_1.0_float.h5');
const cut = defaultCamLayer(model);
const tail = tailLayers(model, cut, model.layers[model.layers.length - 2]);
const x = await imageBatchFor(model, '/work/shared/data/elephant.jpg', null);
const map = frontModel(model, cut).predict(x) as tf.Tensor4D;
const full = model.predict(x) as tf.Tensor;
const y = (a: tf.Tensor) => runTail(tail, cut, a).reshape([-1]).gather([386]).sum();
console.log('model prob', full.dataSync()[386], 'tail prob', tf.softmax(runTail(tail, cut, map).reshape([-1])).dataSync()[386]);
const g = tf.grad(y)(map);
const gd = g.dataSync(); const C = 576;
for (const k of [0, 100, 300]) {
  const eps = 1e-2;
  const delta = tf.oneHot([k], C).reshape([1, 1, 1, C]).mul(eps);
  const fd = (y(map.add(delta)).dataSync()[0] - y(map.sub(delta)).dataSync()[0]) / (2 * eps);
  let sum = 0; for (let i = 0; i < 49; i++) sum += gd[i * C + k];
  console.log(k, 'finite diff', fd.toFixed(5), 'sum of grads', sum.toFixed(5));
}
