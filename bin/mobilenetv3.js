#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm install` runs via `prepare`);
// falls back to the TypeScript sources through tsx in a checkout that has not been built. tsx is a
// development tool, not something a consumer installs, so its absence is one clear line, not a trace.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  let api;
  try {
    api = await import('tsx/esm/api');
  } catch {
    process.stderr.write('mobilenetv3: dist/ is not built and tsx is missing: run `npm run build` (or `npm install` in the checkout)\n');
    process.exit(1);
  }
  api.register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
