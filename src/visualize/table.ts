/**
 * The paper's Table 1 / Table 2 (Input | Operator | exp size | #out | SE | NL | s), read back
 * from a built model: shapes from the layers, grouping from the block map in its metadata.
 * Nothing here looks at tables.ts, so the table shows what was actually built (any arch,
 * flavour, alpha, minimalistic, input size), and a test against the paper checks the builder.
 */
import type * as tf from '../runtime/tf.js';
import { readMetadata, type BlockInfo } from '../architecture/blocks.js';
import {
  channelsOf,
  configOf,
  inputShapeOf,
  isConvLike,
  isGlobalPooling,
  nonlinearityOf,
  outputShapeOf,
  pairOf,
  type PaperNonlinearity,
  type Shape,
} from './layer-info.js';
import { escapeMarkup } from './markup.js';

export interface TableRow {
  /** Block id in the model's block map (stem, expanded_conv_3, head, classifier, ...). */
  readonly block: string;
  /** Input tensor of the row: [height, width, channels]. */
  readonly input: [number, number, number];
  /** As the paper writes it: "conv2d, 3x3", "bneck, 5x5", "pool, 7x7", "conv2d 1x1, NBN". */
  readonly operator: string;
  /** Expansion width (channels the depthwise conv works on); null where the paper has "-". */
  readonly exp: number | null;
  readonly out: number | null;
  readonly se: boolean;
  readonly nl: PaperNonlinearity | null;
  readonly stride: number;
}

export interface ArchitectureTableView {
  readonly name: string;
  readonly rows: TableRow[];
}

/** The model has no block map (not built by this package, or saved without metadata). */
export class NoBlockMapError extends Error {
  override name = 'NoBlockMapError';
  constructor() {
    super('this model has no MobileNetV3 block map: build it with buildModel() or load a model saved from one');
  }
}

function hwc(shape: Shape): [number, number, number] {
  if (shape.length === 4) return [shape[1] as number, shape[2] as number, shape[3] as number];
  return [1, 1, channelsOf(shape)];
}

const kernelText = ([h, w]: [number, number]): string => `${h}x${w}`;

function firstNonlinearity(layers: tf.layers.Layer[]): PaperNonlinearity | null {
  for (const layer of layers) {
    const nl = nonlinearityOf(layer);
    if (nl) return nl;
  }
  return null;
}

function convRow(block: BlockInfo, layers: tf.layers.Layer[]): TableRow {
  const conv = layers.find((l) => l.getClassName() === 'Conv2D');
  if (!conv) throw new Error(`block ${block.id} has no Conv2D layer`);
  const c = configOf(conv);
  return {
    block: block.id,
    input: hwc(inputShapeOf(layers[0])),
    operator: `conv2d, ${kernelText(pairOf(c.kernelSize))}`,
    exp: null,
    out: c.filters as number,
    se: layers.some((l) => l.getClassName() === 'Multiply'),
    nl: firstNonlinearity(layers),
    stride: pairOf(c.strides)[0],
  };
}

function bneckRow(block: BlockInfo, layers: tf.layers.Layer[]): TableRow {
  const depthwise = layers.find((l) => l.getClassName() === 'DepthwiseConv2D');
  if (!depthwise) throw new Error(`block ${block.id} has no DepthwiseConv2D layer`);
  const c = configOf(depthwise);
  return {
    block: block.id,
    input: hwc(inputShapeOf(layers[0])),
    operator: `bneck, ${kernelText(pairOf(c.kernelSize))}`,
    exp: channelsOf(outputShapeOf(depthwise)),
    out: channelsOf(outputShapeOf(layers[layers.length - 1])),
    se: layers.some((l) => l.getClassName() === 'Multiply'),
    nl: firstNonlinearity(layers),
    stride: pairOf(c.strides)[0],
  };
}

/** Global pooling, then 1x1 convs (or Dense) each with the activation that follows it. */
function topRows(block: BlockInfo, layers: tf.layers.Layer[]): TableRow[] {
  const rows: TableRow[] = [];
  layers.forEach((layer, i) => {
    if (isGlobalPooling(layer)) {
      const input = inputShapeOf(layer);
      rows.push({
        block: block.id,
        input: hwc(input),
        operator: `pool, ${input[1]}x${input[2]}`,
        exp: null,
        out: null,
        se: false,
        nl: null,
        stride: 1,
      });
    } else if (isConvLike(layer)) {
      const next = layers.slice(i + 1);
      const until = next.findIndex(isConvLike);
      const following = until < 0 ? next : next.slice(0, until);
      const hasBatchNorm = following.some((l) => l.getClassName() === 'BatchNormalization');
      const kernel = layer.getClassName() === 'Dense' ? ([1, 1] as [number, number]) : pairOf(configOf(layer).kernelSize);
      rows.push({
        block: block.id,
        input: hwc(inputShapeOf(layer)),
        operator: `conv2d ${kernelText(kernel)}${hasBatchNorm ? '' : ', NBN'}`,
        exp: null,
        out: channelsOf(outputShapeOf(layer)),
        se: false,
        nl: nonlinearityOf(layer) ?? firstNonlinearity(following),
        stride: 1,
      });
    }
  });
  return rows;
}

/** The architecture table of a model built by `buildModel` (or loaded from one saved with its metadata). */
export function architectureTable(model: tf.LayersModel): ArchitectureTableView {
  const metadata = readMetadata(model);
  if (!metadata) throw new NoBlockMapError();
  const rows: TableRow[] = [];
  for (const block of metadata.blocks) {
    const layers = block.layers.map((name) => model.getLayer(name));
    if (block.kind === 'stem' || block.kind === 'head') rows.push(convRow(block, layers));
    else if (block.kind === 'bneck') rows.push(bneckRow(block, layers));
    else if (block.kind === 'classifier' || block.kind === 'pooling') rows.push(...topRows(block, layers));
  }
  return { name: model.name, rows };
}

export const TABLE_HEADER = ['Input', 'Operator', 'exp size', '#out', 'SE', 'NL', 's'] as const;

/** "224²×3" as the paper writes a square input, "257×311×3" otherwise. */
export function formatInput([h, w, c]: readonly [number, number, number]): string {
  return h === w ? `${h}²×${c}` : `${h}×${w}×${c}`;
}

/** One row as the paper's cells ("-" for empty, ✓ for SE). */
export function rowCells(row: TableRow): string[] {
  const dash = (v: number | string | null): string => (v === null ? '-' : String(v));
  return [formatInput(row.input), row.operator, dash(row.exp), dash(row.out), row.se ? '✓' : '-', dash(row.nl), String(row.stride)];
}

/** Aligned plain-text table for a terminal. */
export function formatTableText(view: ArchitectureTableView): string {
  const body = view.rows.map(rowCells);
  const all = [[...TABLE_HEADER], ...body];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((t, i) => (i < 2 ? t.padEnd(widths[i]) : t.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [`Model: "${view.name}"`, line(all[0]), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** An HTML <table> (class `mnv3-layers`, styled by the viewer's CSS) for pages. */
export function formatTableHtml(view: ArchitectureTableView): string {
  const rows = view.rows
    .map(
      (r) =>
        `<tr>${rowCells(r)
          .map((c) => `<td>${escapeMarkup(c)}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  return `<table class="mnv3-layers"><thead><tr>${TABLE_HEADER.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** GitHub-flavoured Markdown table. */
export function formatTableMarkdown(view: ArchitectureTableView): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const align = `| ${TABLE_HEADER.map((_, i) => (i < 2 ? ':--' : i === 4 || i === 5 ? ':-:' : '--:')).join(' | ')} |`;
  return [line(TABLE_HEADER), align, ...view.rows.map((r) => line(rowCells(r)))].join('\n');
}
