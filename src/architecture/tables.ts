/**
 * MobileNetV3 as data: the paper's Table 1 (Large) and Table 2 (Small).
 *
 * This is the single description of the network. Every flavour (Keras, blog), every view
 * (summary, table, diagrams) and every transform (weights, ONNX) derives from these rows
 * through `resolveArchitecture` and the builder; nothing else lists blocks or channels.
 */

/** Non-linearity as the paper writes it: RE = ReLU, HS = hard-swish. */
export type Nonlinearity = 'RE' | 'HS';

/** One bneck row: `kernel` depthwise size, `exp` expansion width, `out` output channels. */
export interface BneckRow {
  readonly kernel: 3 | 5;
  readonly exp: number;
  readonly out: number;
  readonly se: boolean;
  readonly nl: Nonlinearity;
  readonly stride: 1 | 2;
}

export interface ArchitectureTable {
  readonly name: 'large' | 'small';
  /** Stem: the paper's first row, a plain conv2d (3x3, stride 2, 16 channels, hard-swish). */
  readonly stem: { readonly kernel: 3 | 5; readonly out: number; readonly nl: Nonlinearity; readonly stride: 1 | 2 };
  readonly blocks: readonly BneckRow[];
  /** Head conv2d 1x1 width = `headExpansion` x last block's output (960 Large, 576 Small). */
  readonly headExpansion: number;
  /** Width of the 1x1 "NBN" conv after pooling (1280 Large, 1024 Small). */
  readonly lastPointChannels: number;
}

/** Compact row constructor, read like the paper: bneck(k, exp, out, SE, NL, s). */
function bneck(kernel: 3 | 5, exp: number, out: number, se: 'SE' | '-', nl: Nonlinearity, stride: 1 | 2): BneckRow {
  return { kernel, exp, out, se: se === 'SE', nl, stride };
}

/** Howard et al. 2019, Table 1. */
export const LARGE: ArchitectureTable = {
  name: 'large',
  stem: { kernel: 3, out: 16, nl: 'HS', stride: 2 },
  blocks: [
    bneck(3, 16, 16, '-', 'RE', 1),
    bneck(3, 64, 24, '-', 'RE', 2),
    bneck(3, 72, 24, '-', 'RE', 1),
    bneck(5, 72, 40, 'SE', 'RE', 2),
    bneck(5, 120, 40, 'SE', 'RE', 1),
    bneck(5, 120, 40, 'SE', 'RE', 1),
    bneck(3, 240, 80, '-', 'HS', 2),
    bneck(3, 200, 80, '-', 'HS', 1),
    bneck(3, 184, 80, '-', 'HS', 1),
    bneck(3, 184, 80, '-', 'HS', 1),
    bneck(3, 480, 112, 'SE', 'HS', 1),
    bneck(3, 672, 112, 'SE', 'HS', 1),
    bneck(5, 672, 160, 'SE', 'HS', 2),
    bneck(5, 960, 160, 'SE', 'HS', 1),
    bneck(5, 960, 160, 'SE', 'HS', 1),
  ],
  headExpansion: 6,
  lastPointChannels: 1280,
};

/** Howard et al. 2019, Table 2 (head without the SE the paper draws on its conv 1x1, as Keras builds it). */
export const SMALL: ArchitectureTable = {
  name: 'small',
  stem: { kernel: 3, out: 16, nl: 'HS', stride: 2 },
  blocks: [
    bneck(3, 16, 16, 'SE', 'RE', 2),
    bneck(3, 72, 24, '-', 'RE', 2),
    bneck(3, 88, 24, '-', 'RE', 1),
    bneck(5, 96, 40, 'SE', 'HS', 2),
    bneck(5, 240, 40, 'SE', 'HS', 1),
    bneck(5, 240, 40, 'SE', 'HS', 1),
    bneck(5, 120, 48, 'SE', 'HS', 1),
    bneck(5, 144, 48, 'SE', 'HS', 1),
    bneck(5, 288, 96, 'SE', 'HS', 2),
    bneck(5, 576, 96, 'SE', 'HS', 1),
    bneck(5, 576, 96, 'SE', 'HS', 1),
  ],
  headExpansion: 6,
  lastPointChannels: 1024,
};

export const ARCHITECTURES = { large: LARGE, small: SMALL } as const;
export type ArchName = keyof typeof ARCHITECTURES;

/** Every arch name, the default first (options, CLI choices, weights inference and the page use it). */
export const ARCH_NAMES = Object.keys(ARCHITECTURES) as ArchName[];
