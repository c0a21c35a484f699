/** The blog flavour's widths: exactly what the blog post's Keras 2 code computes. */
import type { WidthRules } from './widths.js';

export const blogWidths: WidthRules = {
  relu: 'relu6',
  block(row, _index, inChannels, _tableIn, alpha) {
    // Absolute expansion widths, int(alpha * out), Dense SE of int(c / 4), and a residual test
    // against the unscaled table width (as its `bottleneck` does).
    return {
      expandChannels: row.exp,
      outChannels: Math.trunc(alpha * row.out),
      seChannels: row.se ? Math.trunc(row.exp / 4) : null,
      residual: row.stride === 1 && inChannels === row.out,
    };
  },
  headChannels: (_inChannels, lastTableOut, table) => lastTableOut * table.headExpansion,
  lastPointChannels: (table) => table.lastPointChannels,
};
