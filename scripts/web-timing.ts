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
  // Cold start per engine: a fresh browser context (empty cache) per measurement.
  const coldRows: string[][] = [];
  const loaded = new Map<string, number>();
  for (const engine of ['tfjs-wasm', 'ort-wasm']) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    page.on('response', async (response) => {
      const body = await response.body().catch(() => undefined);
      const path = new URL(response.url()).pathname;
      if (body && engine === 'tfjs-wasm') loaded.set(path === '/' ? '/index.html' : path, body.length);
    });
    await page.goto(`${served.url}?engine=${engine}`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 300_000 });
    await page.setInputFiles('#image-file', args.image!);
    await page.waitForFunction(() => (window as any).mobilenetv3.timing.firstPrediction !== undefined, null, { timeout: 300_000 });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return { ...(window as any).mobilenetv3.timing, domContentLoaded: nav.domContentLoadedEventEnd } as Record<string, number>;
    });
    coldRows.push([
      (await page.textContent('#engine-badge')) ?? engine,
      t.domContentLoaded.toFixed(0),
      t.explorerReady.toFixed(0),
      t.ready.toFixed(0),
      t.firstPrediction.toFixed(0),
      (await page.textContent('#top5 li.best .name')) ?? '',
    ]);
    await context.close();
  }

  console.log(`\nBundle (dist/web, ${files.length} files):`);
  const fetched = (file: string) => (loaded.has('/' + file) ? 'yes' : 'on demand');
  console.log(
    table(
      ['file', 'size', 'gzip', 'loaded at start (TF.js wasm)'],
      sizes.sort((a, b) => b.raw - a.raw).map((s) => [s.file, kb(s.raw), kb(s.gzip), fetched(s.file)]),
    ),
  );
  const startBytes = sizes.filter((s) => loaded.has('/' + s.file));
  console.log(
    `total ${kb(sizes.reduce((n, s) => n + s.raw, 0))}; the page loads ${kb(startBytes.reduce((n, s) => n + s.raw, 0))} of it at start ` +
      `(${kb(startBytes.reduce((n, s) => n + s.gzip, 0))} gzipped) plus the weights (${kb(loaded.get(`/weights/${args.weights!.split('/').pop()}`) ?? 0)})`,
  );

  console.log(
    `\nPage load -> first prediction, cold cache (${args.arch}, ${args.weights!.split('/').pop()}; ms since navigation; the image is given as soon as the page is ready):`,
  );
  console.log(table(['engine', 'DOMContentLoaded', 'explorer drawn', 'weights + engine ready', 'first prediction', 'top-1'], coldRows));

  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(served.url);
  await page.waitForSelector('body[data-ready=true]', { timeout: 300_000 });
  await page.setInputFiles('#image-file', args.image!);
  await page.waitForSelector('#top5 li.best', { timeout: 300_000 });
  const runs = Number(args.runs);
  const rows: string[][] = [];
  for (const name of ['tfjs-wasm', 'ort-wasm', 'tfjs-webgl', 'tfjs-cpu']) {
    const n = name === 'tfjs-cpu' ? Math.min(3, runs) : runs;
    try {
      const r = await page.evaluate(([engine, count]) => (window as any).mobilenetv3.bench(engine, count), [name, n] as const);
      rows.push([
        name,
        r.engine,
        median(r.ms).toFixed(1),
        Math.min(...r.ms).toFixed(1),
        (1000 / median(r.ms)).toFixed(1),
        String(n),
        r.top,
      ]);
    } catch (error) {
      rows.push([name, `failed: ${(error as Error).message.split('\n')[0].slice(0, 60)}`, '', '', '', '', '']);
    }
  }
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  console.log(`\nPer image in the page, warm (preprocessing + inference + read-back, batch 1; headless Chromium, ${cores} logical cores):`);
  console.log(table(['engine', 'what runs', 'median ms', 'min ms', 'images/s', 'runs', 'top-1'], rows));
} finally {
  await browser.close();
  await served.stop();
}
