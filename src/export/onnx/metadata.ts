/**
 * Reading back what the exporter wrote into an ONNX file's metadata_props: the model card as JSON
 * under `mobilenetv3.card`; files exported by 0.1 carry only `options` (and `labels`), from which
 * the same card is worked out.
 */
import { defaultModelCard, parseModelCard, type ModelCard } from '../../architecture/card.js';
import type { ResolvedOptions } from '../../architecture/options.js';

/** The metadata_props key of the model card. */
export const CARD_KEY = 'mobilenetv3.card';

const METADATA_PROPS = 14; // ModelProto.metadata_props: repeated StringStringEntryProto { key = 1; value = 2 }

/** The length-delimited fields of one message, as [field number, bytes]; the others are skipped. */
function* fields(bytes: Uint8Array, start: number, end: number): Generator<[number, Uint8Array]> {
  let pos = start;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= end || shift > 63) throw new Error('not an ONNX model (bad protobuf varint)');
      const byte = bytes[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (pos < end) {
    const tag = varint();
    const wire = tag % 8;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = varint();
      if (pos + length > end) throw new Error('not an ONNX model (a protobuf field runs past the end)');
      yield [Math.floor(tag / 8), bytes.subarray(pos, pos + length)];
      pos += length;
    } else throw new Error(`not an ONNX model (protobuf wire type ${wire})`);
  }
  if (pos > end) throw new Error('not an ONNX model (truncated)');
}

/**
 * metadata_props straight off the protobuf wire: `classify --model x.onnx` needs only these few
 * strings, and decoding the whole ModelProto with protobufjs (loading it and the ONNX schema,
 * walking every node) cost it ~0.1 s.
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const text = new TextDecoder();
  const metadata: Record<string, string> = {};
  for (const [field, entry] of fields(bytes, 0, bytes.length)) {
    if (field !== METADATA_PROPS) continue;
    let key = '';
    let value = '';
    for (const [f, data] of fields(entry, 0, entry.length)) {
      if (f === 1) key = text.decode(data);
      else if (f === 2) value = text.decode(data);
    }
    metadata[key] = value;
  }
  return metadata;
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
