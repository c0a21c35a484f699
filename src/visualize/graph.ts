/**
 * The network as a graph: nodes (one per layer, or one per stem/bneck/head block), edges with the
 * tensor shapes they carry, and per-node details (config, weight shapes, params, MACs).
 *
 * This is the one graph model behind every picture: the DOT writer (dot.ts) lays it out, and the
 * interactive page (page/viewer.ts) shows its details. It is plain JSON once built, and the module
 * only reads TF.js layer objects (type imports, no Node APIs), so it runs in the browser too:
 *
 *   import { networkGraph } from 'mobilenetv3/src/visualize/graph.js';
 *   const graph = networkGraph(buildModel({ arch: 'small' }), { detail: 'blocks' });
 *   JSON.stringify(graph); // what plot's .html embeds
 */
import type * as tf from '../runtime/tf.js';
import { readMetadata, type BlockInfo } from '../architecture/blocks.js';
import { formatShape, readableCount, thousands } from '../inspect/format.js';
import { summarize } from '../inspect/summary.js';
import { configOf, inputShapesOf, outputShapeOf, type Shape } from './layer-info.js';
import { architectureTable, formatInput, NoBlockMapError, rowCells, TABLE_HEADER, type TableRow } from './table.js';

export type Detail = 'blocks' | 'layers';

/** Colour groups; blocks mode uses the first row, layers mode the second (plus input/add). */
export type NodeKind =
  | 'input'
  | 'stem'
  | 'bneck-re'
  | 'bneck-hs'
  | 'head'
  | 'classifier'
  | 'pooling'
  | 'add'
  | 'conv'
  | 'depthwise'
  | 'norm'
  | 'activation'
  | 'global-pool'
  | 'merge'
  | 'reshape';

export interface WeightInfo {
  /** Keras-style path, e.g. "expanded_conv_1_expand/kernel". */
  readonly name: string;
  readonly shape: number[];
  readonly trainable: boolean;
}

export interface LayerDetail {
  readonly name: string;
  readonly type: string;
  readonly outputShape: Shape;
  readonly params: number;
  readonly macs: number;
}

export interface GraphNode {
  /** Unique id, safe in DOT and as an HTML id. */
  readonly id: string;
  readonly kind: NodeKind;
  /** First label line (bold in pictures). */
  readonly title: string;
  /** Further label lines. */
  readonly lines: string[];
  readonly inputShapes: Shape[];
  readonly outputShape: Shape;
  readonly params: number;
  readonly macs: number;
  /** Layer names this node stands for (one in layers mode). */
  readonly layers: LayerDetail[];
  /** Block config (blocks mode) or the layer's TF.js config without initialisers (layers mode). */
  readonly config: Record<string, unknown>;
  readonly weights: WeightInfo[];
  /** Block id the node belongs to (its own id in blocks mode). */
  readonly block: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Shape of the tensor on the edge (batch as null). */
  readonly shape: Shape;
  /** A residual (identity shortcut) connection into an Add. */
  readonly residual: boolean;
}

export interface LegendEntry {
  readonly kind: NodeKind;
  readonly label: string;
}

export interface NetworkGraph {
  readonly name: string;
  readonly detail: Detail;
  /** One-line description, e.g. "MobileNetV3Small · 2.55 M params · 60.05 M MACs". */
  readonly title: string;
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly legend: LegendEntry[];
  readonly totals: { readonly params: number; readonly trainableParams: number; readonly macs: number; readonly layers: number };
  /** The architecture table rows (blocks mode labels come from them). */
  readonly table: TableRow[];
}

/** Fill colours per kind (pastel, readable with black text; used by DOT and the page). */
export const KIND_COLORS: Record<NodeKind, string> = {
  input: '#e9ecef',
  stem: '#ffd8a8',
  'bneck-re': '#a5d8ff',
  'bneck-hs': '#b2f2bb',
  head: '#fcc2d7',
  classifier: '#d0bfff',
  pooling: '#d0bfff',
  add: '#ffffff',
  conv: '#a5d8ff',
  depthwise: '#99e9f2',
  norm: '#e9ecef',
  activation: '#ffec99',
  'global-pool': '#d0bfff',
  merge: '#ffffff',
  reshape: '#f1f3f5',
};

const LAYER_KINDS: Record<string, NodeKind> = {
  InputLayer: 'input',
  Conv2D: 'conv',
  Dense: 'conv',
  DepthwiseConv2D: 'depthwise',
  BatchNormalization: 'norm',
  ReLU: 'activation',
  HardSwish: 'activation',
  HardSigmoid: 'activation',
  Activation: 'activation',
  GlobalAveragePooling2D: 'global-pool',
  GlobalMaxPooling2D: 'global-pool',
  Add: 'merge',
  Multiply: 'merge',
};

const LEGENDS: Record<Detail, LegendEntry[]> = {
  blocks: [
    { kind: 'stem', label: 'stem: conv2d 3x3' },
    { kind: 'bneck-re', label: 'bneck, ReLU' },
    { kind: 'bneck-hs', label: 'bneck, hard-swish' },
    { kind: 'add', label: 'residual add' },
    { kind: 'head', label: 'head: conv2d 1x1' },
    { kind: 'classifier', label: 'pool + classifier' },
  ],
  layers: [
    { kind: 'conv', label: 'Conv2D / Dense' },
    { kind: 'depthwise', label: 'DepthwiseConv2D' },
    { kind: 'norm', label: 'BatchNormalization' },
    { kind: 'activation', label: 'activation' },
    { kind: 'global-pool', label: 'global pooling' },
    { kind: 'merge', label: 'Add / Multiply' },
    { kind: 'reshape', label: 'other' },
  ],
};

/** "56×56×24" (no batch) for compact edge labels. */
export const compactShape = (shape: Shape): string => shape.slice(1).join('×');

const NOISY_CONFIG = /Initializer$|Regularizer$|Constraint$/;

function layerConfig(layer: tf.layers.Layer): Record<string, unknown> {
  return Object.fromEntries(Object.entries(configOf(layer)).filter(([k]) => !NOISY_CONFIG.test(k)));
}

function weightsOf(layer: tf.layers.Layer): WeightInfo[] {
  return layer.weights.map((w) => ({ name: w.originalName ?? w.name, shape: [...w.shape] as number[], trainable: w.trainable }));
}

const arrow = '→';

/** Label lines of a block, worded like the paper's table row(s). */
function blockLabel(block: BlockInfo, rows: TableRow[]): { title: string; lines: string[]; kind: NodeKind } {
  const row = rows[0];
  switch (block.kind) {
    case 'stem':
      return { kind: 'stem', title: `stem · ${row.operator}`, lines: [`${row.out} ch · ${row.nl} · s${row.stride}`] };
    case 'bneck': {
      const extras = [row.se ? 'SE' : null, row.nl, `s${row.stride}`].filter(Boolean).join(' · ');
      return {
        kind: row.nl === 'HS' ? 'bneck-hs' : 'bneck-re',
        title: `${block.id} · ${row.operator.replace('bneck, ', 'bneck ')}`,
        lines: [`${row.input[2]} ${arrow} ${row.exp} ${arrow} ${row.out}`, extras],
      };
    }
    case 'head':
      return { kind: 'head', title: `head · ${row.operator}`, lines: [`${row.out} ch · ${row.nl} · s${row.stride}`] };
    case 'classifier':
    case 'pooling':
      return {
        kind: block.kind,
        title: block.kind === 'classifier' ? 'classifier' : 'pooling',
        lines: rows.map((r) => (r.out === null ? r.operator : `${r.operator} ${arrow} ${r.out}${r.nl ? ` · ${r.nl}` : ''}`)),
      };
    default:
      return { kind: 'input', title: 'input', lines: [] };
  }
}

export interface GraphOptions {
  detail?: Detail;
}

/** Build the graph of a model made by `buildModel` (or loaded with its block map). */
export function networkGraph(model: tf.LayersModel, options: GraphOptions = {}): NetworkGraph {
  const detail = options.detail ?? 'blocks';
  const metadata = readMetadata(model);
  if (!metadata) throw new NoBlockMapError();
  const summary = summarize(model);
  const table = architectureTable(model).rows;
  const byLayer = new Map(summary.layers.map((l) => [l.name, l]));
  const blockOfLayer = new Map<string, string>();
  for (const b of metadata.blocks) for (const name of b.layers) blockOfLayer.set(name, b.id);

  const detailOf = (layer: tf.layers.Layer): LayerDetail => {
    const s = byLayer.get(layer.name);
    return { name: layer.name, type: layer.getClassName(), outputShape: outputShapeOf(layer), params: s?.params ?? 0, macs: s?.macs ?? 0 };
  };

  // Which node each layer belongs to.
  const nodeOfLayer = new Map<string, string>();
  const nodes: GraphNode[] = [];
  if (detail === 'layers') {
    for (const layer of model.layers) {
      const type = layer.getClassName();
      const d = detailOf(layer);
      nodeOfLayer.set(layer.name, layer.name);
      nodes.push({
        id: layer.name,
        kind: LAYER_KINDS[type] ?? 'reshape',
        title: layer.name,
        lines: [type],
        inputShapes: type === 'InputLayer' ? [d.outputShape] : inputShapesOf(layer),
        outputShape: d.outputShape,
        params: d.params,
        macs: d.macs,
        layers: [d],
        config: layerConfig(layer),
        weights: weightsOf(layer),
        block: blockOfLayer.get(layer.name) ?? '',
      });
    }
  } else {
    for (const block of metadata.blocks) {
      const layers = block.layers.map((n) => model.getLayer(n));
      // The residual Add gets its own small node, so the shortcut is drawn as what it is.
      const add = block.residual ? layers.find((l) => l.getClassName() === 'Add') : undefined;
      const body = layers.filter((l) => l !== add);
      const rows = table.filter((r) => r.block === block.id);
      const label = blockLabel(block, rows);
      const details = body.map(detailOf);
      const { layers: _names, ...config } = block;
      const first = body[0];
      nodes.push({
        id: block.id,
        kind: label.kind,
        title: label.title,
        lines: label.lines,
        inputShapes: block.kind === 'input' ? [outputShapeOf(first)] : inputShapesOf(first),
        outputShape: outputShapeOf(body[body.length - 1]),
        params: details.reduce((n, l) => n + l.params, 0),
        macs: details.reduce((n, l) => n + l.macs, 0),
        layers: details,
        config: {
          ...config,
          ...(rows.length ? { table: rows.map((r) => Object.fromEntries(TABLE_HEADER.map((h, i) => [h, rowCells(r)[i]]))) } : {}),
        },
        weights: body.flatMap(weightsOf),
        block: block.id,
      });
      for (const l of body) nodeOfLayer.set(l.name, block.id);
      if (add) {
        const d = detailOf(add);
        const id = `${block.id}_add`;
        nodeOfLayer.set(add.name, id);
        nodes.push({
          id,
          kind: 'add',
          title: '+',
          lines: [],
          inputShapes: inputShapesOf(add),
          outputShape: d.outputShape,
          params: 0,
          macs: 0,
          layers: [d],
          config: { residual: true, layer: add.name },
          weights: [],
          block: block.id,
        });
      }
    }
  }

  // Edges from the layers' inbound connections, merged per node pair.
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const layer of model.layers) {
    const node = layer.inboundNodes[0];
    if (!node) continue;
    const to = nodeOfLayer.get(layer.name);
    for (const source of node.inboundLayers) {
      const from = nodeOfLayer.get(source.name);
      if (!from || !to || from === to) continue;
      const key = `${from}->${to}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const residual = layer.getClassName() === 'Add' && blockOfLayer.get(source.name) !== blockOfLayer.get(layer.name);
      edges.push({ from, to, shape: outputShapeOf(source), residual });
    }
  }

  const o = metadata.options;
  const [h, w] = o.inputShape;
  const params = summary.totalParams;
  const title =
    `${model.name} (${o.flavor}, alpha ${o.alpha}${o.minimalistic ? ', minimalistic' : ''}, ${formatInput([h, w, 3])} input) · ` +
    `${readableCount(params)} params · ${readableCount(summary.macs)} MACs`;
  return {
    name: model.name,
    detail,
    title,
    nodes,
    edges,
    legend: LEGENDS[detail],
    totals: { params, trainableParams: summary.trainableParams, macs: summary.macs, layers: model.layers.length },
    table,
  };
}

/** Rows of the side panel / tooltip for one node: [label, value]. */
export function nodeFacts(node: GraphNode): [string, string][] {
  const facts: [string, string][] = [
    ['input', node.inputShapes.map(formatShape).join(', ')],
    ['output', formatShape(node.outputShape)],
    ['params', thousands(node.params)],
    ['MACs', `${thousands(node.macs)}${node.macs >= 1000 ? ` (${readableCount(node.macs)})` : ''}`],
  ];
  if (node.layers.length > 1) facts.push(['layers', String(node.layers.length)]);
  return facts;
}
