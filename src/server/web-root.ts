/** Where the built page lives: `dist/web` of this package (built by `npm run build:web`). */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// src/server/ and dist/server/ both sit two levels below the package root.
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function webRoot(): Promise<string> {
  const root = join(PACKAGE_ROOT, 'dist', 'web');
  try {
    await stat(join(root, 'index.html'));
  } catch {
    throw new Error(`the web page is not built (no ${join(root, 'index.html')}): run npm run build:web`);
  }
  return root;
}
