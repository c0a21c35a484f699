/**
 * What a flavour decides about widths: each flavour states its rules next to its layers
 * (widths-keras.ts, widths-blog.ts); resolve.ts applies them to the table rows. No TF.js here.
 */
import type { ArchitectureTable, BneckRow } from './tables.js';

export interface BlockWidths {
  /** Width of the 1x1 expansion conv, or null where the flavour skips it. */
  readonly expandChannels: number | null;
  readonly outChannels: number;
  readonly seChannels: number | null;
  readonly residual: boolean;
}

export interface WidthRules {
  /** The activation the paper's "RE" becomes. */
  readonly relu: 'relu' | 'relu6';
  /**
   * Widths of bneck `index` (a table row) given the actual input width `inChannels` and the
   * table's own output width of the row before (`tableIn`).
   */
  block(row: BneckRow, index: number, inChannels: number, tableIn: number, alpha: number): BlockWidths;
  /** The 1x1 conv after the last block. */
  headChannels(inChannels: number, lastTableOut: number, table: ArchitectureTable): number;
  /** The 1x1 conv after pooling. */
  lastPointChannels(table: ArchitectureTable, alpha: number): number;
}
