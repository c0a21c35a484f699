/**
 * The interactive graph viewer: pan/zoom over a Graphviz SVG, search by layer name, and a side
 * panel with a clicked node's config, weight shapes, params and MACs. Browser-only DOM code with
 * no dependencies; `plot -o model.html` bundles it into a self-contained page, and a web app can
 * import it directly:
 *
 *   import { mountGraphViewer } from 'mobilenetv3/src/visualize/page/viewer.js';
 *   import { VIEWER_CSS } from 'mobilenetv3/src/visualize/page/style.js';
 *   const viewer = mountGraphViewer(graph, { canvas, panel, search });   // graph: NetworkGraph
 *   viewer.select('expanded_conv_3');
 *
 * `canvas` must contain the SVG made from `toDot(graph)` (node ids from `svgNodeId`).
 */
import { nodeFacts, type GraphNode, type NetworkGraph } from '../graph.js';
import { formatShape, readableCount, thousands } from '../../inspect/format.js';

export interface ViewerElements {
  /** Element holding the Graphviz <svg> (it becomes the pan/zoom viewport). */
  readonly canvas: HTMLElement;
  /** Element the details of the selected node are rendered into. */
  readonly panel: HTMLElement;
  /** Optional search box (matches node ids and layer names). */
  readonly search?: HTMLInputElement;
  /** Optional element for "3 matches". */
  readonly searchStatus?: HTMLElement;
}

export interface GraphViewer {
  /** Select a node by graph id (shows its details, centres it); returns false if unknown. */
  select(id: string): boolean;
  /** Highlight nodes matching a layer-name query; returns the matching node ids. */
  search(query: string): string[];
  /** Zoom by a factor around the viewport centre. */
  zoom(factor: number): void;
  /** Show the whole graph. */
  fit(): void;
  /** Fill the viewport's width with the graph, top first (tall graphs stay readable; pan for the rest). */
  fitWidth(): void;
  readonly selected: string | null;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const SVG_PREFIX = 'node-';

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function table(doc: Document, head: string[] | null, rows: string[][], className: string): HTMLTableElement {
  const t = el(doc, 'table', undefined, className);
  if (head) {
    const tr = el(doc, 'tr');
    for (const h of head) tr.append(el(doc, 'th', h));
    t.append(el(doc, 'thead'));
    t.tHead!.append(tr);
  }
  const body = el(doc, 'tbody');
  for (const r of rows) {
    const tr = el(doc, 'tr');
    r.forEach((cell) => tr.append(el(doc, 'td', cell)));
    body.append(tr);
  }
  t.append(body);
  return t;
}

const configValue = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Clearer names for the block-map keys (layer configs keep TF.js's own names). */
const CONFIG_LABELS: Record<string, string> = {
  expand: 'expand channels',
  se: 'SE squeeze channels',
  out: 'out channels',
  residual: 'residual add',
};

/** The side panel's content for one node (usable on its own, e.g. in another page). */
export function renderNodeDetails(node: GraphNode, doc: Document = document): HTMLElement {
  const root = el(doc, 'section', undefined, 'mnv3-details');
  root.dataset.node = node.id;
  root.append(el(doc, 'h2', node.title));
  if (node.lines.length) root.append(el(doc, 'p', node.lines.join(' · '), 'mnv3-subtitle'));
  root.append(table(doc, null, nodeFacts(node), 'mnv3-facts'));

  const config = Object.entries(node.config).filter(([k]) => k !== 'table');
  if (config.length) {
    root.append(el(doc, 'h3', 'Config'));
    root.append(
      table(
        doc,
        null,
        config.map(([k, v]) => [node.layers.length > 1 ? (CONFIG_LABELS[k] ?? k) : k, configValue(v)]),
        'mnv3-config',
      ),
    );
  }
  root.append(el(doc, 'h3', `Weights (${node.weights.length})`));
  if (node.weights.length) {
    root.append(
      table(
        doc,
        ['name', 'shape', ''],
        node.weights.map((w) => [w.name, w.shape.join('×'), w.trainable ? '' : 'frozen']),
        'mnv3-weights',
      ),
    );
  } else {
    root.append(el(doc, 'p', 'none', 'mnv3-muted'));
  }
  if (node.layers.length > 1) {
    root.append(el(doc, 'h3', `Layers (${node.layers.length})`));
    root.append(
      table(
        doc,
        ['layer', 'type', 'output', 'params', 'MACs'],
        node.layers.map((l) => [l.name, l.type, formatShape(l.outputShape), thousands(l.params), readableCount(l.macs)]),
        'mnv3-layers',
      ),
    );
  }
  return root;
}

/** Mount the viewer on an SVG already in `elements.canvas`. */
export function mountGraphViewer(graph: NetworkGraph, elements: ViewerElements): GraphViewer {
  const { canvas, panel, search, searchStatus } = elements;
  const doc = canvas.ownerDocument;
  const svg = canvas.querySelector('svg');
  if (!svg) throw new Error('mountGraphViewer: no <svg> inside the canvas element');
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const gOf = (id: string): SVGGElement | null => svg.querySelector(`g.node[id="${CSS.escape(SVG_PREFIX + id)}"]`);

  // Viewport: the SVG fills the canvas; pan/zoom rewrite its viewBox.
  const [x0, y0, w0, h0] = (svg.getAttribute('viewBox') ?? '0 0 100 100').split(/[\s,]+/).map(Number);
  const whole: Box = { x: x0, y: y0, w: w0, h: h0 };
  let view: Box = { ...whole };
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  const apply = (): void => svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  /** SVG units per screen pixel (with "meet" the larger ratio wins). */
  const unitsPerPixel = (): number => Math.max(view.w / Math.max(1, canvas.clientWidth), view.h / Math.max(1, canvas.clientHeight));

  function zoomAt(factor: number, cx: number, cy: number): void {
    const w = Math.min(whole.w * 4, Math.max(whole.w / 200, view.w / factor));
    const f = view.w / w;
    view = { x: cx - (cx - view.x) / f, y: cy - (cy - view.y) / f, w, h: view.h / f };
    apply();
  }
  function toSvgPoint(clientX: number, clientY: number): [number, number] {
    const r = canvas.getBoundingClientRect();
    const u = unitsPerPixel();
    // Centre of the viewport maps to the centre of the viewBox.
    return [view.x + view.w / 2 + (clientX - r.left - r.width / 2) * u, view.y + view.h / 2 + (clientY - r.top - r.height / 2) * u];
  }
  function fitWidth(): void {
    const aspect = Math.max(1, canvas.clientHeight) / Math.max(1, canvas.clientWidth);
    view = { x: whole.x, y: whole.y, w: whole.w, h: whole.w * aspect };
    apply();
  }
  function fit(): void {
    view = { ...whole };
    apply();
  }
  function centreOn(g: SVGGElement): void {
    const b = g.getBBox();
    // Graphviz wraps the drawing in a translated group; getBBox is in its user space.
    const ctm = (g.parentNode as SVGGraphicsElement).transform.baseVal.consolidate()?.matrix;
    const cx = b.x + b.width / 2 + (ctm?.e ?? 0);
    const cy = b.y + b.height / 2 + (ctm?.f ?? 0);
    // Zoom in (never out) so the node takes a readable part of the viewport, with the viewport's aspect.
    const cw = Math.max(1, canvas.clientWidth);
    const ch = Math.max(1, canvas.clientHeight);
    const u = Math.min(unitsPerPixel(), Math.max((b.width * 2.5) / cw, (b.height * 6) / ch));
    view = { x: cx - (cw * u) / 2, y: cy - (ch * u) / 2, w: cw * u, h: ch * u };
    apply();
  }

  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const [cx, cy] = toSvgPoint(e.clientX, e.clientY);
      zoomAt(Math.exp(-e.deltaY * 0.0015), cx, cy);
    },
    { passive: false },
  );

  let drag: { x: number; y: number; moved: boolean } | null = null;
  canvas.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, moved: false };
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drag || (e.buttons & 1) === 0) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) canvas.setPointerCapture(e.pointerId);
    drag.moved = true;
    const u = unitsPerPixel();
    view = { ...view, x: view.x - dx * u, y: view.y - dy * u };
    drag.x = e.clientX;
    drag.y = e.clientY;
    apply();
  });
  canvas.addEventListener('pointerup', (e) => {
    const wasDrag = drag?.moved;
    drag = null;
    if (wasDrag) return;
    const g = (e.target as Element).closest('g.node');
    if (g?.id.startsWith(SVG_PREFIX)) select(g.id.slice(SVG_PREFIX.length), false);
  });

  let selected: string | null = null;
  function select(id: string, centre = true): boolean {
    const node = byId.get(id);
    const g = gOf(id);
    if (!node || !g) return false;
    svg!.querySelectorAll('g.node.mnv3-selected').forEach((n) => n.classList.remove('mnv3-selected'));
    g.classList.add('mnv3-selected');
    selected = id;
    panel.replaceChildren(renderNodeDetails(node, doc));
    if (centre) centreOn(g);
    return true;
  }

  let matches: string[] = [];
  let cursor = -1;
  function runSearch(query: string): string[] {
    const q = query.trim().toLowerCase();
    svg!.classList.toggle('mnv3-searching', q !== '');
    svg!.querySelectorAll('g.node.mnv3-match').forEach((n) => n.classList.remove('mnv3-match'));
    matches =
      q === ''
        ? []
        : graph.nodes
            .filter((n) => n.id.toLowerCase().includes(q) || n.layers.some((l) => l.name.toLowerCase().includes(q)))
            .map((n) => n.id);
    for (const id of matches) gOf(id)?.classList.add('mnv3-match');
    cursor = -1;
    if (searchStatus) searchStatus.textContent = q === '' ? '' : `${matches.length} match${matches.length === 1 ? '' : 'es'}`;
    return matches;
  }
  if (search) {
    search.addEventListener('input', () => runSearch(search.value));
    search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && matches.length) {
        cursor = (cursor + (e.shiftKey ? matches.length - 1 : 1)) % matches.length;
        select(matches[cursor]);
      } else if (e.key === 'Escape') {
        search.value = '';
        runSearch('');
      }
    });
  }

  apply();
  return {
    select: (id) => select(id),
    search: runSearch,
    zoom: (factor) => zoomAt(factor, view.x + view.w / 2, view.y + view.h / 2),
    fit,
    fitWidth,
    get selected() {
      return selected;
    },
  };
}
