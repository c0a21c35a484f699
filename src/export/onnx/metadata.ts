/**
 * Reading back what the exporter wrote into an ONNX file's metadata_props: the model card as JSON
 * under `mobilenetv3.card`; files exported by 0.1 carry only `options` (and `labels`), from which
 * the same card is worked out.
 */
import { defaultModelCard, parseModelCard, type ModelCard } from '../../architecture/card.js';
import type { ResolvedOptions } from '../../architecture/options.js';
import { decodeMetadataProps } from './proto.js';

/** The metadata_props key of the model card. */
export const CARD_KEY = 'mobilenetv3.card';

export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries(decodeMetadataProps(bytes).map((p) => [p.key, p.value]));
}

/** The class names written by `exportOnnx(model, { labels })`, if any. */
export function readOnnxLabels(bytes: Uint8Array): string[] | undefined {
  const metadata = readOnnxMetadata(bytes);
  return cardOf(metadata)?.labels?.slice() ?? labelsOf(metadata);
}

/** The class names in already read metadata; undefined when absent or not a JSON array of strings. */
export function labelsOf(metadata: Record<string, string>): string[] | undefined {
  if (!metadata.labels) return undefined;
  let labels: unknown;
  try {
    labels = JSON.parse(metadata.labels);
  } catch {
    return undefined;
  }
  return Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? labels : undefined;
}

/**
 * The model card of an exported file; for a 0.1 export, the card its `options` imply plus its
 * `labels`; undefined for an ONNX file not written by this package. A damaged card throws.
 */
export function cardOf(metadata: Record<string, string>, what = 'the ONNX model'): ModelCard | undefined {
  if (metadata[CARD_KEY] !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(metadata[CARD_KEY]);
    } catch {
      throw new Error(`the model card in ${what} is not valid JSON`);
    }
    return parseModelCard(value, `the model card in ${what}`);
  }
  if (!metadata.options) return undefined;
  let options: ResolvedOptions;
  try {
    options = JSON.parse(metadata.options) as ResolvedOptions;
  } catch {
    return undefined;
  }
  if (!Array.isArray(options.inputShape)) return undefined;
  return { ...defaultModelCard(options), labels: labelsOf(metadata) ?? null };
}
