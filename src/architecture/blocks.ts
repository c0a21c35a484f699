/**
 * The block map: which layers of a built model form the stem, each bneck and the head, with the
 * block's configuration. The builder writes it into the model's user-defined metadata (so it
 * survives TF.js serialization); views (table, diagrams) read it instead of parsing names.
 */
import type * as tf from '../runtime/tf.js';
import type { ResolvedOptions } from './options.js';
import type { Activation } from './resolve.js';

export type BlockKind = 'input' | 'stem' | 'bneck' | 'head' | 'classifier' | 'pooling';

export interface BlockInfo {
  readonly id: string;
  readonly kind: BlockKind;
  /** Layer names in build order. */
  readonly layers: string[];
  readonly kernel?: number;
  readonly stride?: number;
  readonly expand?: number | null;
  readonly out?: number;
  readonly se?: number | null;
  readonly activation?: Activation;
  readonly residual?: boolean;
}

export interface ModelMetadata {
  readonly options: ResolvedOptions;
  readonly blocks: BlockInfo[];
}

const KEY = 'mobilenetv3';

export function writeMetadata(model: tf.LayersModel, metadata: ModelMetadata): void {
  model.setUserDefinedMetadata({ [KEY]: metadata as unknown as object });
}

/** The block map of a model built here (or loaded from a TF.js file saved from one). */
export function readMetadata(model: tf.LayersModel): ModelMetadata | undefined {
  const all = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  return all?.[KEY] as ModelMetadata | undefined;
}
