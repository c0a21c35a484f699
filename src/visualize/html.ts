/**
 * The self-contained interactive page (`plot -o model.html`): the Graphviz SVG inlined, the graph
 * JSON embedded, and the viewer (page/viewer.ts) bundled in. No network access needed.
 */
import { readableCount, thousands } from '../inspect/format.js';
import type { NetworkGraph } from './graph.js';
import { VIEWER_CSS } from './page/style.js';
import { escapeMarkup as escapeHtml } from './markup.js';
import { formatTableHtml } from './table.js';

let bundled: Promise<string> | undefined;

/**
 * The viewer as one browser script: prebuilt by `npm run build` (dist/visualize/page/, so an
 * installed package needs no bundler), else bundled from the sources with esbuild (a checkout).
 */
export function viewerScript(): Promise<string> {
  bundled ??= (async () => {
    const { readFile } = await import('node:fs/promises');
    const prebuilt = await readFile(new URL('./page/viewer.bundle.js', import.meta.url), 'utf8').catch(() => undefined);
    if (prebuilt !== undefined) return prebuilt;
    const { build } = await import('esbuild');
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const entry = new URL(`./page/standalone${ext}`, import.meta.url);
    const result = await build({
      entryPoints: [decodeURIComponent(entry.pathname)],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    return result.outputFiles[0].text;
  })();
  return bundled;
}

function overview(graph: NetworkGraph): string {
  return `<section class="mnv3-details">
<h2>${escapeHtml(graph.name)}</h2>
<p class="mnv3-subtitle">Click a node for its config, weight shapes, params and MACs. Drag to pan, wheel to zoom, search by layer name (Enter jumps to the next match).</p>
<table class="mnv3-facts"><tr><td>params</td><td>${thousands(graph.totals.params)} (${readableCount(graph.totals.params)})</td></tr>
<tr><td>trainable</td><td>${thousands(graph.totals.trainableParams)}</td></tr>
<tr><td>MACs</td><td>${thousands(graph.totals.macs)} (${readableCount(graph.totals.macs)})</td></tr>
<tr><td>layers</td><td>${graph.totals.layers}</td></tr></table>
<h3>Architecture</h3>
${formatTableHtml({ name: graph.name, rows: graph.table })}
</section>`;
}

/** The page as one HTML string. `svg` is Graphviz's rendering of `toDot(graph)`. */
export async function graphPage(graph: NetworkGraph, svg: string): Promise<string> {
  const script = await viewerScript();
  const inlineSvg = svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/<!DOCTYPE[^>]*>\s*/, '')
    .replace(/<!--[\s\S]*?-->\s*/g, '');
  const json = JSON.stringify(graph).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(graph.name)} · ${graph.detail}</title>
<style>
html, body { margin: 0; height: 100%; font: 14px system-ui, sans-serif; color: #212529; }
body { display: flex; flex-direction: column; }
header { display: flex; gap: 10px; align-items: center; padding: 8px 12px; border-bottom: 1px solid #dee2e6; background: #f8f9fa; }
header h1 { font-size: 15px; margin: 0 auto 0 0; font-weight: 600; }
header input { font: inherit; padding: 4px 8px; width: 220px; border: 1px solid #ced4da; border-radius: 4px; }
header button { font: inherit; padding: 3px 10px; border: 1px solid #ced4da; border-radius: 4px; background: white; cursor: pointer; }
#mnv3-search-status { color: #868e96; min-width: 80px; }
main { flex: 1; display: flex; min-height: 0; }
#mnv3-canvas { flex: 1; min-width: 0; }
#mnv3-panel { width: 420px; overflow: auto; padding: 12px 16px; border-left: 1px solid #dee2e6; }
${VIEWER_CSS}
</style>
</head>
<body>
<header>
<h1>${escapeHtml(graph.title)}</h1>
<input id="mnv3-search" type="search" placeholder="search layer name…" autocomplete="off">
<span id="mnv3-search-status"></span>
<button id="mnv3-zoom-out" title="zoom out">−</button><button id="mnv3-zoom-in" title="zoom in">+</button><button id="mnv3-fit" title="show all">fit</button>
</header>
<main>
<div id="mnv3-canvas" class="mnv3-canvas">${inlineSvg}</div>
<aside id="mnv3-panel">${overview(graph)}</aside>
</main>
<script type="application/json" id="mnv3-graph">${json}</script>
<script>${script.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}
