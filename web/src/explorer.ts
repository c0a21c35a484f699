/**
 * The architecture explorer: build the model in the page for the chosen arch / flavour / alpha /
 * minimalistic, and show it with the same graph data, DOT and side panel as `plot --html`
 * (src/visualize): Graphviz (WebAssembly, bundled) lays it out here, in the browser.
 */
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { buildModel } from '../../src/architecture/builder.js';
import type { Flavor, ModelOptions } from '../../src/architecture/options.js';
import type { ArchName } from '../../src/architecture/tables.js';
import { readableCount, thousands } from '../../src/inspect/format.js';
import { toDot } from '../../src/visualize/dot.js';
import { networkGraph, type Detail, type NetworkGraph } from '../../src/visualize/graph.js';
import { mountGraphViewer, type GraphViewer } from '../../src/visualize/page/viewer.js';
import { escapeMarkup as escapeHtml } from '../../src/visualize/markup.js';
import { formatTableHtml } from '../../src/visualize/table.js';

export interface ExplorerChoice {
  arch: ArchName;
  flavor: Flavor;
  alpha: number;
  minimalistic: boolean;
  detail: Detail;
}

export interface ExplorerElements {
  canvas: HTMLElement;
  panel: HTMLElement;
  stats: HTMLElement;
  search: HTMLInputElement;
  searchStatus: HTMLElement;
}

let graphviz: Promise<Graphviz> | undefined;

/** The panel before anything is clicked: the paper-style table of the model on screen. */
function overview(graph: NetworkGraph): string {
  return `<section class="mnv3-details overview">
<p class="hint">Click a block in the diagram to see its layers, config, weight shapes, params and MACs. Drag to pan, wheel to zoom.</p>
<h3>${escapeHtml(graph.name)} as in the paper's table</h3>
${formatTableHtml({ name: graph.name, rows: graph.table })}
</section>`;
}

function stats(graph: NetworkGraph, buildMs: number): string {
  const item = (value: string, label: string) => `<div class="stat"><b>${value}</b><span>${label}</span></div>`;
  return [
    item(thousands(graph.totals.params), 'parameters'),
    item(readableCount(graph.totals.macs).replace(' ', '&nbsp;'), 'MACs'),
    item(String(graph.totals.layers), 'layers'),
    item(`${Math.round(buildMs)}&nbsp;ms`, 'built here'),
  ].join('');
}

export interface ExplorerView {
  graph: NetworkGraph;
  viewer: GraphViewer;
}

/** Build the chosen model, lay it out and mount the viewer; the model itself is not kept. */
export async function showArchitecture(choice: ExplorerChoice, elements: ExplorerElements): Promise<ExplorerView> {
  const start = performance.now();
  const options: ModelOptions = { arch: choice.arch, flavor: choice.flavor, alpha: choice.alpha, minimalistic: choice.minimalistic };
  const model = buildModel(options);
  let graph: NetworkGraph;
  try {
    graph = networkGraph(model, { detail: choice.detail });
  } finally {
    model.dispose();
  }
  const buildMs = performance.now() - start;
  graphviz ??= Graphviz.load();
  const svg = (await graphviz).dot(toDot(graph, { rankdir: 'TB' }), 'svg');
  // A fresh canvas and search box each time: the viewer's listeners belong to one graph.
  const canvas = elements.canvas.cloneNode(false) as HTMLElement;
  elements.canvas.replaceWith(canvas);
  elements.canvas = canvas;
  canvas.innerHTML = svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/<!DOCTYPE[^>]*>\s*/, '');
  elements.panel.innerHTML = overview(graph);
  elements.stats.innerHTML = stats(graph, buildMs);
  elements.search.value = '';
  elements.searchStatus.textContent = '';
  const search = elements.search.cloneNode(true) as HTMLInputElement;
  elements.search.replaceWith(search);
  elements.search = search;
  const viewer = mountGraphViewer(graph, { canvas: elements.canvas, panel: elements.panel, search, searchStatus: elements.searchStatus });
  viewer.fitWidth();
  return { graph, viewer };
}
