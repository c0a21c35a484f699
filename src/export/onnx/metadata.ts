/** Reading back what the exporter wrote into an ONNX file's metadata_props. */
import { decodeMetadataProps } from './proto.js';

export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries(decodeMetadataProps(bytes).map((p) => [p.key, p.value]));
}

/** The class names written by `exportOnnx(model, { labels })`, if any. */
export function readOnnxLabels(bytes: Uint8Array): string[] | undefined {
  const text = readOnnxMetadata(bytes).labels;
  if (!text) return undefined;
  const labels = JSON.parse(text) as unknown;
  return Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? labels : undefined;
}
