/** `--labels <file>`: class names as a JSON array of strings or one name per line. */
import { readFile } from 'node:fs/promises';
import { CliError } from './errors.js';

export async function readLabelsFile(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => { throw new CliError(`cannot read labels file ${path}`); });
  if (/^\s*\[/.test(text)) {
    let labels: unknown;
    try {
      labels = JSON.parse(text);
    } catch {
      throw new CliError(`labels file ${path} is not valid JSON`);
    }
    if (Array.isArray(labels) && labels.every((l) => typeof l === 'string')) return labels;
    throw new CliError(`labels file ${path} must be a JSON array of strings or one name per line`);
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}
