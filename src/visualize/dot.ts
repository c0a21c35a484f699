/**
 * The graph as Graphviz DOT: HTML-like labels (Keras plot_model tables in layers mode, the
 * paper's wording in blocks mode), colours by kind with a legend, residual shortcuts dashed,
 * tensor shapes on edges. Pure string work, browser-safe.
 */
import { formatShape } from '../inspect/format.js';
import { compactShape, KIND_COLORS, nodeFacts, type GraphNode, type NetworkGraph } from './graph.js';
import { escapeMarkup } from './markup.js';

export type Rankdir = 'TB' | 'LR';

export interface DotOptions {
  rankdir?: Rankdir;
  /** Tensor shapes on edges (blocks) or in nodes (layers). Default true. */
  shapes?: boolean;
}

const FONT = 'DejaVu Sans';
const RESIDUAL_COLOR = '#e8590c';

/** Escape text for an HTML-like label. */
const html = escapeMarkup;
/** Quote a DOT string (ids, attributes). */
const quote = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (k === 'label' && typeof v === 'string' && v.startsWith('<') ? `${k}=${v}` : `${k}=${quote(String(v))}`))
    .join(', ');
}

/** The SVG element id Graphviz gives a node: the page finds nodes by it. */
export const svgNodeId = (nodeId: string): string => `node-${nodeId}`;

function blockLabel(node: GraphNode): string {
  const rows = [`<TR><TD><B>${html(node.title)}</B></TD></TR>`, ...node.lines.map((l) => `<TR><TD>${html(l)}</TD></TR>`)];
  return `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">${rows.join('')}</TABLE>>`;
}

function layerLabel(node: GraphNode, shapes: boolean): string {
  const color = KIND_COLORS[node.kind];
  const head = `<TR><TD COLSPAN="2" BGCOLOR="${color}"><B>${html(node.title)}</B> (${html(node.lines[0] ?? '')})</TD></TR>`;
  if (!shapes) return `<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">${head}</TABLE>>`;
  const input = node.inputShapes.map(formatShape).join('<BR/>');
  const rows = [
    head,
    '<TR><TD><FONT POINT-SIZE="10">Input shape</FONT></TD><TD><FONT POINT-SIZE="10">Output shape</FONT></TD></TR>',
    `<TR><TD>${html(input).replace(/&lt;BR\/&gt;/g, '<BR/>')}</TD><TD>${html(formatShape(node.outputShape))}</TD></TR>`,
  ];
  return `<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">${rows.join('')}</TABLE>>`;
}

/**
 * The graph's label: the title (with totals) and the legend beneath it as rows of swatches. Kept
 * out of the layout, so the legend never pushes nodes apart.
 */
function titleLabel(graph: NetworkGraph): string {
  const entries = graph.legend.map((e) => {
    const border = e.kind === 'add' || e.kind === 'merge' ? ' BORDER="1" COLOR="#495057"' : '';
    return `<TD BGCOLOR="${KIND_COLORS[e.kind]}" FIXEDSIZE="TRUE" WIDTH="16" HEIGHT="11"${border}> </TD><TD ALIGN="LEFT"><FONT POINT-SIZE="10">${html(e.label)}</FONT></TD>`;
  });
  if (graph.edges.some((e) => e.residual)) {
    entries.push(
      `<TD><FONT COLOR="${RESIDUAL_COLOR}">- - -</FONT></TD><TD ALIGN="LEFT"><FONT POINT-SIZE="10">identity shortcut</FONT></TD>`,
    );
  }
  const perRow = 4;
  const rows: string[] = [];
  for (let i = 0; i < entries.length; i += perRow) rows.push(`<TR>${entries.slice(i, i + perRow).join('<TD WIDTH="10"> </TD>')}</TR>`);
  const legend = `<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">${rows.join('')}</TABLE>`;
  return `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD><FONT POINT-SIZE="16">${html(graph.title)}</FONT></TD></TR><TR><TD>${legend}</TD></TR></TABLE>>`;
}

function tooltip(node: GraphNode): string {
  return [node.title, ...nodeFacts(node).map(([k, v]) => `${k}: ${v}`)].join('\n');
}

/** The DOT source of a graph. */
export function toDot(graph: NetworkGraph, options: DotOptions = {}): string {
  const rankdir = options.rankdir ?? 'TB';
  const shapes = options.shapes ?? true;
  const blocks = graph.detail === 'blocks';
  const out: string[] = [];
  out.push(`digraph ${quote(graph.name)} {`);
  out.push(
    `  graph [${attrs({
      rankdir,
      label: titleLabel(graph),
      labelloc: 't',
      fontname: FONT,
      fontsize: 16,
      nodesep: blocks ? 0.35 : 0.25,
      ranksep: blocks ? 0.3 : 0.25,
      bgcolor: 'white',
      pad: 0.3,
    })}];`,
  );
  out.push(`  node [${attrs({ fontname: FONT, fontsize: 11, penwidth: 1, color: '#495057' })}];`);
  out.push(`  edge [${attrs({ fontname: FONT, fontsize: 9, color: '#495057', arrowsize: 0.6 })}];`);
  for (const node of graph.nodes) {
    const common = { id: svgNodeId(node.id), class: `kind-${node.kind}`, tooltip: tooltip(node) };
    if (node.kind === 'add') {
      out.push(
        `  ${quote(node.id)} [${attrs({ ...common, shape: 'circle', label: '+', width: 0.28, fixedsize: 'true', fontsize: 14, style: 'filled', fillcolor: 'white', color: RESIDUAL_COLOR })}];`,
      );
    } else if (blocks) {
      out.push(
        `  ${quote(node.id)} [${attrs({ ...common, shape: 'box', style: 'rounded,filled', fillcolor: KIND_COLORS[node.kind], margin: '0.12,0.04', label: blockLabel(node) })}];`,
      );
    } else {
      out.push(`  ${quote(node.id)} [${attrs({ ...common, shape: 'plain', label: layerLabel(node, shapes) })}];`);
    }
  }
  for (const edge of graph.edges) {
    const label = blocks && shapes ? compactShape(edge.shape) : undefined;
    const style = edge.residual ? { style: 'dashed', color: RESIDUAL_COLOR, fontcolor: RESIDUAL_COLOR, penwidth: 1.3 } : {};
    out.push(`  ${quote(edge.from)} -> ${quote(edge.to)} [${attrs({ label: edge.residual ? undefined : label, ...style })}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
