/** The page: wires the explorer, the weights, the engines and classification together. */
import * as tf from '@tensorflow/tfjs';
import { readMetadata } from '../../src/architecture/blocks.js';
import { FLAVOR_NAMES } from '../../src/architecture/flavors.js';
import type { ModelOptions } from '../../src/architecture/options.js';
import { ARCH_NAMES } from '../../src/architecture/tables.js';
import { cardInput } from '../../src/browser/pixels.js';
import { topK } from '../../src/classify/top-k.js';
import { createPageEngine, DEFAULT_ENGINE, ENGINES, prepareTf, type EngineName, type PageEngine } from './engines.js';
import { wireCamera } from './camera.js';
import { wireCompare, type BenchResult } from './compare.js';
import { showArchitecture, type ExplorerChoice, type ExplorerView } from './explorer.js';
import { VIEWER_CSS } from '../../src/visualize/page/style.js';
import { loadServerWeights, loadUserWeights, type LoadedModel, type ServerConfig } from './weights.js';
import './style.css';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Timings the page exposes for scripts/web-timing.ts and the end-to-end test. */
const timing: Record<string, number> = {};
/** The last top-5 at full precision (the end-to-end test compares it with the CLI's). */
const lastPredictions: ReturnType<typeof topK> = [];

let config: ServerConfig | undefined;
let loaded: LoadedModel | undefined;
/** `?engine=ort-wasm` picks the engine at load (scripts/web-timing.ts measures each this way). */
const requested = new URLSearchParams(location.search).get('engine');
let engineName: EngineName = ENGINES.some((e) => e.name === requested) ? (requested as EngineName) : DEFAULT_ENGINE;
let engine: PageEngine | undefined;
let lastImage: (CanvasImageSource & { width: number; height: number }) | undefined;

function showError(message: string | undefined): void {
  const box = $('classify-error');
  box.hidden = !message;
  box.textContent = message ?? '';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

// ---------- engines ----------

/** (Re)create the engine for the current model; without a model, only get TF.js ready. */
async function switchEngine(name: EngineName): Promise<void> {
  const badge = $('engine-badge');
  badge.textContent = 'engine: starting…';
  badge.dataset.engine = name;
  try {
    const previous = engine;
    engine = undefined;
    await previous?.dispose();
    if (loaded) {
      const start = performance.now();
      engine = await createPageEngine(name, loaded.model);
      timing.engineStartMs = performance.now() - start;
      badge.textContent = engine.label;
    } else {
      await prepareTf(name);
      badge.textContent = `${ENGINES.find((e) => e.name === name)!.label.replace(' · ', ' ')} (waiting for weights)`;
    }
    engineName = name;
  } catch (error) {
    badge.textContent = `engine failed: ${errorText(error)}`;
    showError(`${ENGINES.find((e) => e.name === name)!.label}: ${errorText(error)}`);
  }
}

function fillEngines(): void {
  const select = $<HTMLSelectElement>('engine');
  select.innerHTML = ENGINES.map((e) => `<option value="${e.name}">${e.label}</option>`).join('');
  select.value = engineName;
  select.addEventListener('change', async () => {
    await switchEngine(select.value as EngineName);
    if (lastImage) await classify(lastImage);
  });
}

// ---------- weights ----------

function showWeights(text: string, status = ''): void {
  $('weights-name').textContent = text;
  $('weights-status').textContent = status;
}

async function setModel(next: Promise<LoadedModel>, what: string): Promise<void> {
  showWeights(what, 'loading…');
  try {
    const model = await next;
    const old = loaded;
    loaded = model;
    await switchEngine(engineName);
    old?.model.dispose();
    showWeights(model.name, model.description);
    // The explorer follows the model that classifies (e.g. a Large-minimalistic file just loaded).
    const options = readMetadata(model.model)?.options;
    const shown = explorerChoice();
    if (
      options &&
      (options.arch !== shown.arch ||
        options.flavor !== shown.flavor ||
        options.alpha !== shown.alpha ||
        options.minimalistic !== shown.minimalistic)
    ) {
      setExplorerChoice(options);
      void refreshExplorer();
    }
    if (lastImage) await classify(lastImage);
  } catch (error) {
    showWeights(loaded ? loaded.name : 'none', '');
    showError(errorText(error));
  }
}

// ---------- classification ----------

function drawPreview(image: CanvasImageSource & { width: number; height: number }): void {
  const canvas = $<HTMLCanvasElement>('preview');
  const scale = Math.min(1, 480 / Math.max(image.width, image.height));
  canvas.width = Math.round(image.width * scale);
  canvas.height = Math.round(image.height * scale);
  canvas.getContext('2d')!.drawImage(image, 0, 0, canvas.width, canvas.height);
}

function renderTop5(predictions: ReturnType<typeof topK>): void {
  $('top5').innerHTML = predictions
    .map(
      (p, i) => `
    <li class="${i === 0 ? 'best' : ''}">
      <span class="name" title="class ${p.index}">${p.label}</span>
      <span class="bar"><span style="width:${(p.probability * 100).toFixed(1)}%"></span></span>
      <span class="pct">${(p.probability * 100).toFixed(1)}%</span>
    </li>`,
    )
    .join('');
}

async function classify(image: CanvasImageSource & { width: number; height: number }): Promise<void> {
  lastImage = image;
  showError(undefined);
  drawPreview(image);
  $('result').hidden = false;
  if (!loaded || !engine) {
    $('top5').innerHTML = '';
    $('timing').textContent = '';
    showError('No weights loaded: load an .h5 or TF.js model.json + .bin file above, or start `mobilenetv3 serve --weights <file>`.');
    return;
  }
  try {
    const [h, w] = loaded.inputSize;
    const start = performance.now();
    // The model card's contract and crop, through the same crop + resample code as the CLI.
    const input = cardInput(image as HTMLCanvasElement, loaded.card);
    let probabilities: Float32Array;
    try {
      probabilities = await engine.run(input);
    } finally {
      input.dispose();
    }
    const ms = performance.now() - start;
    timing.firstPrediction ??= performance.now();
    timing.lastPredictionMs = ms;
    const predictions = topK(probabilities, 5, loaded.labels);
    lastPredictions.splice(0, lastPredictions.length, ...predictions);
    renderTop5(predictions);
    $<HTMLButtonElement>('compare').disabled = false;
    $('timing').innerHTML = `<b>${ms.toFixed(ms < 100 ? 1 : 0)} ms</b> per image · ${engine.label} · input ${w}×${h}`;
  } catch (error) {
    showError(errorText(error));
  }
}

async function imageFromFile(file: File): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`cannot decode ${file.name}: not an image this browser can read`);
  }
}

async function onImageFile(file: File | undefined): Promise<void> {
  if (!file) return;
  try {
    await classify(await imageFromFile(file));
  } catch (error) {
    showError(errorText(error));
  }
}

function wireImageInputs(): void {
  const drop = $('drop');
  $<HTMLInputElement>('image-file').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    void onImageFile(input.files?.[0]);
    input.value = ''; // picking the same file again still fires "change"
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const files = [...(e.dataTransfer?.files ?? [])];
    const weightFiles = files.filter((f) => /\.(h5|hdf5|json|bin)$/i.test(f.name));
    if (weightFiles.length) void setModel(loadUserWeights(weightFiles, modelChoice()), weightFiles[0].name);
    else void onImageFile(files[0]);
  });
  wireCamera($<HTMLButtonElement>('camera'), $<HTMLVideoElement>('video'), classify, (message) => showError(message));
}

// ---------- explorer ----------

let view: ExplorerView | undefined;
let explorerQueue: Promise<void> = Promise.resolve();

function explorerChoice(): ExplorerChoice {
  const data = new FormData($<HTMLFormElement>('arch-form'));
  return {
    arch: data.get('arch') as ExplorerChoice['arch'],
    flavor: data.get('flavor') as ExplorerChoice['flavor'],
    alpha: Number(data.get('alpha')),
    minimalistic: data.get('minimalistic') === 'on',
    detail: data.get('detail') as ExplorerChoice['detail'],
  };
}

/** The explorer's model, as builder options (what a user's .h5 file is tried on first). */
function modelChoice(): ModelOptions {
  const { arch, flavor, alpha, minimalistic } = explorerChoice();
  return { arch, flavor, alpha, minimalistic };
}

/** The arch and flavour radio buttons, from the library's tables (no second list in the page). */
function fillChoices(): void {
  const radios = (name: string, values: readonly string[]) =>
    values
      .map((v) => `<label><input type="radio" name="${name}" value="${v}"><span>${v[0].toUpperCase()}${v.slice(1)}</span></label>`)
      .join('');
  $('arch-choices').insertAdjacentHTML('beforeend', radios('arch', ARCH_NAMES));
  $('flavor-choices').insertAdjacentHTML('beforeend', radios('flavor', FLAVOR_NAMES));
}

function setExplorerChoice(options: ModelOptions): void {
  const form = $<HTMLFormElement>('arch-form');
  (form.querySelector(`input[name=arch][value=${options.arch ?? 'large'}]`) as HTMLInputElement).checked = true;
  (form.querySelector(`input[name=flavor][value=${options.flavor ?? 'keras'}]`) as HTMLInputElement).checked = true;
  const alpha = form.elements.namedItem('alpha') as HTMLSelectElement;
  const wanted = Number(options.alpha ?? 1);
  if (![...alpha.options].some((o) => Number(o.value) === wanted)) alpha.add(new Option(String(wanted)));
  alpha.value = [...alpha.options].find((o) => Number(o.value) === wanted)!.value;
  (form.elements.namedItem('minimalistic') as HTMLInputElement).checked = Boolean(options.minimalistic);
}

/** Rebuild the explorer for the form's choice; changes made while one builds queue up. */
function refreshExplorer(): Promise<void> {
  explorerQueue = explorerQueue.then(async () => {
    const diagram = $('diagram');
    diagram.classList.add('busy');
    try {
      view = await showArchitecture(explorerChoice(), {
        canvas: diagram,
        panel: $('details'),
        stats: $('stats'),
        search: $<HTMLInputElement>('diagram-search'),
        searchStatus: $('diagram-search-status'),
      });
      timing.explorerReady ??= performance.now();
    } catch (error) {
      $('details').innerHTML = `<p class="error">${errorText(error)}</p>`;
    } finally {
      $('diagram').classList.remove('busy');
    }
  });
  return explorerQueue;
}

function wireExplorer(): void {
  $<HTMLFormElement>('arch-form').addEventListener('change', () => void refreshExplorer());
  $('zoom-in').addEventListener('click', () => view?.viewer.zoom(1.4));
  $('zoom-out').addEventListener('click', () => view?.viewer.zoom(1 / 1.4));
  $('zoom-fit').addEventListener('click', () => view?.viewer.fit());
  const style = document.createElement('style');
  style.textContent = VIEWER_CSS;
  document.head.append(style);
}

// ---------- measurement hooks (scripts/web-timing.ts) ----------

/** Time `runs` predictions of the current image with an engine (after one warm-up run). */
async function bench(name: EngineName, runs: number): Promise<BenchResult> {
  if (!lastImage || !loaded) throw new Error('bench needs weights and an image');
  $<HTMLSelectElement>('engine').value = name;
  await switchEngine(name);
  if (!engine || engineName !== name) throw new Error(`engine ${name} did not start`);
  const once = async () => {
    const start = performance.now();
    const input = cardInput(lastImage as HTMLCanvasElement, loaded!.card);
    try {
      const probabilities = await engine!.run(input);
      return { ms: performance.now() - start, top: topK(probabilities, 1, loaded!.labels)[0].label };
    } finally {
      input.dispose();
    }
  };
  const warm = await once();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await once()).ms);
  return { engine: engine.label, warmupMs: warm.ms, ms, top: warm.top };
}

(window as unknown as { mobilenetv3: unknown }).mobilenetv3 = { timing, bench, lastPredictions };

// ---------- start ----------

async function start(): Promise<void> {
  fillChoices();
  fillEngines();
  wireImageInputs();
  $<HTMLInputElement>('weights-file').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) void setModel(loadUserWeights(files, modelChoice()), files[0].name);
  });
  try {
    const response = await fetch('./api/config.json');
    if (response.ok) config = (await response.json()) as ServerConfig;
  } catch {
    // A static host without `mobilenetv3 serve`: the page still works with user-chosen files.
  }
  setExplorerChoice(config?.model ?? { arch: 'large', flavor: 'keras', alpha: 1, minimalistic: false });
  wireExplorer();
  wireCompare(
    $<HTMLButtonElement>('compare'),
    $<HTMLTableElement>('compare-table'),
    bench,
    () => engineName,
    async (name) => {
      $<HTMLSelectElement>('engine').value = name;
      await switchEngine(name);
    },
  );
  $('versions').textContent = `TF.js ${tf.version.tfjs}`;
  await switchEngine(engineName);
  await refreshExplorer();
  if (config?.weights) await setModel(loadServerWeights(config), config.weights.name);
  else showWeights('none', 'load a file, or start the server with --weights');
  timing.ready = performance.now();
  document.body.dataset.ready = 'true';
}

void start();
