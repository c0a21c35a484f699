/**
 * A labels file (`--labels <file>`, a train folder's labels.json): class names as a JSON array of
 * strings or one name per line. Problems are one line naming the file.
 */
import { readTextFile } from '../io/read-file.js';

export async function readLabelsFile(path: string): Promise<string[]> {
  const text = await readTextFile(path, 'labels file');
  if (/^\s*\[/.test(text)) {
    let labels: unknown;
    try {
      labels = JSON.parse(text);
    } catch {
      throw new Error(`labels file ${path} is not valid JSON`);
    }
    if (Array.isArray(labels) && labels.every((l) => typeof l === 'string')) return labels;
    throw new Error(`labels file ${path} must be a JSON array of strings or one name per line`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}
