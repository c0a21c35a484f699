/**
 * The web page, measured in headless Chromium: bundle size, page load -> first prediction, and
 * per-image time for each engine (TF.js wasm / webgl / cpu, ONNX Runtime Web). Prints tables;
 * use it to choose the page's default engine (web/src/engines.ts).
 *
 *   npx tsx scripts/web-timing.ts [--weights <h5>] [--arch small|large] [--minimalistic] [--runs 20] [--no-build]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../test/chromium.js';
import { buildWeb, ROOT, startServe } from '../test/serve.js';
import { sharedPath } from '../test/shared.js';

const { values: args } = parseArgs({
  options: {
    weights: { type: 'string', default: sharedPath('weights/mobilenet_v3_small_224_1.0_float.h5') },
    arch: { type: 'string', default: 'small' },
    minimalistic: { type: 'boolean', default: false },
    image: { type: 'string', default: sharedPath('data/elephant.jpg') },
    runs: { type: 'string', default: '20' },
    'no-build': { type: 'boolean', default: false },
  },
});

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

if (!args['no-build']) {
  const start = Date.now();
  buildWeb();
  console.log(`npm run build:web: ${((Date.now() - start) / 1000).toFixed(1)} s`);
}

// ---- bundle size ----
const webDir = join(ROOT, 'dist/web');
const files = (function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
})(webDir);
const sizes = files.map((f) => ({ file: relative(webDir, f), raw: statSync(f).size, gzip: gzipSync(readFileSync(f)).length }));

// ---- page load -> first prediction, then engines ----
const serveArgs = ['--arch', args.arch!, '--weights', args.weights!, '--port', '0', ...(args.minimalistic ? ['--minimalistic'] : [])];
const served = await startServe(serveArgs);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const loaded = new Map<string, number>();
  page.on('response', async (response) => {
    const body = await response.body().catch(() => undefined);
    if (body) loaded.set(new URL(response.url()).pathname, body.length);
  });
  await page.goto(served.url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 300_000 });
  await page.setInputFiles('#image-file', args.image!);
  await page.waitForFunction(() => (window as any).mobilenetv3.timing.firstPrediction !== undefined, null, { timeout: 300_000 });
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return { ...(window as any).mobilenetv3.timing, domContentLoaded: nav.domContentLoadedEventEnd } as Record<string, number>;
  });
  const top = await page.textContent('#top5 li.best .name');

  console.log(`\nBundle (dist/web, ${files.length} files):`);
  const fetched = (file: string) => (loaded.has('/' + file) ? 'yes' : 'lazy/unused');
  console.log(table(['file', 'size', 'gzip', 'loaded at start'], sizes.sort((a, b) => b.raw - a.raw).map((s) => [s.file, kb(s.raw), kb(s.gzip), fetched(s.file)])));
  const startBytes = sizes.filter((s) => loaded.has('/' + s.file));
  console.log(`total ${kb(sizes.reduce((n, s) => n + s.raw, 0))}; the page loads ${kb(startBytes.reduce((n, s) => n + s.raw, 0))} of it at start ` +
    `(${kb(startBytes.reduce((n, s) => n + s.gzip, 0))} gzipped) plus the weights (${kb(loaded.get(`/weights/${args.weights!.split('/').pop()}`) ?? 0)})`);

  console.log(`\nPage load -> first prediction (${args.arch}, ${args.weights!.split('/').pop()}, engine ${await page.textContent('#engine-badge')}), ms since navigation:`);
  console.log(table(['step', 'ms'], [
    ['DOMContentLoaded', timing.domContentLoaded.toFixed(0)],
    ['explorer built', timing.explorerReady.toFixed(0)],
    ['weights loaded, engine ready (page ready)', timing.ready.toFixed(0)],
    ['first prediction shown (image given at ready)', timing.firstPrediction.toFixed(0)],
  ]));
  console.log(`top-1: ${top}`);

  const runs = Number(args.runs);
  const rows: string[][] = [];
  for (const name of ['tfjs-wasm', 'ort-wasm', 'tfjs-webgl', 'tfjs-cpu']) {
    const n = name === 'tfjs-cpu' ? Math.min(3, runs) : runs;
    try {
      const r = await page.evaluate(([engine, count]) => (window as any).mobilenetv3.bench(engine, count), [name, n] as const);
      rows.push([name, r.engine, r.warmupMs.toFixed(0), median(r.ms).toFixed(1), Math.min(...r.ms).toFixed(1), (1000 / median(r.ms)).toFixed(1), String(n), r.top]);
    } catch (error) {
      rows.push([name, `failed: ${(error as Error).message.split('\n')[0].slice(0, 60)}`, '', '', '', '', '', '']);
    }
  }
  console.log(`\nPer image in the page (preprocessing + inference + read-back; batch 1; ${navigatorInfo(await page.evaluate(() => navigator.hardwareConcurrency))}):`);
  console.log(table(['engine', 'what runs', 'first ms', 'median ms', 'min ms', 'images/s', 'runs', 'top-1'], rows));
} finally {
  await browser.close();
  await served.stop();
}

function navigatorInfo(cores: number): string {
  return `headless Chromium, ${cores} logical cores, no GPU unless the machine has one`;
}
