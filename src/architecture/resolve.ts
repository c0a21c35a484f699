import { FLAVOR_WIDTHS } from './flavors.js';
import type { ResolvedOptions } from './options.js';
import { ARCHITECTURES, type ArchitectureTable, type BneckRow, type Nonlinearity } from './tables.js';

/** Activation function as built: Keras uses ReLU, the blog ReLU6 for "RE". */
export type Activation = 'relu' | 'relu6' | 'hswish';

/** A bneck block with every width worked out for the chosen flavour, alpha and minimalism. */
export interface ResolvedBlock {
  readonly index: number;
  readonly inChannels: number;
  /** Width of the 1x1 expansion conv, or null where the flavour skips it (Keras block 0). */
  readonly expandChannels: number | null;
  /** Channels the depthwise conv and SE work on. */
  readonly hiddenChannels: number;
  readonly kernel: number;
  readonly stride: 1 | 2;
  /** Squeeze width of the SE module, or null without SE. */
  readonly seChannels: number | null;
  readonly activation: Activation;
  readonly outChannels: number;
  readonly residual: boolean;
  /** The table row this block comes from (after the minimalistic transform). */
  readonly row: BneckRow;
}

export interface ResolvedArchitecture {
  readonly table: ArchitectureTable;
  readonly stem: { readonly outChannels: number; readonly kernel: number; readonly stride: 1 | 2; readonly activation: Activation };
  readonly blocks: readonly ResolvedBlock[];
  /** The 1x1 conv + BN after the last block (960 / 576 at alpha 1). */
  readonly headConv: { readonly channels: number; readonly activation: Activation };
  /** The 1x1 conv without BN after pooling (1280 / 1024). */
  readonly lastPoint: { readonly channels: number; readonly activation: Activation };
}

/** Minimalistic MobileNetV3: no SE, no hard-swish, no 5x5 (Keras `minimalistic=True`). */
function minimalisticRow(row: BneckRow): BneckRow {
  return { ...row, kernel: 3, se: false, nl: 'RE' };
}

export function resolveArchitecture(o: ResolvedOptions): ResolvedArchitecture {
  const table = ARCHITECTURES[o.arch];
  const rows = o.minimalistic ? table.blocks.map(minimalisticRow) : table.blocks;
  const rules = FLAVOR_WIDTHS[o.flavor];
  const act = (nl: Nonlinearity): Activation => (o.minimalistic || nl === 'RE' ? rules.relu : 'hswish');

  const stem = { outChannels: table.stem.out, kernel: table.stem.kernel, stride: table.stem.stride, activation: act(table.stem.nl) };
  const blocks: ResolvedBlock[] = [];
  let inChannels = stem.outChannels;
  let tableIn = table.stem.out;
  rows.forEach((row, index) => {
    const { expandChannels, outChannels, seChannels, residual } = rules.block(row, index, inChannels, tableIn, o.alpha);
    const hiddenChannels = expandChannels ?? inChannels;
    blocks.push({
      index,
      inChannels,
      expandChannels,
      hiddenChannels,
      kernel: row.kernel,
      stride: row.stride,
      seChannels,
      activation: act(row.nl),
      outChannels,
      residual,
      row,
    });
    inChannels = outChannels;
    tableIn = row.out;
  });

  const headAct = act('HS');
  return {
    table,
    stem,
    blocks,
    headConv: { channels: rules.headChannels(inChannels, rows[rows.length - 1].out, table), activation: headAct },
    lastPoint: { channels: rules.lastPointChannels(table, o.alpha), activation: headAct },
  };
}
