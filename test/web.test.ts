/**
 * The web page end to end: `mobilenetv3 serve` with the real Small weights, driven in headless
 * Debian Chromium. Classifies elephant.jpg in the page, clicks a block of the explorer, checks
 * that the page never requests anything outside its origin, and writes screenshots.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from './chromium.js';
import { buildWeb, ROOT, startServe, type Served } from './serve.js';
import { SHARED } from './shared.js';

const WEIGHTS = join(SHARED, 'weights/mobilenet_v3_small_224_1.0_float.h5');
const ELEPHANT = join(SHARED, 'data/elephant.jpg');
const OUT = join(ROOT, 'test-output/web');

describe('web page (serve + Chromium)', { skip: !hasChromium() && 'no chromium installed' }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    buildWeb();
    served = await startServe(['--arch', 'small', '--weights', WEIGHTS, '--port', '0']);
    browser = await launchChromium();
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
    assert.match(await page.textContent('#weights-name') ?? '', /mobilenet_v3_small_224_1\.0_float\.h5/);
    assert.match(await page.textContent('#engine-badge') ?? '', /TF\.js wasm/);
  });

  it('classifies elephant.jpg as an elephant', async () => {
    await page.setInputFiles('#image-file', ELEPHANT);
    await page.waitForSelector('#top5 li.best', { timeout: 60_000 });
    const best = await page.textContent('#top5 li.best .name');
    assert.match(best ?? '', /elephant|tusker/i);
    // ImageNet classes 101 tusker, 385 Indian elephant, 386 African elephant.
    assert.match(await page.getAttribute('#top5 li.best .name', 'title') ?? '', /^class (101|385|386)$/);
    assert.equal(await page.locator('#top5 li').count(), 5);
    assert.match(await page.textContent('#timing') ?? '', /ms per image/);
    await page.screenshot({ path: join(OUT, 'classify.png'), fullPage: true });
  });

  it('shows the details of a clicked block', async () => {
    await page.click('#diagram g.node#node-expanded_conv_3');
    await page.waitForSelector('#details [data-node="expanded_conv_3"]');
    const details = await page.textContent('#details') ?? '';
    assert.match(details, /expanded_conv_3/);
    assert.match(details, /depthwise/);
    await page.screenshot({ path: join(OUT, 'explorer.png'), fullPage: true });
  });

  it('rebuilds the explorer when the architecture changes', async () => {
    const before = await page.textContent('#stats');
    await page.click('#arch-form input[name=arch][value=large] + span');
    await page.waitForFunction((old) => document.getElementById('stats')!.textContent !== old, before);
    assert.match(await page.textContent('#stats') ?? '', /5,507,432/);
  });

  it('makes no request outside its origin', () => {
    const origin = new URL(served.url).origin;
    const outside = requests.filter((url) => !/^(blob|data):/.test(url) && new URL(url).origin !== origin);
    assert.deepEqual(outside, []);
    assert.ok(requests.some((url) => url.endsWith('.wasm')), 'the wasm binaries come from this origin');
  });
});
