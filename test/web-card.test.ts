/**
 * The page and the CLI read one model card: for the same photo and weights they give the same
 * top-5 with the same probabilities (the shared crop + resample code, src/images/prepare.ts); a
 * model from `train -o` shows its own class names in the page; a model whose card says mean/std
 * (torchvision weights from a .pth) is classified as torch does. Headless Debian Chromium.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from './chromium.js';
import { buildWeb, cli, ROOT, startServe, type Served } from './serve.js';
import { SHARED } from './shared.js';

const WEIGHTS = join(SHARED, 'weights/mobilenet_v3_small_224_1.0_float.h5');
const ELEPHANT = join(SHARED, 'data/elephant.jpg');
const SAMPLE = join(SHARED, 'data/imagenet-sample');
const PTH = join(ROOT, 'test/fixtures/pth');
const OUT = join(ROOT, 'test-output/web-card');

interface Prediction {
  index: number;
  label: string;
  probability: number;
}

const softmax = (row: number[]): number[] => {
  const top = Math.max(...row);
  const e = row.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

/** The CLI's top-5 for one image, as JSON. */
function cliTop5(image: string, ...args: string[]): Prediction[] {
  const r = cli('classify', image, '--json', '--top', '5', ...args);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { predictions: Prediction[] }).predictions;
}

/** Classify `image` in the page and read the full-precision top-5 it shows. */
async function pageTop5(page: Page, image: string): Promise<Prediction[]> {
  await page.evaluate(() => {
    document.getElementById('top5')!.innerHTML = '';
    (window as unknown as { mobilenetv3: { lastPredictions: unknown[] } }).mobilenetv3.lastPredictions.length = 0;
  });
  await page.setInputFiles('#image-file', image);
  await page.waitForSelector('#top5 li.best', { timeout: 60_000 });
  return page.evaluate(() =>
    (window as unknown as { mobilenetv3: { lastPredictions: Prediction[] } }).mobilenetv3.lastPredictions.map((p) => ({ ...p })),
  );
}

async function loadUserModel(page: Page, dir: string, name: RegExp): Promise<void> {
  // model.json and its weight shards (a train folder also holds checkpoint.bin, labels.json, ...).
  await page.setInputFiles(
    '#weights-file',
    readdirSync(dir)
      .filter((f) => /^model(\.json|.*\.bin)$/.test(f))
      .map((f) => join(dir, f)),
  );
  await page.evaluate(() => {
    document.getElementById('classify-error')!.hidden = true;
  });
  await page.waitForFunction(
    (source) =>
      new RegExp(source).test(document.getElementById('weights-status')!.textContent ?? '') ||
      !document.getElementById('classify-error')!.hidden,
    name.source,
    { timeout: 60_000 },
  );
  const error = await page.evaluate(() => {
    const e = document.getElementById('classify-error')!;
    return e.hidden ? '' : e.textContent;
  });
  assert.equal(error, '', 'the page took the model');
}

function assertSameTop5(actual: Prediction[], expected: Prediction[], what: string): number {
  assert.deepEqual(
    actual.map((p) => p.index),
    expected.map((p) => p.index),
    `${what}: the same classes in the same order`,
  );
  assert.deepEqual(
    actual.map((p) => p.label),
    expected.map((p) => p.label),
    `${what}: the same names`,
  );
  const diff = Math.max(...actual.map((p, i) => Math.abs(p.probability - expected[i].probability)));
  assert.ok(diff < 1e-4, `${what}: probabilities differ by ${diff}`);
  return diff;
}

describe('the page and the CLI read one model card (serve + Chromium)', { skip: !hasChromium() && 'no chromium installed' }, () => {
  let served: Served;
  let browser: Browser;
  let page: Page;

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    buildWeb();
    served = await startServe(['--arch', 'small', '--weights', WEIGHTS, '--port', '0']);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => console.error('page error:', error.message));
    await page.goto(served.url);
    await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    await page.waitForFunction(
      () =>
        /mobilenet_v3_small/.test(document.getElementById('weights-name')!.textContent ?? '') &&
        !/loading/.test(document.getElementById('weights-status')!.textContent ?? ''),
      null,
      { timeout: 120_000 },
    );
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('elephant.jpg: the same top-5 and probabilities (to 1e-4) in the page as with classify', async () => {
    const expected = cliTop5(ELEPHANT, '--weights', WEIGHTS, '--arch', 'small');
    const actual = await pageTop5(page, ELEPHANT);
    const diff = assertSameTop5(actual, expected, 'elephant.jpg');
    console.log(
      `page vs CLI on elephant.jpg: max |Δp| over the top-5 ${diff.toExponential(2)} (top-1 ${expected[0].label} ${expected[0].probability.toFixed(4)})`,
    );
    assert.match(expected[0].label, /elephant|tusker/i);
  });

  it('a model from train -o shows its own class names in the page', async () => {
    const data = join(OUT, 'photos');
    for (const [label, files] of [
      ['elephants', ['n01871265_tusker', 'n02504013_Indian_elephant', 'n02504458_African_elephant']],
      ['fishes', ['n01440764_tench', 'n01443537_goldfish', 'n01484850_great_white_shark']],
    ] as const) {
      mkdirSync(join(data, label), { recursive: true });
      for (const f of files) symlinkSync(join(SAMPLE, `${f}.JPEG`), join(data, label, `${f}.JPEG`));
    }
    const trained = join(OUT, 'trained');
    const r = cli('train', data, '-o', trained, '--arch', 'small', '--weights', WEIGHTS, '--epochs', '30', '--val-split', '0');
    assert.equal(r.code, 0, r.stderr);
    await loadUserModel(page, trained, /_transfer|MobileNetV3Small/);
    const top = await pageTop5(page, ELEPHANT);
    assert.deepEqual(top.map((p) => p.label).sort(), ['elephants', 'fishes']);
    assert.equal(top[0].label, 'elephants');
    assert.equal(await page.textContent('#top5 li.best .name'), 'elephants');
    // The CLI reads the same card (in the folder's model.onnx): the same names and numbers.
    assertSameTop5(top, cliTop5(ELEPHANT, '--model', trained), 'trained model');
    // Its model.json too (handed on as ONNX: the model options cannot rebuild its head).
    assertSameTop5(top, cliTop5(ELEPHANT, '--model', join(trained, 'model.json')), 'trained model.json');
    const tfjs = cli('classify', ELEPHANT, '--model', join(trained, 'model.json'), '--engine', 'tfjs');
    assert.equal(tfjs.code, 2);
    assert.match(tfjs.stderr, /is a trained model .*classify it with --engine onnx\n$/);
  });

  it("a model whose card says mean/std (torchvision weights): the page, the CLI and the API give torch's probabilities", async () => {
    const expected: { images: string[]; logits: number[][] } = JSON.parse(readFileSync(join(PTH, 'small-fp16.json'), 'utf8'));
    const dir = join(OUT, 'pth-model');
    const r = cli('weights', 'convert', join(PTH, 'small-fp16.pth'), join(dir, 'model.json'));
    assert.equal(r.code, 0, r.stderr);
    const onnx = join(OUT, 'small-fp16.onnx');
    assert.equal(cli('weights', 'convert', join(PTH, 'small-fp16.pth'), onnx).code, 0);
    await loadUserModel(page, dir, /MobileNetV3Small/);
    const { createClassifier } = await import('../src/classify/classifier.js');
    // The fixture images are 224x224: with no crop the input is the image itself, as torch got it.
    const api = await createClassifier({ model: onnx, crop: null, top: 5 });
    try {
      for (const [i, name] of expected.images.entries()) {
        const image = join(PTH, name);
        const p = softmax(expected.logits[i]);
        const torchTop = Array.from(p.keys())
          .sort((a, b) => p[b] - p[a])
          .slice(0, 5);
        const check = (got: Prediction[], who: string) => {
          assert.deepEqual(
            got.map((x) => x.index),
            torchTop,
            `${who}, ${name}`,
          );
          for (const x of got)
            assert.ok(
              Math.abs(x.probability - p[x.index]) < 1e-4,
              `${who}, ${name}, class ${x.index}: ${x.probability} vs torch ${p[x.index]}`,
            );
        };
        check(cliTop5(image, '--model', onnx, '--no-crop'), 'CLI');
        check((await api.classify(image)).predictions, 'API');
        // The page uses the card's crop (0.875), as the CLI does by default: compare it with the CLI's.
        assertSameTop5(await pageTop5(page, image), cliTop5(image, '--model', onnx), `page, ${name}`);
      }
    } finally {
      await api.dispose();
    }
  });
});
