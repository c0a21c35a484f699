/**
 * Perceptual colour maps for feature maps (viridis) and heatmaps (turbo), as anchor colours
 * interpolated linearly: plenty for 8-bit output, and no dependency.
 */
export type Colormap = 'viridis' | 'turbo' | 'gray';

const ANCHORS: Record<Exclude<Colormap, 'gray'>, string[]> = {
  // matplotlib's viridis at 10 even steps.
  viridis: ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'],
  // Google's turbo at 15 even steps.
  turbo: [
    '#30123b',
    '#4145ab',
    '#4675ed',
    '#39a2fc',
    '#1bcfd4',
    '#24eca6',
    '#61fc6c',
    '#a4fc3b',
    '#d1e834',
    '#f3c63a',
    '#fe9b2d',
    '#f36315',
    '#d93806',
    '#b11901',
    '#7a0402',
  ],
};

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

const tables = new Map<Colormap, Uint8Array>();

/** 256 RGB triples (768 bytes) of a colour map. */
export function colormapTable(name: Colormap): Uint8Array {
  let table = tables.get(name);
  if (table) return table;
  table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    if (name === 'gray') {
      table.fill(i, i * 3, i * 3 + 3);
      continue;
    }
    const anchors = ANCHORS[name].map(rgb);
    const t = (i / 255) * (anchors.length - 1);
    const k = Math.min(anchors.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) table[i * 3 + c] = Math.round(anchors[k][c] * (1 - f) + anchors[k + 1][c] * f);
  }
  tables.set(name, table);
  return table;
}
