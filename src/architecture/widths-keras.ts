/** The keras flavour's widths: as keras.applications' MobileNetV3 (its `_depth` rounding). */
import { makeDivisible } from './depth.js';
import type { WidthRules } from './widths.js';

export const kerasWidths: WidthRules = {
  relu: 'relu',
  block(row, index, inChannels, tableIn, alpha) {
    // Keras scales widths by alpha and expands by the table's ratio exp/in of the *actual* input;
    // its first block has no expansion conv.
    const outChannels = makeDivisible(row.out * alpha);
    const expandChannels = index === 0 ? null : makeDivisible(inChannels * (row.exp / tableIn));
    const hidden = expandChannels ?? inChannels;
    return {
      expandChannels,
      outChannels,
      seChannels: row.se ? makeDivisible(hidden * 0.25) : null,
      residual: row.stride === 1 && inChannels === outChannels,
    };
  },
  headChannels: (inChannels, _lastTableOut, table) => makeDivisible(inChannels * table.headExpansion),
  // Keras widens the last point conv only for alpha > 1.
  lastPointChannels: (table, alpha) => (alpha > 1 ? makeDivisible(table.lastPointChannels * alpha) : table.lastPointChannels),
};
