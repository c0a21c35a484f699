import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { buildModel } from '../src/architecture/builder.js';
import { readMetadata } from '../src/architecture/blocks.js';
import { useTfBackend } from '../src/runtime/tfjs.js';
import { toDot } from '../src/visualize/dot.js';
import { formatShape } from '../src/inspect/format.js';
import { compactShape, networkGraph } from '../src/visualize/graph.js';
import { outputShapeOf } from '../src/visualize/layer-info.js';
import { plotModel } from '../src/visualize/plot.js';
import { dotToSvg, layoutDot } from '../src/visualize/render.js';
import { hasChromium, launchChromium } from './chromium.js';
import { ROOT, runCli } from './visualize-helpers.js';

const OUT = join(ROOT, 'test-output', 'visualize');

/** Graphviz SVG groups: id -> { title, texts }. */
function svgGroups(svg: string, kind: 'node' | 'edge'): Map<string, { title: string; texts: string[] }> {
  const groups = new Map<string, { title: string; texts: string[] }>();
  const re = new RegExp(
    `<g id="([^"]+)" class="${kind}[^"]*">\\s*<title>([^<]*)</title>([\\s\\S]*?)(?=<g id="[^"]+" class="(?:node|edge)|</svg>)`,
    'g',
  );
  const unescapeSvg = (s: string): string =>
    s
      .replace(/&#45;/g, '-')
      .replace(/&gt;/g, '>')
      .replace(/&lt;/g, '<')
      .replace(/&amp;/g, '&')
      .replace(/&#160;/g, ' ');
  for (const m of svg.matchAll(re)) {
    const texts = [...m[3].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => unescapeSvg(t[1]));
    groups.set(unescapeSvg(m[1]), { title: unescapeSvg(m[2]), texts });
  }
  return groups;
}

describe('plot', () => {
  before(async () => {
    await useTfBackend('cpu');
    mkdirSync(OUT, { recursive: true });
  });

  it('blocks SVG: one node per block labelled like the table, every edge labelled with its tensor shape', async () => {
    const model = buildModel({ arch: 'small' });
    const graph = networkGraph(model, { detail: 'blocks' });
    const svg = await dotToSvg(toDot(graph));
    const nodes = svgGroups(svg, 'node');
    for (const block of readMetadata(model)!.blocks) {
      const node = nodes.get(`node-${block.id}`);
      assert.ok(node, `block ${block.id} drawn`);
      if (block.kind === 'bneck') {
        const row = graph.table.find((r) => r.block === block.id)!;
        assert.ok(node.texts.includes(`${row.input[2]} → ${row.exp} → ${row.out}`), `${block.id}: ${node.texts.join(' | ')}`);
      }
    }
    assert.equal(graph.nodes.filter((n) => n.kind === 'add').length, 6, 'Small has 6 residual blocks');
    assert.ok(nodes.get('node-expanded_conv_3')!.texts.includes('SE · HS · s2'));
    const edges = svgGroups(svg, 'edge');
    assert.equal(edges.size, graph.edges.length);
    let residuals = 0;
    for (const edge of graph.edges) {
      const drawn = [...edges.values()].find((e) => e.title === `${edge.from}->${edge.to}`);
      assert.ok(drawn, `edge ${edge.from}->${edge.to}`);
      if (edge.residual) residuals++;
      else assert.deepEqual(drawn.texts, [compactShape(edge.shape)], `${edge.from}->${edge.to}`);
    }
    assert.equal(residuals, 6);
    // Shapes on the edges are the model's: the stem's output is 112x112x16.
    assert.ok(graph.edges.some((e) => e.from === 'stem' && compactShape(e.shape) === '112×112×16'));
    assert.match(svg, /MobileNetV3Small .*2\.55 M params · 56\.51 M MACs/);
    for (const entry of graph.legend) assert.ok(svg.includes(`>${entry.label.replace(/-/g, '&#45;')}</text>`), `legend: ${entry.label}`);
  });

  it('layers SVG: every layer with its type and input/output shapes (Keras plot_model)', async () => {
    const model = buildModel({ arch: 'large' });
    const svg = await dotToSvg(toDot(networkGraph(model, { detail: 'layers' })));
    const nodes = svgGroups(svg, 'node');
    assert.equal(nodes.size, model.layers.length, 'every layer');
    assert.match(svg, />DepthwiseConv2D<\/text>[\s\S]*>identity shortcut<\/text>/, 'legend in the title');
    for (const layer of model.layers) {
      const node = nodes.get(`node-${layer.name}`);
      assert.ok(node, layer.name);
      assert.ok(
        node.texts.includes(layer.name) && node.texts.includes(` (${layer.getClassName()})`),
        `${layer.name}: ${node.texts.join('|')}`,
      );
      assert.ok(node.texts.includes(formatShape(outputShapeOf(layer))), `${layer.name} output shape`);
    }
    assert.ok(nodes.get('node-expanded_conv_1_depthwise')!.texts.includes('(None, 113, 113, 64)'), 'input shape of a padded depthwise');
  });

  it('DOT is valid Graphviz (and a broken one is refused)', async () => {
    const model = buildModel({ arch: 'large', alpha: 0.75, minimalistic: true, inputShape: [192, 256, 3] });
    for (const detail of ['blocks', 'layers'] as const) {
      const dot = toDot(networkGraph(model, { detail }), { rankdir: 'LR', shapes: false });
      const laid = await layoutDot(dot);
      assert.match(laid, /^digraph MobileNetV3Large \{/);
      assert.match(laid, /pos="/, 'laid out');
    }
    await assert.rejects(layoutDot('digraph { a -> ; }'));
  });

  it('PNG decodes with a sensible size; LR is wide, TB is tall', async () => {
    const model = buildModel({ arch: 'small' });
    const tb = join(OUT, 'small-blocks.png');
    const lr = join(OUT, 'small-blocks-lr.png');
    await plotModel(model, tb);
    await plotModel(model, lr, { rankdir: 'LR', density: 96 });
    const a = await sharp(tb).metadata();
    const b = await sharp(lr).metadata();
    assert.equal(a.format, 'png');
    assert.ok(a.width! > 800 && a.height! > 2 * a.width!, `TB ${a.width}x${a.height}`);
    assert.ok(b.width! > 2 * b.height! && b.height! > 200, `LR ${b.width}x${b.height}`);
    const stats = await sharp(tb).stats();
    assert.ok(stats.channels[0].min < 100, 'not a blank image');
  });

  it('CLI: plot writes the picture; a bad extension is one line, exit 2, nothing written', () => {
    const dot = join(OUT, 'cli-large.dot');
    rmSync(dot, { force: true });
    const r = runCli('plot', '-o', dot, '--arch', 'large', '--detail', 'layers');
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(dot, 'utf8'), /"expanded_conv_14_add"/);
    const bad = join(OUT, 'cli-bad.jpeg');
    const e = runCli('plot', '-o', bad);
    assert.equal(e.code, 2);
    assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
    assert.match(e.stderr, /use a file ending in \.svg, \.png, \.dot, \.html/);
    assert.ok(!existsSync(bad));
    assert.deepEqual(
      readdirSync(OUT).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  describe('HTML page in headless Chromium', { skip: hasChromium() ? false : 'no Chromium' }, () => {
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    before(async () => {
      browser = await launchChromium();
    });
    after(async () => {
      await browser?.close();
    });

    it('is self-contained; clicking a bneck node shows its config, weight shapes, params and MACs; search finds layers', async () => {
      const html = join(OUT, 'large-blocks.html');
      await plotModel(buildModel({ arch: 'large' }), html);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${html}`);
      await page.click('#node-expanded_conv_3');
      const panel = page.locator('#mnv3-panel');
      await panel.locator('h2', { hasText: 'expanded_conv_3 · bneck 5x5' }).waitFor();
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText (rendered text), not the DOM property
      const text = await panel.innerText();
      assert.match(text, /24 → 72 → 40 · SE · RE · s2/);
      assert.match(text, /params\s+10,696/);
      assert.match(text, /MACs\s+9,091,584/);
      assert.match(text, /expanded_conv_3_expand\/kernel\s+1×1×24×72/);
      assert.match(text, /expanded_conv_3_depthwise\/depthwise_kernel\s+5×5×72×1/);
      assert.match(text, /kernel\s+5/);
      assert.ok((await page.locator('#node-expanded_conv_3.mnv3-selected').count()) === 1);
      await page.screenshot({ path: join(OUT, 'large-blocks-clicked.png') });

      await page.fill('#mnv3-search', 'expanded_conv_14_project_bn');
      await page.press('#mnv3-search', 'Enter');
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText (rendered text), not the DOM property
      assert.equal(await page.locator('#mnv3-search-status').innerText(), '1 match');
      await panel.locator('h2', { hasText: 'expanded_conv_14' }).waitFor();
      await page.screenshot({ path: join(OUT, 'large-blocks-search.png') });

      // Zoom changes the viewBox; fit restores it.
      const before = await page.getAttribute('#mnv3-canvas svg', 'viewBox');
      await page.click('#mnv3-fit');
      const fitted = await page.getAttribute('#mnv3-canvas svg', 'viewBox');
      assert.notEqual(before, fitted);
      await page.mouse.move(400, 400);
      await page.mouse.wheel(0, -500);
      assert.notEqual(await page.getAttribute('#mnv3-canvas svg', 'viewBox'), fitted);

      assert.deepEqual(errors, []);
      assert.deepEqual(
        requests.filter((u) => !u.startsWith('file://')),
        [],
        'no network requests',
      );
      await page.close();
    });
  });
});
