/**
 * `plotModel`: the model as a picture, chosen by the output's extension: .dot (Graphviz source),
 * .svg (laid out with Graphviz WASM), .png (the SVG rasterised by sharp) or .html (interactive
 * page). Written atomically.
 */
import { extname } from 'node:path';
import type * as tf from '../runtime/tf.js';
import { writeFileAtomic } from '../io/atomic.js';
import { toDot, type Rankdir } from './dot.js';
import { networkGraph, type Detail, type NetworkGraph } from './graph.js';
import { graphPage } from './html.js';
import { dotToSvg, svgToPng } from './render.js';

export const PLOT_FORMATS = ['svg', 'png', 'dot', 'html'] as const;
export type PlotFormat = (typeof PLOT_FORMATS)[number];

export interface PlotOptions {
  detail?: Detail;
  rankdir?: Rankdir;
  /** Tensor shapes on edges (blocks) / in nodes (layers). Default true. */
  shapes?: boolean;
  /** Overrides the format implied by the file extension. */
  format?: PlotFormat;
  /** PNG pixel density (72 = 1 px per point). Default 144. */
  density?: number;
}

export class PlotFormatError extends Error {
  override name = 'PlotFormatError';
}

export function plotFormatOf(path: string): PlotFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if ((PLOT_FORMATS as readonly string[]).includes(ext)) return ext as PlotFormat;
  throw new PlotFormatError(
    `cannot tell the picture format from "${path}": use a file ending in ${PLOT_FORMATS.map((f) => `.${f}`).join(', ')}`,
  );
}

/** Render a graph to the bytes/text of one format. */
export async function renderGraph(graph: NetworkGraph, format: PlotFormat, options: PlotOptions = {}): Promise<string | Buffer> {
  const dot = toDot(graph, { rankdir: options.rankdir, shapes: options.shapes });
  if (format === 'dot') return dot;
  const svg = await dotToSvg(dot);
  if (format === 'svg') return svg;
  if (format === 'png') return svgToPng(svg, { density: options.density });
  return graphPage(graph, svg);
}

/**
 * Draw a model into `output` (format from the extension unless `options.format`). Returns the graph drawn.
 *
 * @example
 * ```ts
 * import { buildModel, plotModel } from 'mobilenetv3';
 * await plotModel(buildModel({ arch: 'small' }), 'small.svg', { detail: 'blocks' }); // .png, .dot, .html too
 * ```
 */
export async function plotModel(model: tf.LayersModel, output: string, options: PlotOptions = {}): Promise<NetworkGraph> {
  const format = options.format ?? plotFormatOf(output);
  const graph = networkGraph(model, { detail: options.detail });
  await writeFileAtomic(output, await renderGraph(graph, format, options));
  return graph;
}
