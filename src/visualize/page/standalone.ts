/**
 * Entry point of the self-contained page written by `plot -o model.html`: reads the graph JSON
 * embedded in the page and mounts the viewer on the inlined SVG.
 */
import type { NetworkGraph } from '../graph.js';
import { mountGraphViewer } from './viewer.js';

const data = document.getElementById('mnv3-graph');
if (!data?.textContent) throw new Error('mobilenetv3 page: graph data missing');
const graph = JSON.parse(data.textContent) as NetworkGraph;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const viewer = mountGraphViewer(graph, {
  canvas: $('mnv3-canvas'),
  panel: $('mnv3-panel'),
  search: $<HTMLInputElement>('mnv3-search'),
  searchStatus: $('mnv3-search-status'),
});
$('mnv3-zoom-in').addEventListener('click', () => viewer.zoom(1.4));
$('mnv3-zoom-out').addEventListener('click', () => viewer.zoom(1 / 1.4));
$('mnv3-fit').addEventListener('click', () => viewer.fit());
// A tall graph (every layer, top to bottom) would be unreadably small when fitted whole: open it
// at the canvas's width, top first, and let the reader pan down.
const [, , w, h] = (document.querySelector('#mnv3-canvas svg')?.getAttribute('viewBox') ?? '0 0 1 1').split(/[\s,]+/).map(Number);
const canvas = $('mnv3-canvas');
if (h / w > 1.5 * (canvas.clientHeight / Math.max(1, canvas.clientWidth))) viewer.fitWidth();
(window as unknown as { mobilenetv3Viewer: typeof viewer }).mobilenetv3Viewer = viewer;
