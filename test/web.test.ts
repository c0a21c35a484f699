/**
 * The web page end to end: `mobilenetv3 serve` with the real Small weights, driven in headless
 * Debian Chromium. Classifies elephant.jpg in the page, clicks a block of the explorer, checks
 * that the page never requests anything outside its origin, and writes screenshots.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from './chromium.js';
import { buildWeb, ROOT, startServe, type Served } from './serve.js';
import { SHARED } from './shared.js';

const WEIGHTS = join(SHARED, 'weights/mobilenet_v3_small_224_1.0_float.h5');
const ELEPHANT = join(SHARED, 'data/elephant.jpg');
const LARGE_MINIMALISTIC = join(SHARED, 'weights/mobilenet_v3_large_minimalistic_224_1.0_float.h5');
const OUT = join(ROOT, 'test-output/web');
const TFJS_DIR = join(OUT, 'tfjs-small');

/** The Small model with the real weights as TF.js files, the way a user would bring them. */
async function writeTfjsModel(): Promise<string[]> {
  const [{ buildModel }, { loadKerasH5Weights }, { saveTfjsModel }, { useTfBackend }] = await Promise.all([
    import('../src/architecture/builder.js'),
    import('../src/weights/h5-file.js'),
    import('../src/weights/tfjs-files.js'),
    import('../src/runtime/tfjs.js'),
  ]);
  await useTfBackend('cpu');
  const model = buildModel({ arch: 'small' });
  await loadKerasH5Weights(model, WEIGHTS);
  await saveTfjsModel(model, join(TFJS_DIR, 'model.json'));
  model.dispose();
  return readdirSync(TFJS_DIR).map((f) => join(TFJS_DIR, f));
}

async function topResult(page: Page): Promise<string> {
  await page.waitForSelector('#top5 li.best', { timeout: 60_000 });
  return (await page.textContent('#top5 li.best .name')) ?? '';
}

describe('web page (serve + Chromium)', { skip: !hasChromium() && 'no chromium installed' }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    buildWeb();
    served = await startServe(['--arch', 'small', '--weights', WEIGHTS, '--port', '0']);
    // A fake camera (Chromium's synthetic video), allowed without a prompt.
    browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => console.error('page error:', error.message));
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('binds to loopback and prints the URL', () => {
    assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('loads the served weights and shows the engine that runs', async () => {
    assert.match((await page.textContent('#weights-name')) ?? '', /mobilenet_v3_small_224_1\.0_float\.h5/);
    assert.match((await page.textContent('#engine-badge')) ?? '', /TF\.js wasm/);
  });

  it('classifies elephant.jpg as an elephant', async () => {
    await page.setInputFiles('#image-file', ELEPHANT);
    await page.waitForSelector('#top5 li.best', { timeout: 60_000 });
    const best = await page.textContent('#top5 li.best .name');
    assert.match(best ?? '', /elephant|tusker/i);
    // ImageNet classes 101 tusker, 385 Indian elephant, 386 African elephant.
    assert.match((await page.getAttribute('#top5 li.best .name', 'title')) ?? '', /^class (101|385|386)$/);
    assert.equal(await page.locator('#top5 li').count(), 5);
    assert.match((await page.textContent('#timing')) ?? '', /ms per image/);
    await page.screenshot({ path: join(OUT, 'classify.png'), fullPage: true });
  });

  it('classifies an image dropped on the page', async () => {
    await page.evaluate(() => {
      document.getElementById('top5')!.innerHTML = '';
    });
    const base64 = readFileSync(ELEPHANT).toString('base64');
    await page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' }));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, base64);
    assert.match(await topResult(page), /elephant|tusker/i);
  });

  it('classifies camera frames live', async () => {
    await page.evaluate(() => {
      document.getElementById('timing')!.textContent = '';
    });
    await page.click('#camera');
    await page.waitForSelector('#video:not([hidden])', { timeout: 30_000 });
    await page.waitForFunction(() => /ms per image/.test(document.getElementById('timing')!.textContent ?? ''), null, { timeout: 60_000 });
    assert.equal(await page.locator('#top5 li').count(), 5);
    assert.match((await page.textContent('#camera')) ?? '', /Stop/);
    await page.click('#camera');
    await page.waitForSelector('#video[hidden]', { state: 'attached' });
    // Back to the elephant for what follows.
    await page.evaluate(() => {
      document.getElementById('top5')!.innerHTML = '';
    });
    await page.setInputFiles('#image-file', ELEPHANT);
    assert.match(await topResult(page), /elephant|tusker/i);
  });

  it('runs the same model on ONNX Runtime Web (exported to ONNX in the page)', async () => {
    await page.selectOption('#engine', 'ort-wasm');
    await page.waitForFunction(() => /ONNX Runtime/.test(document.getElementById('engine-badge')!.textContent ?? ''), null, {
      timeout: 120_000,
    });
    await page.waitForFunction(() => /ONNX Runtime/.test(document.getElementById('timing')!.textContent ?? ''), null, { timeout: 60_000 });
    assert.match(await topResult(page), /elephant|tusker/i);
    await page.selectOption('#engine', 'tfjs-wasm');
    await page.waitForFunction(() => /TF\.js wasm/.test(document.getElementById('timing')!.textContent ?? ''), null, { timeout: 60_000 });
  });

  it('compares the engines on the current image and goes back to the chosen one', async () => {
    await page.click('#compare');
    await page.waitForSelector('#compare-table tr.best', { timeout: 180_000 });
    await page.waitForSelector('#compare:not([disabled])', { timeout: 60_000 });
    const rows = await page.$$eval('#compare-table tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')),
    );
    assert.equal(rows.length, 4);
    for (const row of rows.filter((r) => !/WebGL/.test(r[0]))) assert.ok(Number(row[2]) > 0, `ms for ${row[0]}: ${row.join(' | ')}`);
    assert.ok(rows.some((r) => /ONNX Runtime Web/.test(r[1])) && rows.some((r) => /TF\.js wasm/.test(r[1])));
    assert.match((await page.textContent('#engine-badge')) ?? '', /TF\.js wasm/);
    await page.screenshot({ path: join(OUT, 'compare.png'), fullPage: true });
  });

  it('shows the details of a clicked block', async () => {
    await page.click('#diagram g.node#node-expanded_conv_3');
    await page.waitForSelector('#details [data-node="expanded_conv_3"]');
    const details = (await page.textContent('#details')) ?? '';
    assert.match(details, /expanded_conv_3/);
    assert.match(details, /depthwise/);
    await page.screenshot({ path: join(OUT, 'explorer.png'), fullPage: true });
  });

  it('rebuilds the explorer when the architecture changes', async () => {
    const before = await page.textContent('#stats');
    await page.click('#arch-form input[name=arch][value=large] + span');
    await page.waitForFunction((old) => document.getElementById('stats')!.textContent !== old, before);
    assert.match((await page.textContent('#stats')) ?? '', /5,507,432/);
  });

  it('loads weights the user picks: a TF.js model.json with its .bin', async () => {
    const files = await writeTfjsModel();
    await page.setInputFiles('#weights-file', files);
    await page.waitForFunction(() => document.getElementById('weights-name')!.textContent === 'model.json', null, { timeout: 60_000 });
    await page.waitForFunction(() => !/loading/.test(document.getElementById('weights-status')!.textContent ?? ''));
    assert.match((await page.textContent('#weights-status')) ?? '', /MobileNetV3Small .*2,554,968 params · your file/);
    assert.match(await topResult(page), /elephant|tusker/i);
  });

  it('loads an official-layout .h5 of another architecture, finding which model it fits', async () => {
    await page.setInputFiles('#weights-file', LARGE_MINIMALISTIC);
    await page.waitForFunction(
      () =>
        /large_minimalistic/.test(document.getElementById('weights-name')!.textContent ?? '') &&
        !/loading/.test(document.getElementById('weights-status')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
    assert.match((await page.textContent('#weights-status')) ?? '', /MobileNetV3Large α1 minimalistic · 3,948,688 params/);
    // The explorer follows the loaded model.
    await page.waitForFunction(() => /3,948,688/.test(document.getElementById('stats')!.textContent ?? ''), null, { timeout: 60_000 });
    assert.equal(await page.isChecked('#arch-form input[name=minimalistic]'), true);
    assert.match(await topResult(page), /elephant|tusker/i);
    await page.screenshot({ path: join(OUT, 'user-weights.png'), fullPage: true });
  });

  it('says in one line when a chosen file is not weights', async () => {
    await page.setInputFiles('#weights-file', {
      name: 'broken.h5',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not an hdf5 file'),
    });
    await page.waitForSelector('#classify-error:not([hidden])', { timeout: 30_000 });
    const message = (await page.textContent('#classify-error')) ?? '';
    assert.match(message, /broken\.h5/);
    assert.doesNotMatch(message, /\n|at .*\(/);
    // The model that was loaded stays loaded.
    assert.match((await page.textContent('#weights-name')) ?? '', /large_minimalistic/);
  });

  it('makes no request outside its origin', () => {
    const origin = new URL(served.url).origin;
    const outside = requests.filter((url) => !/^(blob|data):/.test(url) && new URL(url).origin !== origin);
    assert.deepEqual(outside, []);
    assert.ok(
      requests.some((url) => url.endsWith('.wasm')),
      'the wasm binaries come from this origin',
    );
  });
});
