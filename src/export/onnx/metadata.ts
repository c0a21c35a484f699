/** Reading back what the exporter wrote into an ONNX file's metadata_props. */
import { decodeMetadataProps } from './proto.js';

export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries(decodeMetadataProps(bytes).map((p) => [p.key, p.value]));
}

/** The class names written by `exportOnnx(model, { labels })`, if any. */
export function readOnnxLabels(bytes: Uint8Array): string[] | undefined {
  return labelsOf(readOnnxMetadata(bytes));
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
