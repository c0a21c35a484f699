/** Text renderings of a ModelSummary: Keras 3's `model.summary()` box layout plus a MACs column. */
import type { LayerSummary, ModelSummary } from './summary.js';

export const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Keras `readable_memory_size` (1024-based, two decimals). */
export function readableBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  for (const unit of units) {
    if (value / 1024 < 1) return `${value.toFixed(2)} ${unit}`;
    value /= 1024;
  }
  return `${value.toFixed(2)} PB`;
}

/** 216592536 -> "216.59 M". */
export function readableCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(n);
}

export const formatShape = (shape: (number | null)[]): string =>
  `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;

/** Break text into lines of at most `width`, preferring breaks after ' ', '_' or ','. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const window = rest.slice(0, width);
    const cut = Math.max(window.lastIndexOf(' '), window.lastIndexOf('_'), window.lastIndexOf(','));
    const at = cut > width / 3 ? cut + 1 : width;
    lines.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  lines.push(rest);
  return lines;
}

interface Column {
  title: string;
  align: 'left' | 'right';
  cells: (l: LayerSummary) => string[];
}

// Widths as Keras 3 keeps them narrow enough for a terminal: long names wrap inside the cell.
const COLUMNS: Column[] = [
  { title: 'Layer (type)', align: 'left', cells: (l) => [...wrap(l.name, 34), `(${l.type})`] },
  { title: 'Output Shape', align: 'left', cells: (l) => wrap(formatShape(l.outputShape), 20) },
  { title: 'Param #', align: 'right', cells: (l) => [thousands(l.params)] },
  { title: 'MACs', align: 'right', cells: (l) => [thousands(l.macs)] },
  { title: 'Connected to', align: 'left', cells: (l) => (l.inbound.length ? l.inbound.flatMap((n) => wrap(`${n}[0][0]`, 30)) : ['-']) },
];

/** The summary as Keras 3 prints it (box-drawing table), one line per inbound connection. */
export function formatSummary(s: ModelSummary): string {
  const rows = s.layers.map((l) => COLUMNS.map((c) => c.cells(l)));
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...rows.flatMap((r) => r[i].map((t) => t.length))));
  const pad = (text: string, i: number): string => (COLUMNS[i].align === 'left' ? text.padEnd(widths[i]) : text.padStart(widths[i]));
  const rule = (l: string, m: string, r: string, h: string): string => l + widths.map((w) => h.repeat(w + 2)).join(m) + r;
  const line = (cells: string[]): string => '│' + cells.map((t, i) => ` ${pad(t, i)} `).join('│') + '│';

  const out: string[] = [`Model: "${s.name}"`];
  out.push(rule('┏', '┳', '┓', '━'));
  out.push('┃' + COLUMNS.map((c, i) => ` ${pad(c.title, i)} `).join('┃') + '┃');
  out.push(rule('┡', '╇', '┩', '━'));
  rows.forEach((cells, r) => {
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(cells.map((c) => c[k] ?? '')));
    if (r < rows.length - 1) out.push(rule('├', '┼', '┤', '─'));
  });
  out.push(rule('└', '┴', '┘', '─'));
  out.push(` Total params: ${thousands(s.totalParams)} (${readableBytes(s.totalParams * 4)})`);
  out.push(` Trainable params: ${thousands(s.trainableParams)} (${readableBytes(s.trainableParams * 4)})`);
  out.push(` Non-trainable params: ${thousands(s.nonTrainableParams)} (${readableBytes(s.nonTrainableParams * 4)})`);
  out.push(` Total MACs: ${thousands(s.macs)} (${readableCount(s.macs)})`);
  return out.join('\n');
}
