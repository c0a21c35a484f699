/**
 * The browser entry point (`mobilenetv3/browser`, src/browser.ts) must bundle for the web: walk
 * its whole import graph with TypeScript's own parser and fail on any Node built-in or Node-only
 * package anywhere below it. (The web page's Vite build bundles it for real in test/web.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { ROOT } from './serve.js';

/** Packages known to run in browsers (each has a browser build or is pure JS). */
const BROWSER_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  'h5wasm',
  'protobufjs',
  '@hpcc-js/wasm-graphviz',
  'onnxruntime-web',
];
const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

interface Graph {
  files: string[];
  packages: Map<string, string[]>;
}

function importGraph(entry: string): Graph {
  const files: string[] = [];
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    files.push(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      if (spec.startsWith('.')) {
        visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      } else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        const from = packages.get(spec.startsWith('node:') ? spec : name) ?? [];
        from.push(relative(ROOT, file));
        packages.set(spec.startsWith('node:') ? spec : name, from);
      }
    }
  };
  visit(entry);
  return { files, packages };
}

describe('browser entry point', () => {
  const graph = importGraph(join(ROOT, 'src/browser.ts'));

  it('imports no Node built-in and no Node-only package, however deep', () => {
    const offenders = [...graph.packages].filter(([name]) => NODE_BUILTINS.has(name) || !BROWSER_PACKAGES.includes(name));
    assert.deepEqual(
      offenders.map(([name, from]) => `${name} (from ${from.join(', ')})`),
      [],
    );
  });

  it('walks the real graph (the check would catch a Node import)', () => {
    assert.ok(graph.files.length > 10, `${graph.files.length} files`);
    assert.ok(graph.packages.has('@tensorflow/tfjs-core'));
    // The Node entry point, walked the same way, does reach Node-only code: the walker sees it.
    const node = importGraph(join(ROOT, 'src/cli/main.ts'));
    assert.ok([...node.packages.keys()].some((name) => NODE_BUILTINS.has(name)));
  });

  it('is exported as "mobilenetv3/browser"', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.exports['./browser'], { types: './dist/browser.d.ts', import: './dist/browser.js' });
  });
});
