import { buildModel } from './src/architecture/builder.js';
import { loadKerasH5Weights } from './src/weights/h5-file.js';
import { useTfBackend } from './src/runtime/tfjs.js';
import { explainImage } from './src/visualize/explain.js';
await useTfBackend('wasm');
const model = buildModel({ arch: 'small' });
await loadKerasH5Weights(model, '/work/shared/weights/mobilenet_v3_small_224_1.0_float.h5');
console.time('explain');
const r = await explainImage(model, '/work/shared/data/elephant.jpg', '/tmp/cam.png');
console.timeEnd('explain');
console.log(r.target, r.top, r.layer, r.camHeight, r.camWidth);
const c = r.cam; let inside = 0, all = 0;
for (let y = 0; y < 7; y++) { let row = ''; for (let x = 0; x < 7; x++) { const v = c[y*7+x]; all += v; if (y>=2&&y<=4&&x>=2&&x<=4) inside += v; row += v.toFixed(2)+' '; } console.log(row); }
console.log('inside/all', inside/all);
import { upsample } from './src/visualize/explain.js';
const H = 552, W = 700;
const heat = upsample(r.cam, 7, 7, H, W);
for (const f of [0.5, Math.SQRT1_2, 0.8]) {
  let inn = 0, tot = 0;
  const x0 = W * (1 - f) / 2, x1 = W - x0, y0 = H * (1 - f) / 2, y1 = H - y0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) { const v = heat[y * W + x]; tot += v; if (x >= x0 && x < x1 && y >= y0 && y < y1) inn += v; }
  console.log(f.toFixed(3), 'inside', (inn / tot).toFixed(3), 'area', (f * f).toFixed(3));
}
